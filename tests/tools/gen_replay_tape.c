/* gen_replay_tape.c: nt-replay-gentape, writes a deterministic synthetic tape (every event class, known order, some out-of-time-order records) for the replay tests. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth.h"
#include "tape.h"

/*
 * Usage: nt-replay-gentape DIR EVENTS [CHUNK_BYTES]
 * Writes EVENTS event records to the tape DIR and prints one line per event
 * on stdout, in writing order:
 *   <index> <type name> <cookie> <pid> <sport> <dport> <realtime ns>
 * Each event's nt_conn.cgroup is index + 1, so a reader can check order.
 * Time: boottime starts at 1000 s and advances 10 ms per event; every 7th
 * event is stamped 5 ms earlier than its predecessor (records may be
 * slightly out of order; replay must keep the stored order).
 * Realtime = boottime + REAL_OFFSET (2026-11-22T00:00:00Z - 1000 s).
 */

#define BOOT0 1000000000000ull
#define REAL_OFFSET (1795305600000000000ull - BOOT0)

static uint64_t g_now = BOOT0;

static uint64_t fake_boot(void *ctx)
{
	(void)ctx;
	return g_now;
}

static uint64_t fake_real(void *ctx)
{
	(void)ctx;
	return g_now + REAL_OFFSET;
}

