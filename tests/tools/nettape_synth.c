/* nettape_synth.c: nettape-synth, writes deterministic synthetic tapes of TCP incident scenarios for the analyzer's tests. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth.h"
#include "tape.h"

/*
 * Every scenario runs on a virtual clock: boottime starts at BOOT0 and
 * realtime = boottime + REAL_OFF, so BOOT0 is 2026-11-22T02:00:00Z (unless
 * --base-time says otherwise). Same arguments, same tape (the recording id
 * is derived from the host name), so reports can be compared to goldens.
 */
#define S 1000000000ULL
#define MS 1000000ULL
#define BOOT0 (1000 * S)

struct synth {
	struct tape_writer *w;
	struct tape_meta *meta;
	uint64_t now;
	uint64_t real_off;
	int reason_shift;         /* drop-reason numbers differ per "kernel" */
	int err;
	uint64_t events;
};

static uint64_t clk_boot(void *ctx)
{
	return ((struct synth *)ctx)->now;
}

static uint64_t clk_real(void *ctx)
{
	struct synth *s = ctx;
	return s->now + s->real_off;
}

/* Drop reasons by name; the numbers are this synthetic kernel's. */
enum { R_NOT_SPECIFIED, R_NO_SOCKET, R_NETFILTER_DROP, R_TCP_OLD_SEQUENCE, R_TCP_LISTEN_OVERFLOW, R_TCP_RESET, R_QDISC_DROP,
       R_TCP_OLD_DATA, R_COUNT };
static const char *const reason_names[R_COUNT] = {
	"NOT_SPECIFIED", "NO_SOCKET", "NETFILTER_DROP", "TCP_OLD_SEQUENCE", "TCP_LISTEN_OVERFLOW", "TCP_RESET", "QDISC_DROP",
	"TCP_OLD_DATA",
};
static const uint32_t reason_base[R_COUNT] = { 2, 3, 8, 40, 77, 30, 60, 41 };

static uint32_t reason(const struct synth *s, int r)
{
	return reason_base[r] + (uint32_t)s->reason_shift;
}

#define SYM_NF_HOOK 0xffffffff81a00000ULL
#define SYM_TCP_V4_RCV 0xffffffff81b00000ULL
#define SYM_TCP_CHILD 0xffffffff81b10000ULL
#define SYM_TCP_VALIDATE 0xffffffff81b20000ULL

static void emit(struct synth *s, uint16_t type, uint64_t ts, const void *data, uint32_t len)
{
	int rc;

	if (s->err)
		return;
	s->now = ts;
	rc = tape_writer__append(s->w, type, ts, data, len);
	if (rc)
		s->err = rc;
	s->events++;
}

static struct nt_conn conn(uint64_t cookie, uint32_t pid, const char *sa, uint16_t sp, const char *da, uint16_t dp)
{
	struct nt_conn c = synth_conn(cookie, pid, sa, sp, da, dp);

	c.cgroup = pid ? 1000 + pid : 0;
	c.netns = 4026531840u;
	return c;
}

static void established(struct synth *s, uint64_t ts, struct nt_conn c, int wscale)
{
	struct nt_ev_state e;

	memset(&e, 0, sizeof(e));
	e.c = c;
	e.old_state = 2; /* SYN_SENT */
	e.new_state = 1; /* ESTABLISHED */
	e.wscale_ok = (uint8_t)wscale;
	e.snd_wscale = wscale ? 7 : 0;
	e.rcv_wscale = wscale ? 7 : 0;
	e.sack_ok = 1;
	e.ts_ok = 1;
	e.flags = NT_STATE_F_HANDSHAKE;
	e.mss = 1448;
	e.advmss = 1448;
	e.rcvbuf = 131072;
	e.sndbuf = 87040;
	emit(s, NT_REC_STATE, ts, &e, sizeof(e));
}

static void listening(struct synth *s, uint64_t ts, struct nt_conn c)
{
	struct nt_ev_state e;

	memset(&e, 0, sizeof(e));
	e.c = c;
	e.old_state = 7;  /* CLOSE */
	e.new_state = 10; /* LISTEN */
	e.flags = NT_STATE_F_LISTENER;
	emit(s, NT_REC_STATE, ts, &e, sizeof(e));
}

static void closed(struct synth *s, uint64_t ts, struct nt_conn c, uint64_t acked, uint64_t rcvd, uint32_t srtt)
{
	struct nt_ev_state e;

	memset(&e, 0, sizeof(e));
	e.c = c;
	e.old_state = 1;
	e.new_state = 7;
	e.flags = NT_STATE_F_TOTALS;
	e.bytes_acked = acked;
	e.bytes_received = rcvd;
	e.srtt_us = srtt;
	emit(s, NT_REC_STATE, ts, &e, sizeof(e));
}

static void sample(struct synth *s, uint64_t ts, struct nt_conn c, int kind, uint32_t srtt, uint32_t rcv_wnd,
		   uint32_t snd_wnd, uint32_t cwnd, uint32_t snd_queue, uint64_t acked)
{
	struct nt_ev_sample e;

	memset(&e, 0, sizeof(e));
	e.c = c;
	e.kind = (uint8_t)kind;
	e.state = 1;
	e.srtt_us = srtt;
	e.min_rtt_us = srtt;
	e.rcv_wnd = rcv_wnd;
	e.snd_wnd = snd_wnd;
	e.snd_cwnd = cwnd;
	e.ssthresh = 0x7fffffff;
	e.packets_out = cwnd / 2;
	e.snd_queue = snd_queue;
	e.bytes_acked = acked;
	emit(s, NT_REC_SAMPLE, ts, &e, sizeof(e));
}

static void drop(struct synth *s, uint64_t ts, struct nt_conn c, int r, uint64_t loc)
{
	struct nt_ev_drop e;

	memset(&e, 0, sizeof(e));
	e.c = c;
	e.reason = reason(s, r);
	e.location = loc;
	e.skb_len = 1500;
	e.tcp_flags = 0x10;
	emit(s, NT_REC_DROP, ts, &e, sizeof(e));
}

static void retrans(struct synth *s, uint64_t ts, struct nt_conn c, int kind, int ca, int backoff, uint32_t rto_us)
{
	struct nt_ev_retrans e;

	memset(&e, 0, sizeof(e));
	e.c = c;
	e.kind = (uint8_t)kind;
	e.ca_state = (uint8_t)ca;
	e.backoff = (uint8_t)backoff;
	e.rto_us = rto_us;
	e.srtt_us = 20000;
	e.state = kind == NT_RETRANS_SYN ? 2 : kind == NT_RETRANS_SYNACK ? 3 : 1;
	e.snd_cwnd = 10;
	emit(s, NT_REC_RETRANS, ts, &e, sizeof(e));
}

static void cong(struct synth *s, uint64_t ts, struct nt_conn c, int from, int to)
{
	struct nt_ev_cong e;

	memset(&e, 0, sizeof(e));
	e.c = c;
	e.old_state = (uint8_t)from;
	e.new_state = (uint8_t)to;
	e.snd_cwnd = to == 4 ? 1 : 10;
	e.srtt_us = 20000;
	/* As the kernel: a recovery that ends without an undo keeps its marker
	 * (snd_una at its start); 0 on leaving Recovery/Loss means undone. */
	e.undo_marker = 1000;
	emit(s, NT_REC_CONG, ts, &e, sizeof(e));
}

/* ---- scenarios ---- */

/* Zero-window stalls on a connection without window scaling (the server
 * api-server advertises zero), zero-window probes dropped as
 * TCP_OLD_SEQUENCE during the episodes, plus a healthy neighbour. */
static void sc_zero_window(struct synth *s, uint64_t t)
{
	struct nt_conn srv = conn(101, 4242, "10.0.0.1", 8080, "10.0.0.2", 40001);
	struct nt_conn ok = conn(102, 4242, "10.0.0.1", 8080, "10.0.0.3", 40002);
	struct nt_conn probe = conn(0, 0, "10.0.0.2", 40001, "10.0.0.1", 8080);

	probe.flags = NT_CONN_F_PKT_ORDER;
	established(s, t, srv, 0);
	established(s, t + 1 * MS, ok, 1);
	for (int i = 0; i < 60; i++) {
		uint64_t ts = t + (uint64_t)i * S + 500 * MS;
		sample(s, ts, srv, 0, 20000, i % 5 == 2 ? 0 : 65535, 65535, 10, 0, (uint64_t)i * 500000);
		sample(s, ts + 1 * MS, ok, 0, 21000, 3 << 20, 3 << 20, 40, 0, (uint64_t)i * 5000000);
	}
	for (int i = 0; i < 12; i++) {
		uint64_t st = t + 2 * S + (uint64_t)i * 5 * S;
		sample(s, st, srv, NT_SAMPLE_RCV_ZERO_START, 20000, 0, 65535, 10, 0, 0);
		drop(s, st + 400 * MS, probe, R_TCP_OLD_SEQUENCE, SYM_TCP_VALIDATE + 0x40);
		drop(s, st + 900 * MS, probe, R_TCP_OLD_SEQUENCE, SYM_TCP_VALIDATE + 0x40);
		sample(s, st + 1500 * MS, srv, NT_SAMPLE_RCV_ZERO_END, 20000, 65535, 65535, 10, 0, 0);
	}
	closed(s, t + 61 * S, srv, 30000000, 800000, 20000);
	closed(s, t + 61 * S, ok, 300000000, 800000, 21000);
}

/* A listener that does not accept: full accept queue, TCP_LISTEN_OVERFLOW
 * drops (no socket, packet order), SYN-ACK retransmits, and client SYN
 * retransmits from curl (on this host or, with --role client, another). */