static const uint16_t types[] = {
	NT_REC_DROP, NT_REC_RETRANS, NT_REC_CONG, NT_REC_STATE, NT_REC_SAMPLE,
	NT_REC_RESET, NT_REC_STALL, NT_REC_BUFFER, NT_REC_LISTEN,
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

int main(int argc, char **argv)
{
	struct tape_writer_opts wo = { 0 };
	struct tape_meta *m;
	struct tape_writer *w;
	long nev;
	int err = 0;

	if (argc < 3 || (nev = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: nt-replay-gentape DIR EVENTS [CHUNK_BYTES]\n");
		return 2;
	}
	m = tape_meta__new();
	if (!m)
		return 1;
	err |= synth_meta_enum(m, NT_ENUM_DROP_REASON, 5, "SKB_DROP_REASON_NETFILTER_DROP");
	err |= synth_meta_enum(m, NT_ENUM_DROP_REASON, 7, "SKB_DROP_REASON_TCP_OLD_SEQUENCE");
	err |= synth_meta_enum(m, NT_ENUM_RST_REASON, 2, "SK_RST_REASON_TCP_ABORT_ON_CLOSE");
	err |= synth_meta_symbol(m, 0xffffffff81100000ull, "nf_hook_slow");
	err |= synth_meta_symbol(m, 0xffffffff81200000ull, "tcp_validate_incoming");
	err |= synth_meta_process(m, 100, 1, 0, "api-server", "api-server --port 5001");
	err |= synth_meta_process(m, 200, 1, 0, "client \"q\"", "client --to 198.18.0.1");
	err |= synth_meta_netns(m, 4026532000u, "ntreplay-srv");
	if (err) {
		fprintf(stderr, "gentape: meta: %s\n", tape_strerror(err));
		return 1;
	}
	wo.dir = argv[1];
	wo.chunk_size = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
	wo.frame_size = 4096;
	wo.hostname = "replay-host";
	wo.boot_id = "00000000-0000-0000-0000-000000000001";
	wo.kernel = "6.18.0-test";
	wo.version = "gentape";
	wo.cmdline = "nt-replay-gentape";
	wo.meta = m;
	wo.now_ns = fake_boot;
	wo.realtime_ns = fake_real;
	w = tape_writer__open(&wo);
	if (!w) {
		fprintf(stderr, "gentape: %s: %s\n", argv[1], strerror(errno));
		tape_meta__free(m);
		return 1;
	}
	for (long i = 0; i < nev; i++) {
		union {
			struct nt_ev_drop drop;
			struct nt_ev_retrans retrans;
			struct nt_ev_cong cong;
			struct nt_ev_state state;
			struct nt_ev_sample sample;
			struct nt_ev_reset reset;
			struct nt_ev_stall stall;
			struct nt_ev_buffer buffer;
			struct nt_ev_listen listen;
		} u;
		struct nt_conn *c = &u.drop.c;
		uint16_t type = types[i % NTYPES];
		uint64_t ts;
		int r;

		memset(&u, 0, sizeof(u));
		g_now += 10000000ull;
		ts = (i % 7 == 3) ? g_now - 15000000ull : g_now;
		c->cookie = 0x100000000ull + (uint64_t)(i % 3);
		c->cgroup = (uint64_t)i + 1;
		c->netns = 4026532000u;
		c->pid = (i % 2) ? 200 : 100;
		c->family = 2;
		c->proto = 6;
		c->sport = 5001;
		c->dport = (uint16_t)(40000 + i % 3);
		c->saddr[0] = 198, c->saddr[1] = 18, c->saddr[2] = 0, c->saddr[3] = 1;
		c->daddr[0] = 198, c->daddr[1] = 18, c->daddr[2] = 0, c->daddr[3] = 2;
		switch (type) {
		case NT_REC_DROP:
			u.drop.reason = (i % 2) ? 7 : 5;
			u.drop.location = 0xffffffff81100000ull + 0x9a;
			u.drop.skb_len = 1500;
			u.drop.tcp_flags = 0x18;
			u.drop.sk_state = 1;
			u.drop.seq = (uint32_t)i * 1000;
			if (i % 2 == 0)
				c->flags = NT_CONN_F_PKT_ORDER, c->pid = 0, c->cookie = 0;
			break;
		case NT_REC_RETRANS:
			u.retrans.state = 1;
			u.retrans.ca_state = 3;
			u.retrans.srtt_us = 1234;
			u.retrans.rto_us = 201000;
			u.retrans.snd_cwnd = 10;
			break;
		case NT_REC_CONG:
			u.cong.old_state = 0;
			u.cong.new_state = 4;
			u.cong.snd_cwnd = 1;
			break;
		case NT_REC_STATE:
			u.state.old_state = 3;
			u.state.new_state = 1;
			u.state.flags = NT_STATE_F_HANDSHAKE;
			u.state.wscale_ok = (uint8_t)(i % 2);
			u.state.mss = 1448;
			break;
		case NT_REC_SAMPLE:
			u.sample.kind = NT_SAMPLE_RCV_ZERO_START;
			u.sample.state = 1;
			u.sample.srtt_us = 800000;
			u.sample.min_rtt_us = 30000;
			break;
		case NT_REC_RESET:
			u.reset.kind = NT_RESET_SENT;
			u.reset.state = 1;
			u.reset.reason = 2;
			break;
		case NT_REC_STALL:
			u.stall.kind = NT_STALL_READ;
			u.stall.wait_ns = 250000000ull;
			u.stall.bytes = 4096;
			break;
		case NT_REC_BUFFER:
			u.buffer.kind = NT_BUFFER_EXCEED_LIMIT;
			u.buffer.value = 9000;
			break;
		case NT_REC_LISTEN:
			u.listen.backlog = 4;
			u.listen.max_backlog = 4;
			u.listen.overflows = 3;
			c->flags = 0;
			break;
		}
		r = tape_writer__append(w, type, ts, &u, nt_rec_min_size(type));
		if (r) {
			fprintf(stderr, "gentape: append: %s\n", tape_strerror(r));
			tape_writer__close(w);
			tape_meta__free(m);
			return 1;
		}
		printf("%ld %s %llu %u %u %u %llu\n", i, nt_rec_type_name(type),
		       (unsigned long long)c->cookie, c->pid, c->sport, c->dport,
		       (unsigned long long)(ts + REAL_OFFSET));
		if (i % 50 == 49)
			tape_writer__flush(w);
	}
	/* One loss record and one pin at the end. */
	g_now += 10000000ull;
	tape_writer__loss(w, NT_REC_SAMPLE, 1, 42, g_now - 5000000ull, g_now);
	err = tape_writer__close(w);
	tape_meta__free(m);
	if (err) {
		fprintf(stderr, "gentape: close: %s\n", tape_strerror(err));
		return 1;
	}
	return 0;
}