static void sc_listen(struct synth *s, uint64_t t, int part)
{
	struct nt_conn lst = conn(201, 5151, "0.0.0.0", 9090, "0.0.0.0", 0);
	struct nt_conn req = conn(0, 0, "10.0.0.1", 9090, "10.0.0.9", 50000);

	if (part != 2) {
		listening(s, t, lst);
		for (int i = 0; i < 20; i++) {
			struct nt_ev_listen l;
			memset(&l, 0, sizeof(l));
			l.c = lst;
			l.backlog = i < 5 ? (uint32_t)i / 4 : 1;
			l.max_backlog = 1;
			l.overflows = i >= 5 ? 3 : 0;
			emit(s, NT_REC_LISTEN, t + (uint64_t)i * S + 100 * MS, &l, sizeof(l));
		}
		for (int i = 0; i < 15; i++) {
			struct nt_conn d = conn(0, 0, "10.0.0.9", (uint16_t)(50000 + i), "10.0.0.1", 9090);
			d.flags = NT_CONN_F_PKT_ORDER;
			drop(s, t + 5 * S + (uint64_t)i * S, d, R_TCP_LISTEN_OVERFLOW, SYM_TCP_CHILD + 0x10);
			req.dport = (uint16_t)(50000 + i);
			req.cookie = 2000 + (uint64_t)i;
			retrans(s, t + 5 * S + (uint64_t)i * S + 200 * MS, req, NT_RETRANS_SYNACK, 0, 1, 1000000);
		}
	}
	if (part != 1) {
		for (int i = 0; i < 6; i++) {
			struct nt_conn cl = conn(300 + (uint64_t)i, 6000, "10.0.0.9", (uint16_t)(51000 + i), "10.0.0.1", 9090);
			retrans(s, t + 6 * S + (uint64_t)i * 2 * S, cl, NT_RETRANS_SYN, 0, 1, 1000000);
			retrans(s, t + 7 * S + (uint64_t)i * 2 * S, cl, NT_RETRANS_SYN, 0, 2, 2000000);
		}
	}
}

/* A netfilter rule drops a share of the packets of one connection: drops
 * before socket lookup (tuple only, packet order) and fast retransmits. */
static void sc_netfilter(struct synth *s, uint64_t t)
{
	struct nt_conn c = conn(401, 7070, "10.0.1.1", 44000, "10.0.1.2", 443);
	struct nt_conn in = conn(0, 0, "10.0.1.2", 443, "10.0.1.1", 44000);

	in.flags = NT_CONN_F_PKT_ORDER;
	established(s, t, c, 1);
	for (int i = 0; i < 30; i++) {
		uint64_t ts = t + (uint64_t)i * S;
		sample(s, ts + 10 * MS, c, 0, 30000, 1 << 20, 1 << 20, 30, 100000, (uint64_t)i * 1000000);
		if (i >= 5 && i < 25) {
			drop(s, ts + 100 * MS, in, R_NETFILTER_DROP, SYM_NF_HOOK + 0x9e);
			retrans(s, ts + 140 * MS, c, NT_RETRANS_DATA, 3, 0, 230000);
			if (i % 4 == 0) {
				cong(s, ts + 130 * MS, c, 0, 3);
				cong(s, ts + 400 * MS, c, 3, 0);
			}
		}
	}
	closed(s, t + 31 * S, c, 30000000, 100000, 30000);
}

/* A path blackhole for 1.5 s: a retransmission timeout with backoff. */
static void sc_rto(struct synth *s, uint64_t t)
{
	struct nt_conn c = conn(501, 8080, "10.0.2.1", 45000, "10.0.2.2", 5432);

	established(s, t, c, 1);
	for (int i = 0; i < 20; i++)
		sample(s, t + (uint64_t)i * S + 50 * MS, c, 0, 2000, 1 << 20, 1 << 20, 20, 50000, (uint64_t)i * 100000);
	cong(s, t + 10 * S, c, 0, 4);
	retrans(s, t + 10 * S, c, NT_RETRANS_DATA, 4, 0, 200000);
	retrans(s, t + 10 * S + 400 * MS, c, NT_RETRANS_DATA, 4, 1, 400000);
	retrans(s, t + 11 * S + 200 * MS, c, NT_RETRANS_DATA, 4, 2, 800000);
	cong(s, t + 11 * S + 500 * MS, c, 4, 0);
	closed(s, t + 21 * S, c, 2000000, 0, 2000);
}

/* RTT from 10 ms to 80 ms for 5 s (a queue building up on the path). */
static void sc_rtt(struct synth *s, uint64_t t)
{
	struct nt_conn c = conn(601, 9090, "10.0.3.1", 46000, "10.0.3.2", 80);

	established(s, t, c, 1);
	for (int i = 0; i < 40; i++) {
		uint64_t ts = t + (uint64_t)i * 500 * MS;
		int spike = i >= 20 && i < 30;
		uint32_t srtt = spike ? 80000 : 10000 + (uint32_t)(i % 3) * 500;
		sample(s, ts, c, spike && i == 20 ? NT_SAMPLE_RTT_SPIKE : 0, srtt, 1 << 20, 1 << 20, 40, 0, (uint64_t)i * 100000);
	}
	closed(s, t + 21 * S, c, 4000000, 0, 10000);
}

/* A bulk receiver discards duplicates (spurious retransmits of its sender,
 * seen on a healthy veth under load): 30 TCP_OLD_DATA and 10
 * TCP_OLD_SEQUENCE drops in 2 s and nothing else. One low-impact incident
 * that calls them duplicates, never "the kernel dropped packets". */
static void sc_duplicates(struct synth *s, uint64_t t)
{
	struct nt_conn c = conn(1501, 3838, "10.0.11.1", 5201, "10.0.11.2", 42000);

	established(s, t, c, 1);
	for (int i = 0; i < 10; i++)
		sample(s, t + (uint64_t)i * S + 100 * MS, c, 0, 500, 6 << 20, 6 << 20, 300, 0,
		       (uint64_t)i * 100000000ULL);
	for (int i = 0; i < 40; i++)
		drop(s, t + 3 * S + (uint64_t)i * 50 * MS, c, i < 30 ? R_TCP_OLD_DATA : R_TCP_OLD_SEQUENCE,
		     SYM_TCP_VALIDATE + 0x40);
	closed(s, t + 10 * S, c, 0, 1000000000ULL, 500);
}

/* A server closes a connection with unread data: a reset is sent. */
static void sc_reset(struct synth *s, uint64_t t)
{
	struct nt_conn c = conn(701, 9191, "10.0.4.1", 7000, "10.0.4.2", 52000);
	struct nt_ev_reset r;

	established(s, t, c, 1);
	sample(s, t + 100 * MS, c, 0, 1000, 1 << 16, 1 << 16, 10, 0, 1000);
	memset(&r, 0, sizeof(r));
	r.c = c;
	r.kind = NT_RESET_SENT;
	r.state = 1;
	r.reason = 1;
	emit(s, NT_REC_RESET, t + 2 * S, &r, sizeof(r));
}

/* A reader that sleeps: read stalls and one slow response. */
static void sc_stall(struct synth *s, uint64_t t)
{
	struct nt_conn c = conn(801, 9292, "10.0.5.1", 6379, "10.0.5.2", 53000);
	struct nt_ev_stall e;

	established(s, t, c, 1);
	for (int i = 0; i < 4; i++) {
		memset(&e, 0, sizeof(e));
		e.c = c;
		e.kind = i == 3 ? NT_STALL_RESPONSE : NT_STALL_READ;
		e.state = 1;
		e.bytes = 4096;
		e.wait_ns = i == 3 ? 900 * MS : 600 * MS;
		emit(s, NT_REC_STALL, t + (uint64_t)(i + 1) * S, &e, sizeof(e));
	}
}

/* A sender limited by the peer's window (no zero windows). */
static void sc_rwnd(struct synth *s, uint64_t t)
{
	struct nt_conn c = conn(901, 9393, "10.0.6.1", 47000, "10.0.6.2", 873);

	established(s, t, c, 1);
	for (int i = 0; i < 20; i++)
		sample(s, t + (uint64_t)i * S + 5 * MS, c, 0, 20000, 1 << 20, 65535, 100, 4 << 20, (uint64_t)i * 3000000);
	closed(s, t + 21 * S, c, 60000000, 0, 20000);
}

/* The recorder's own losses (ring buffer full for two seconds). */
static void sc_loss(struct synth *s, uint64_t t)
{
	s->now = t;
	tape_writer__loss(s->w, NT_REC_SAMPLE, 0xffff, 1234, t, t + 2 * S);
	tape_writer__loss(s->w, NT_REC_DROP, 1, 10, t + 500 * MS, t + 1 * S);
}

/* iperf3-like: 4 streams for 60 s, periodic samples, a few window changes,
 * small RTT jitter, no drops, no zero windows. Must produce no incident. */
static void sc_healthy(struct synth *s, uint64_t t)
{
	for (int k = 0; k < 4; k++) {
		struct nt_conn c = conn(1001 + (uint64_t)k, 3131, "10.0.7.1", (uint16_t)(48000 + k), "10.0.7.2", 5201);
		established(s, t + (uint64_t)k * MS, c, 1);
	}
	for (int i = 0; i < 60; i++)
		for (int k = 0; k < 4; k++) {
			struct nt_conn c = conn(1001 + (uint64_t)k, 3131, "10.0.7.1", (uint16_t)(48000 + k), "10.0.7.2", 5201);
			uint32_t srtt = 400 + (uint32_t)((i * 7 + k * 13) % 9) * 50;
			int kind = (i == 1 || i == 30) ? NT_SAMPLE_WND_CHANGE : 0;
			sample(s, t + (uint64_t)i * S + (uint64_t)k * 10 * MS, c, kind, srtt, 6 << 20, 6 << 20, 300,
			       2 << 20, (uint64_t)i * 1100000000ULL);
		}
	for (int k = 0; k < 4; k++) {
		struct nt_conn c = conn(1001 + (uint64_t)k, 3131, "10.0.7.1", (uint16_t)(48000 + k), "10.0.7.2", 5201);
		closed(s, t + 61 * S, c, 66000000000ULL, 0, 500);
	}
}

/* Sub-threshold versions of every detector's case: must produce no finding. */
static void sc_near_miss(struct synth *s, uint64_t t)
{
	struct nt_conn c = conn(1101, 3232, "10.0.8.1", 49000, "10.0.8.2", 8443);
	struct nt_conn l = conn(1102, 3232, "0.0.0.0", 8443, "0.0.0.0", 0);
	struct nt_conn cl = conn(1103, 3333, "10.0.8.2", 49500, "10.0.8.1", 8443);
	struct nt_ev_stall e;

	established(s, t, c, 1);
	listening(s, t, l);
	for (int i = 0; i < 20; i++) {
		/* RTT varies 2x (< rtt.factor 3); 2 of 20 samples window-limited (< 20 %). */
		uint32_t srtt = i % 2 ? 10000 : 20000;
		sample(s, t + (uint64_t)i * S, c, 0, srtt, 1 << 20, i < 2 ? 1000 : 1 << 20, 50, 100000, (uint64_t)i * 1000);
	}
	/* One 20 ms zero window (< 100 ms, < 3 episodes). */
	sample(s, t + 5 * S + 100 * MS, c, NT_SAMPLE_SND_ZERO_START, 10000, 1 << 20, 0, 50, 100000, 0);
	sample(s, t + 5 * S + 120 * MS, c, NT_SAMPLE_SND_ZERO_END, 10000, 1 << 20, 1 << 20, 50, 100000, 0);
	/* 3 fast retransmits (< 10), no timeout. */
	for (int i = 0; i < 3; i++)
		retrans(s, t + 8 * S + (uint64_t)i * 100 * MS, c, NT_RETRANS_DATA, 3, 0, 210000);
	/* Accept queue never full; one client SYN retransmit (< 3). */
	for (int i = 0; i < 5; i++) {
		struct nt_ev_listen ls;
		memset(&ls, 0, sizeof(ls));
		ls.c = l;
		ls.backlog = 1;
		ls.max_backlog = 128;
		emit(s, NT_REC_LISTEN, t + (uint64_t)i * S + 300 * MS, &ls, sizeof(ls));
	}
	retrans(s, t + 3 * S, cl, NT_RETRANS_SYN, 0, 1, 1000000);
	/* A short read stall (50 ms < 200 ms) and a quick response. */
	memset(&e, 0, sizeof(e));
	e.c = c;
	e.kind = NT_STALL_READ;
	e.wait_ns = 50 * MS;
	emit(s, NT_REC_STALL, t + 9 * S, &e, sizeof(e));
	e.kind = NT_STALL_RESPONSE;
	e.wait_ns = 100 * MS;
	emit(s, NT_REC_STALL, t + 9 * S + 500 * MS, &e, sizeof(e));
	closed(s, t + 21 * S, c, 20000, 0, 10000);
}

/* Teardown noise only (issue 6): clients killed at the end of a run. The
 * listener's sampled overflow count rises with TCP_RESET drops on it (it is
 * the listener's drop counter), segments hit closed sockets (NO_SOCKET),
 * resets fly, and a client stuck in SYN_SENT enters Loss without any data
 * retransmit. No listen overflow and no RTO may be reported; the drops and
 * resets that are reported must rank low. */
static void sc_teardown(struct synth *s, uint64_t t)
{
	struct nt_conn lst = conn(1401, 3636, "10.0.10.1", 5009, "0.0.0.0", 0);
	struct nt_conn c = conn(1402, 3636, "10.0.10.1", 5009, "10.0.10.2", 41000);
	struct nt_conn syn = conn(1403, 3737, "10.0.10.2", 41001, "10.0.10.1", 5010);
	struct nt_ev_reset r;

	listening(s, t, lst);
	established(s, t + 100 * MS, c, 1);
	for (int i = 0; i < 5; i++) {
		struct nt_ev_listen l;
		memset(&l, 0, sizeof(l));
		l.c = lst;
		l.backlog = 0;
		l.max_backlog = 128;
		l.overflows = i >= 3 ? 11 : 0;
		emit(s, NT_REC_LISTEN, t + (uint64_t)i * S + 500 * MS, &l, sizeof(l));
		sample(s, t + (uint64_t)i * S + 200 * MS, c, 0, 1000, 1 << 20, 1 << 20, 20, 0, (uint64_t)i * 100000);
	}
	for (int i = 0; i < 11; i++) {
		drop(s, t + 4 * S + (uint64_t)i * MS, lst, R_TCP_RESET, SYM_TCP_CHILD + 0x80);
		drop(s, t + 4 * S + (uint64_t)i * MS, c, R_NO_SOCKET, SYM_TCP_V4_RCV + 0x20);
	}
	memset(&r, 0, sizeof(r));
	r.c = c;
	r.kind = NT_RESET_SENT;
	r.state = 1;
	r.reason = 1;
	for (int i = 0; i < 20; i++)
		emit(s, NT_REC_RESET, t + 4 * S + (uint64_t)i * MS, &r, sizeof(r));
	cong(s, t + 3 * S, syn, 0, 4);
	closed(s, t + 4 * S + 100 * MS, c, 500000, 1000, 1000);
}

/* Queueing delay (issue 6): a request/response connection of rr-server whose
 * RTT goes from 10 ms to 600 ms while bulk-server's downloads on the same
 * host fill the queue (QDISC_DROP drops, fast retransmits). One incident,
 * named after the RTT spike of rr-server, with the bulk traffic as context. */
static void sc_queue(struct synth *s, uint64_t t)
{
	struct nt_conn rr = conn(1501, 3838, "10.0.11.1", 5007, "10.0.11.2", 42000);

	established(s, t, rr, 1);
	for (int i = 0; i < 30; i++) {
		int spike = i >= 10 && i < 20;
		sample(s, t + (uint64_t)i * 500 * MS, rr, 0, spike ? 600000 : 10000 + (uint32_t)(i % 3) * 500, 1 << 20,
		       1 << 20, 40, 0, (uint64_t)i * 40000);
	}
	for (int b = 0; b < 3; b++) {
		struct nt_conn bk = conn(1510 + (uint64_t)b, 3939, "10.0.11.1", 5008, "10.0.11.2", (uint16_t)(43000 + b));
		established(s, t + 4 * S, bk, 1);
		for (int i = 0; i < 20; i++) {
			uint64_t ts = t + 5 * S + (uint64_t)i * 200 * MS;
			drop(s, ts, bk, R_QDISC_DROP, SYM_TCP_V4_RCV + 0x400);
			retrans(s, ts + 50 * MS, bk, NT_RETRANS_DATA, 3, 0, 300000);
		}
		closed(s, t + 11 * S, bk, 5000000, 100, 300000);
	}
	closed(s, t + 15 * S, rr, 1200000, 3000, 10000);
}

/* Many events for benchmarks: periodic samples over many connections, with
 * a few drops, retransmits and zero-window edges mixed in. */
static void sc_bulk(struct synth *s, uint64_t t, uint64_t n)
{
	const uint64_t nconn = 2000;
	uint64_t i;

	for (i = 0; i < nconn; i++) {
		struct nt_conn c = conn(100000 + i, 20000 + (uint32_t)(i % 50), "10.1.0.1", (uint16_t)(10000 + i), "10.1.0.2", 443);
		established(s, t + i * 1000, c, (int)(i % 10 != 0));
	}
	for (i = 0; i < n && !s->err; i++) {
		uint64_t k = (i % 1000 == 52 ? i - 1 : i) % nconn; /* the zero-window end on the start's connection */
		uint64_t ts = t + 10 * MS + i * 20000; /* 50k events/s of virtual time */
		struct nt_conn c = conn(100000 + k, 20000 + (uint32_t)(k % 50), "10.1.0.1", (uint16_t)(10000 + k), "10.1.0.2", 443);
		switch (i % 1000) {
		case 17: drop(s, ts, c, R_NETFILTER_DROP, SYM_NF_HOOK + 0x9e); break;
		case 33: retrans(s, ts, c, NT_RETRANS_DATA, 3, 0, 210000); break;
		case 51: sample(s, ts, c, NT_SAMPLE_RCV_ZERO_START, 1000, 0, 1 << 20, 10, 0, i); break;
		case 52: sample(s, ts, c, NT_SAMPLE_RCV_ZERO_END, 1000, 1 << 20, 1 << 20, 10, 0, i); break;
		default:
			sample(s, ts, c, 0, 1000 + (uint32_t)(i % 7) * 10, 1 << 20, 1 << 20, 10 + (uint32_t)(i % 20), 0, i * 1000);
		}
	}
}

/* Both ends of one connection on one host: the server stops reading (zero
 * receive window, read stalls), the client sees the peer's zero window. */
static void sc_pair(struct synth *s, uint64_t t)
{
	struct nt_conn cl = conn(1201, 3434, "10.0.9.1", 40000, "10.0.9.2", 80);
	struct nt_conn sv = conn(1202, 3535, "10.0.9.2", 80, "10.0.9.1", 40000);
	struct nt_ev_stall e;

	established(s, t, cl, 1);
	established(s, t + 1 * MS, sv, 1);
	for (int i = 0; i < 5; i++) {
		uint64_t st = t + S + (uint64_t)i * 2 * S;
		sample(s, st, sv, NT_SAMPLE_RCV_ZERO_START, 500, 0, 1 << 20, 10, 0, 0);
		sample(s, st + 1 * MS, cl, NT_SAMPLE_SND_ZERO_START, 500, 1 << 20, 0, 10, 1 << 20, 0);
		sample(s, st + 800 * MS, sv, NT_SAMPLE_RCV_ZERO_END, 500, 1 << 20, 1 << 20, 10, 0, 0);
		sample(s, st + 801 * MS, cl, NT_SAMPLE_SND_ZERO_END, 500, 1 << 20, 1 << 20, 10, 1 << 20, 0);
		memset(&e, 0, sizeof(e));
		e.c = sv;
		e.kind = NT_STALL_READ;
		e.bytes = 1 << 20;
		e.wait_ns = 800 * MS;
		emit(s, NT_REC_STALL, st + 800 * MS, &e, sizeof(e));
	}
}

/* ---- metadata and main ---- */

static void fill_meta(struct synth *s)
{
	struct tape_meta *m = s->meta;
	char buf[64];
	struct nt_rec_netns ns = { .inode = 4026531840u };

	for (int r = 0; r < R_COUNT; r++)
		synth_meta_enum(m, NT_ENUM_DROP_REASON, reason(s, r), reason_names[r]);
	synth_meta_enum(m, NT_ENUM_RST_REASON, 1, "NOT_SPECIFIED");
	synth_meta_symbol(m, SYM_NF_HOOK, "nf_hook_slow");
	synth_meta_symbol(m, SYM_TCP_V4_RCV, "tcp_v4_rcv");
	synth_meta_symbol(m, SYM_TCP_CHILD, "tcp_check_req");
	synth_meta_symbol(m, SYM_TCP_VALIDATE, "tcp_validate_incoming");
	synth_meta_process(m, 4242, 1, 1000 + 4242, "api-server", "/usr/bin/api-server --port 8080");
	synth_meta_process(m, 5151, 1, 1000 + 5151, "slow-accept", "/opt/slow-accept --listen :9090 --backlog 1");
	synth_meta_process(m, 6000, 1, 1000 + 6000, "curl", "curl http://10.0.0.1:9090/");
	synth_meta_process(m, 7070, 1, 1000 + 7070, "backup-agent", "/usr/sbin/backup-agent --to 10.0.1.2:443");
	synth_meta_process(m, 8080, 1, 1000 + 8080, "pgbouncer", "pgbouncer /etc/pgbouncer.ini");
	synth_meta_process(m, 9090, 1, 1000 + 9090, "fetcher", "fetcher --url http://10.0.3.2/");
	synth_meta_process(m, 9191, 1, 1000 + 9191, "legacy-srv", "legacy-srv -p 7000");
	synth_meta_process(m, 9292, 1, 1000 + 9292, "cache-client", "cache-client");
	synth_meta_process(m, 9393, 1, 1000 + 9393, "rsync", "rsync -a /data 10.0.6.2::backup");
	synth_meta_process(m, 3131, 1, 1000 + 3131, "iperf3", "iperf3 -c 10.0.7.2 -P 4 -t 60");
	synth_meta_process(m, 3232, 1, 1000 + 3232, "nginx", "nginx: worker process");
	synth_meta_process(m, 3333, 1, 1000 + 3333, "wget", "wget https://10.0.8.1:8443/");
	synth_meta_process(m, 3434, 1, 1000 + 3434, "loadgen", "loadgen --target 10.0.9.2:80");
	synth_meta_process(m, 3535, 1, 1000 + 3535, "slow-server", "slow-server --port 80");
	synth_meta_process(m, 3636, 1, 1000 + 3636, "rr-server", "rr-server --port 5009");
	synth_meta_process(m, 3737, 1, 1000 + 3737, "client", "client --connect 10.0.10.1:5010");
	synth_meta_process(m, 3838, 1, 1000 + 3838, "rr-server", "rr-server --port 5007");
	synth_meta_process(m, 3939, 1, 1000 + 3939, "bulk-server", "bulk-server --port 5008");
	synth_meta_cgroup(m, 1000 + 4242, "/system.slice/docker-3f2a9c.scope", "3f2a9c1b7d4e");
	memcpy(buf, &ns, sizeof(ns));
	memcpy(buf + sizeof(ns), "init", 4);
	tape_meta__add(m, NT_REC_NETNS, buf, sizeof(ns) + 4);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nettape-synth SCENARIO DIR [--host NAME] [--events N] [--reason-shift K] [--chunk-size BYTES]\n\n"
		"Writes a deterministic synthetic tape of one scenario into DIR.\n"
		"Scenarios: zero-window listen listen-server listen-client netfilter rto rtt reset stall rwnd loss\n"
		"           healthy near-miss pair teardown duplicates queue all bulk\n"
		"Examples:\n"
		"  nettape-synth all /tmp/all-tape\n"
		"  nettape-synth bulk /tmp/big --events 10000000\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "events", required_argument, NULL, 'n' },
		{ "reason-shift", required_argument, NULL, 'r' },
		{ "chunk-size", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *host = "web1";
	uint64_t nevents = 1000000, chunk_size = 0;
	struct synth s;
	struct tape_writer_opts wo;
	uint8_t rid[16];
	int c, rc;

	memset(&s, 0, sizeof(s));
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': host = optarg; break;
		case 'n': nevents = strtoull(optarg, NULL, 10); break;
		case 'r': s.reason_shift = atoi(optarg); break;
		case 'c': chunk_size = strtoull(optarg, NULL, 10); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	const char *sc = argv[optind], *dir = argv[optind + 1];
	s.now = BOOT0 - S;
	s.real_off = 1795312800ULL * S - BOOT0;
	s.meta = tape_meta__new();
	if (!s.meta)
		return 1;
	fill_meta(&s);
	memset(rid, 0, sizeof(rid));
	for (size_t i = 0; host[i] && i < 16; i++)
		rid[i] = (uint8_t)host[i];
	rid[15] ^= (uint8_t)strlen(sc);
	memset(&wo, 0, sizeof(wo));
	wo.dir = dir;
	wo.hostname = host;
	wo.boot_id = "00000000-0000-4000-8000-000000000001";
	wo.kernel = "6.18.0-synthetic";
	wo.version = "synth";
	wo.cmdline = "nettape-synth";
	wo.recording_id = rid;
	wo.meta = s.meta;
	wo.now_ns = clk_boot;
	wo.realtime_ns = clk_real;
	wo.cb_ctx = &s;
	wo.chunk_time_ns = 3600 * S;
	wo.chunk_size = chunk_size;
	s.w = tape_writer__open(&wo);
	if (!s.w) {
		fprintf(stderr, "nettape-synth: cannot open a tape in %s: %s\n", dir, strerror(errno));
		tape_meta__free(s.meta);
		return 1;
	}
	uint64_t t = BOOT0;
	if (!strcmp(sc, "zero-window"))
		sc_zero_window(&s, t);
	else if (!strcmp(sc, "listen"))
		sc_listen(&s, t, 0);
	else if (!strcmp(sc, "listen-server"))
		sc_listen(&s, t, 1);
	else if (!strcmp(sc, "listen-client"))
		sc_listen(&s, t, 2);
	else if (!strcmp(sc, "netfilter"))
		sc_netfilter(&s, t);
	else if (!strcmp(sc, "rto"))
		sc_rto(&s, t);
	else if (!strcmp(sc, "rtt"))
		sc_rtt(&s, t);
	else if (!strcmp(sc, "reset"))
		sc_reset(&s, t);
	else if (!strcmp(sc, "stall"))
		sc_stall(&s, t);
	else if (!strcmp(sc, "rwnd"))
		sc_rwnd(&s, t);
	else if (!strcmp(sc, "loss"))
		sc_loss(&s, t);
	else if (!strcmp(sc, "healthy"))
		sc_healthy(&s, t);
	else if (!strcmp(sc, "near-miss"))
		sc_near_miss(&s, t);
	else if (!strcmp(sc, "pair"))
		sc_pair(&s, t);
	else if (!strcmp(sc, "teardown"))
		sc_teardown(&s, t);
	else if (!strcmp(sc, "duplicates"))
		sc_duplicates(&s, t);
	else if (!strcmp(sc, "queue"))
		sc_queue(&s, t);
	else if (!strcmp(sc, "bulk"))
		sc_bulk(&s, t, nevents);
	else if (!strcmp(sc, "all")) {
		/* Ten minutes apart so each forms its own incident. */
		sc_zero_window(&s, t);
		sc_listen(&s, t + 120 * S, 0);
		sc_netfilter(&s, t + 240 * S);
		sc_rto(&s, t + 360 * S);
		sc_rtt(&s, t + 480 * S);
		sc_reset(&s, t + 600 * S);
		sc_stall(&s, t + 720 * S);
		sc_rwnd(&s, t + 840 * S);
		sc_healthy(&s, t + 960 * S);
		sc_near_miss(&s, t + 1080 * S);
		sc_loss(&s, t + 1200 * S);
	} else {
		fprintf(stderr, "nettape-synth: unknown scenario '%s'; see --help\n", sc);
		tape_writer__close(s.w);
		tape_meta__free(s.meta);
		return 2;
	}
	rc = tape_writer__close(s.w);
	tape_meta__free(s.meta);
	if (s.err || rc) {
		fprintf(stderr, "nettape-synth: writing %s: %s\n", dir, tape_strerror(s.err ? s.err : rc));
		return 1;
	}
	return 0;
}
