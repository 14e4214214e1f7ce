/* gen_bundle_tape.c: nt-pb-gen-tape, writes a synthetic tape with known names, addresses, events and real TCP packet snippets for the pcap/bundle tests. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth.h"
#include "tape.h"

/*
 * Timeline (boottime B0 = 1000 s <-> realtime R0 = 2025-11-22T02:00:00Z):
 *   B0 - 100 s   connection C (10.99.88.77:40404 -> 203.0.113.99:5432): events + a packet
 *   B0 .. B0+3s  connection A (198.18.0.1:45678 -> 198.18.0.2:443, IPv4) handshake with
 *                window scaling, data, a zero window, a window update, data and its
 *                retransmission; connection B (IPv6) handshake; drop, pin, loss
 *                (the tape rotates to a second chunk after the drop at B0 + 0.5 s)
 *   B0 + 200 s   connection C again (outside any window the tests use)
 * It prints shell assignments the test scripts source (times as epoch seconds).
 */

#define B0 ((uint64_t)1000 * 1000000000u)
#define R0 ((uint64_t)1763776800 * 1000000000u)
#define SEC ((uint64_t)1000000000)
#define MS ((uint64_t)1000000)

static uint64_t g_now = B0;

static uint64_t now_boot(void *ctx) { (void)ctx; return g_now; }
static uint64_t now_real(void *ctx) { (void)ctx; return R0 + (g_now - B0); }

static struct tape_writer *w;

static void die(const char *what, int err)
{
	fprintf(stderr, "gen_tape: %s: %s\n", what, tape_strerror(err));
	exit(1);
}

static void put(uint16_t type, uint64_t ts, const void *data, size_t len)
{
	g_now = ts;
	int err = tape_writer__append(w, type, ts, data, (uint32_t)len);
	if (err)
		die(nt_rec_type_name(type), err);
}

static void meta_add(struct tape_meta *m, uint16_t type, const void *hdr, size_t hlen,
		     const char *s1, const char *s2)
{
	int err = synth_meta_text(m, type, hdr, hlen, s1, s2);
	if (err)
		die("meta", err);
}

/* A connection of this tape's host: its cgroup and network namespace. */
static struct nt_conn conn(uint64_t cookie, uint32_t pid, const char *sa, uint16_t sp,
			   const char *da, uint16_t dp)
{
	struct nt_conn c = synth_conn(cookie, pid, sa, sp, da, dp);
	c.cgroup = 777;
	c.netns = 4026532999u;
	return c;
}

/* ---- packets: Ethernet + IPv4/IPv6 + TCP (with options) + payload ---- */

static uint16_t csum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

struct seg {
	int v6;
	const char *sa, *da;
	uint16_t sp, dp;
	uint32_t seq, ack;
	uint8_t flags;      /* 0x02 SYN, 0x10 ACK, 0x18 PSH|ACK */
	uint16_t win;
	int syn_opts;       /* MSS, SACK-permitted, timestamps, NOP, window scale 7 */
	uint32_t paylen;
	uint8_t dir;
	uint32_t ifindex;
	uint64_t cookie;
};

static const uint8_t mac_client[6] = { 0x52, 0x54, 0x00, 0xc1, 0x1e, 0x01 };
static const uint8_t mac_server[6] = { 0x52, 0x54, 0x00, 0x5e, 0x4f, 0x02 };
static const char secret_payload[] =
	"GET /private/db-prod-7.corp.example/token=hunter2 HTTP/1.1\r\nHost: api-server\r\n";

static void packet(uint64_t ts, const struct seg *s)
{
	uint8_t full[2048], rec[2048];
	size_t o = 0;
	int to_server = !strcmp(s->da, "198.18.0.2") || !strcmp(s->da, "2001:db8:bb::2");
	memcpy(full + 0, to_server ? mac_server : mac_client, 6);
	memcpy(full + 6, to_server ? mac_client : mac_server, 6);
	full[12] = s->v6 ? 0x86 : 0x08;
	full[13] = s->v6 ? 0xdd : 0x00;
	o = 14;
	size_t ip = o, iphl = s->v6 ? 40 : 20;
	size_t tcphl = s->syn_opts ? 40 : 32; /* timestamps on every segment */
	size_t tot = iphl + tcphl + s->paylen;
	memset(full + ip, 0, iphl);
	if (!s->v6) {
		full[ip] = 0x45;
		full[ip + 2] = (uint8_t)(tot >> 8);
		full[ip + 3] = (uint8_t)tot;
		full[ip + 4] = 0x12;
		full[ip + 6] = 0x40; /* DF */
		full[ip + 8] = 64;
		full[ip + 9] = 6;
		inet_pton(AF_INET, s->sa, full + ip + 12);
		inet_pton(AF_INET, s->da, full + ip + 16);
		uint16_t c = csum16(full + ip, 20);
		full[ip + 10] = (uint8_t)(c >> 8);
		full[ip + 11] = (uint8_t)c;
	} else {
		full[ip] = 0x60;
		size_t pl = tcphl + s->paylen;
		full[ip + 4] = (uint8_t)(pl >> 8);
		full[ip + 5] = (uint8_t)pl;
		full[ip + 6] = 6;
		full[ip + 7] = 64;
		inet_pton(AF_INET6, s->sa, full + ip + 8);
		inet_pton(AF_INET6, s->da, full + ip + 24);
	}
	size_t t = ip + iphl;
	memset(full + t, 0, tcphl);
	full[t + 0] = (uint8_t)(s->sp >> 8);
	full[t + 1] = (uint8_t)s->sp;
	full[t + 2] = (uint8_t)(s->dp >> 8);
	full[t + 3] = (uint8_t)s->dp;
	for (int i = 0; i < 4; i++) {
		full[t + 4 + i] = (uint8_t)(s->seq >> (24 - 8 * i));
		full[t + 8 + i] = (uint8_t)(s->ack >> (24 - 8 * i));
	}
	full[t + 12] = (uint8_t)((tcphl / 4) << 4);
	full[t + 13] = s->flags;
	full[t + 14] = (uint8_t)(s->win >> 8);
	full[t + 15] = (uint8_t)s->win;
	size_t q = t + 20;
	uint32_t tsval = (uint32_t)(ts / MS);
	if (s->syn_opts) {
		const uint8_t o1[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10 };
		memcpy(full + q, o1, sizeof(o1));
		q += sizeof(o1);
		for (int i = 0; i < 4; i++)
			full[q + i] = (uint8_t)(tsval >> (24 - 8 * i));
		q += 8; /* tsval, tsecr 0 */
		const uint8_t o2[] = { 1, 3, 3, 7 };
		memcpy(full + q, o2, sizeof(o2));
		q += sizeof(o2);
	} else {
		const uint8_t o1[] = { 1, 1, 8, 10 };
		memcpy(full + q, o1, sizeof(o1));
		q += sizeof(o1);
		for (int i = 0; i < 4; i++)
			full[q + i] = (uint8_t)(tsval >> (24 - 8 * i));
		q += 8;
	}
	for (uint32_t i = 0; i < s->paylen; i++)
		full[q + i] = (uint8_t)secret_payload[i % (sizeof(secret_payload) - 1)];
	size_t wire = q + s->paylen;
	size_t cap = wire < 128 ? wire : 128;
	struct nt_rec_packet pk = { .cookie = s->cookie, .netns = 4026532999u, .ifindex = s->ifindex,
				    .orig_len = (uint32_t)wire, .linktype = 1, .dir = s->dir };
	memcpy(rec, &pk, sizeof(pk));
	memcpy(rec + sizeof(pk), full, cap);
	put(NT_REC_PACKET, ts, rec, sizeof(pk) + cap);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_tape DIR\n");
		return 2;
	}
	struct tape_meta *m = tape_meta__new();
	if (!m)
		die("meta", -12);
	struct nt_rec_enum_name en = { .kind = NT_ENUM_DROP_REASON, .value = 77 };
	meta_add(m, NT_REC_ENUM_NAME, &en, sizeof(en), "TCP_OLD_SEQUENCE", NULL);
	en.kind = NT_ENUM_TCP_STATE;
	en.value = 1;
	meta_add(m, NT_REC_ENUM_NAME, &en, sizeof(en), "TCP_ESTABLISHED", NULL);
	struct nt_rec_symbol sy = { .addr = 0xffffffff81a3b000ull };
	meta_add(m, NT_REC_SYMBOL, &sy, sizeof(sy), "tcp_validate_incoming", NULL);
	sy.addr = 0xffffffff81c00000ull;
	meta_add(m, NT_REC_SYMBOL, &sy, sizeof(sy), "unused_symbol_xyz", NULL);
	struct nt_rec_process pr = { .pid = 4242, .ppid = 1, .cgroup = 777 };
	strcpy(pr.comm, "api-server");
	meta_add(m, NT_REC_PROCESS, &pr, sizeof(pr),
		 "/opt/acme/bin/api-server --listen 198.18.0.2:443 --db db-prod-7.corp.example", NULL);
	struct nt_rec_process pc = { .pid = 5151, .ppid = 1, .cgroup = 778 };
	strcpy(pc.comm, "curl-client");
	meta_add(m, NT_REC_PROCESS, &pc, sizeof(pc), "curl-client --insecure https://198.18.0.2/", NULL);
	struct nt_rec_process pu = { .pid = 9999, .ppid = 1, .cgroup = 779 };
	strcpy(pu.comm, "unrelated-daemo");
	meta_add(m, NT_REC_PROCESS, &pu, sizeof(pu), "unrelated-daemon --password=swordfish", NULL);
	const char *p777 = "/system.slice/docker-8c1d5e0f9a7b6c5d4e3f.scope";
	const char *c777 = "8c1d5e0f9a7b6c5d4e3f";
	struct nt_rec_cgroup cg = { .id = 777, .path_len = (uint16_t)strlen(p777),
				    .container_len = (uint16_t)strlen(c777) };
	meta_add(m, NT_REC_CGROUP, &cg, sizeof(cg), p777, c777);
	const char *p778 = "/user.slice/user-1000.slice/session-42.scope";
	struct nt_rec_cgroup cg2 = { .id = 778, .path_len = (uint16_t)strlen(p778) };
	meta_add(m, NT_REC_CGROUP, &cg2, sizeof(cg2), p778, NULL);
	const char *p779 = "/system.slice/unrelated-secret.service";
	struct nt_rec_cgroup cg3 = { .id = 779, .path_len = (uint16_t)strlen(p779) };
	meta_add(m, NT_REC_CGROUP, &cg3, sizeof(cg3), p779, NULL);
	struct nt_rec_netns ns = { .inode = 4026532999u };
	meta_add(m, NT_REC_NETNS, &ns, sizeof(ns), "blue-ns-prod", NULL);
	ns.inode = 4026532111u;
	meta_add(m, NT_REC_NETNS, &ns, sizeof(ns), "unused-ns-green", NULL);
	struct nt_rec_iface fi = { .netns = 4026532999u, .ifindex = 7 };
	meta_add(m, NT_REC_IFACE, &fi, sizeof(fi), "veth-api0", NULL);
	fi.ifindex = 8;
	meta_add(m, NT_REC_IFACE, &fi, sizeof(fi), "veth-v6peer", NULL);
	meta_add(m, NT_REC_CONFIG, "filter=host 198.18.0.2", 22, NULL, NULL);

	g_now = B0 - 200 * SEC;
	struct tape_writer_opts o = {
		.dir = argv[1],
		.hostname = "db-prod-7.corp.example",
		.boot_id = "3f1c2a9e-5b7d-4e1f-9a2b-c0ffee123456",
		.kernel = "6.18.0-test",
		.version = "0.1.0",
		.cmdline = "nettape-record --snaplen 128 --filter host 198.18.0.2",
		.snaplen = 128,
		.meta = m,
		.now_ns = now_boot,
		.realtime_ns = now_real,
	};
	w = tape_writer__open(&o);
	if (!w)
		die("open", -errno);

	/* connection C, before the window */
	struct nt_conn cc = conn(3001, 9999, "10.99.88.77", 40404, "203.0.113.99", 5432);
	cc.cgroup = 779;
	struct nt_ev_state st;
	memset(&st, 0, sizeof(st));
	st.c = cc;
	st.old_state = 2;
	st.new_state = 1;
	put(NT_REC_STATE, B0 - 100 * SEC, &st, sizeof(st));
	struct seg sc = { 0, "10.99.88.77", "203.0.113.99", 40404, 5432, 7, 0, 0x02, 64240, 1, 0, 2, 7, 3001 };
	packet(B0 - 100 * SEC + MS, &sc);

	/* connection A: handshake with window scaling */
	struct nt_conn ca = conn(1001, 5151, "198.18.0.1", 45678, "198.18.0.2", 443);
	ca.cgroup = 778;
	struct seg s = { 0, "198.18.0.1", "198.18.0.2", 45678, 443, 1000, 0, 0x02, 64240, 1, 0, 1, 7, 0 };
	packet(B0 + 0 * MS, &s);                                   /* SYN (cookie unknown yet) */
	struct seg sa = { 0, "198.18.0.2", "198.18.0.1", 443, 45678, 5000, 1001, 0x12, 65160, 1, 0, 2, 7, 1002 };
	packet(B0 + 1 * MS, &sa);                                  /* SYN-ACK */
	memset(&st, 0, sizeof(st));
	st.c = ca;
	st.old_state = 2;
	st.new_state = 1;
	st.wscale_ok = 1;
	st.snd_wscale = 7;
	st.rcv_wscale = 7;
	st.flags = NT_STATE_F_HANDSHAKE;
	st.mss = 1448;
	put(NT_REC_STATE, B0 + 2 * MS, &st, sizeof(st));
	struct seg s3 = { 0, "198.18.0.1", "198.18.0.2", 45678, 443, 1001, 5001, 0x10, 502, 0, 0, 1, 7, 1001 };
	packet(B0 + 2 * MS, &s3);                                  /* ACK */
	struct seg s4 = { 0, "198.18.0.1", "198.18.0.2", 45678, 443, 1001, 5001, 0x18, 502, 0, 100, 1, 7, 1001 };
	packet(B0 + 10 * MS, &s4);                                 /* data 100 bytes */
	struct seg s5 = { 0, "198.18.0.2", "198.18.0.1", 443, 45678, 5001, 1101, 0x10, 0, 0, 0, 2, 7, 1002 };
	packet(B0 + 11 * MS, &s5);                                 /* zero window */
	struct nt_conn cs = conn(1002, 4242, "198.18.0.2", 443, "198.18.0.1", 45678);
	struct nt_ev_sample sm;
	memset(&sm, 0, sizeof(sm));
	sm.c = cs;
	sm.kind = NT_SAMPLE_RCV_ZERO_START;
	sm.state = 1;
	sm.srtt_us = 150;
	put(NT_REC_SAMPLE, B0 + 11 * MS, &sm, sizeof(sm));
	struct nt_rec_pin pin = { .kind = NT_TRIGGER_ZERO_WINDOW, .cookie = 1002, .pre_ns = 5 * SEC,
				  .post_ns = 5 * SEC };
	uint8_t pbuf[256];
	const char *pd = "zero window on 198.18.0.2:443 (api-server)";
	memcpy(pbuf, &pin, sizeof(pin));
	memcpy(pbuf + sizeof(pin), pd, strlen(pd));
	put(NT_REC_PIN, B0 + 12 * MS, pbuf, sizeof(pin) + strlen(pd));
	struct nt_ev_drop dr;
	memset(&dr, 0, sizeof(dr));
	dr.c = cs;
	dr.location = 0xffffffff81a3b042ull;
	dr.reason = 77;
	dr.skb_len = 52;
	dr.ifindex = 7;
	dr.tcp_flags = 0x10;
	dr.sk_state = 1;
	put(NT_REC_DROP, B0 + 500 * MS, &dr, sizeof(dr));
	/* a second chunk in the middle of the window: slices span chunks */
	int rerr = tape_writer__rotate(w);
	if (rerr)
		die("rotate", rerr);
	struct seg s6 = { 0, "198.18.0.2", "198.18.0.1", 443, 45678, 5001, 1101, 0x10, 502, 0, 0, 2, 7, 1002 };
	packet(B0 + 1000 * MS, &s6);                               /* window update */
	sm.kind = NT_SAMPLE_RCV_ZERO_END;
	put(NT_REC_SAMPLE, B0 + 1000 * MS, &sm, sizeof(sm));
	struct seg s7 = { 0, "198.18.0.1", "198.18.0.2", 45678, 443, 1101, 5001, 0x18, 502, 0, 100, 1, 7, 1001 };
	packet(B0 + 1010 * MS, &s7);                               /* data */
	packet(B0 + 1400 * MS, &s7);                               /* its retransmission */
	struct nt_ev_retrans rt;
	memset(&rt, 0, sizeof(rt));
	rt.c = ca;
	rt.seq = 1101;
	rt.srtt_us = 150;
	rt.rto_us = 200000;
	rt.state = 1;
	rt.ca_state = 4;
	put(NT_REC_RETRANS, B0 + 1400 * MS, &rt, sizeof(rt));
	put(NT_REC_SAMPLE, B0 + 1400 * MS, &sm, sizeof(sm));

	/* connection B: IPv6 */
	struct nt_conn cb = conn(2001, 4242, "2001:db8:bb::2", 8443, "2001:db8:aa::1", 51515);
	struct seg s8 = { 1, "2001:db8:aa::1", "2001:db8:bb::2", 51515, 8443, 77, 0, 0x02, 64800, 1, 0, 1, 8, 0 };
	packet(B0 + 2000 * MS, &s8);
	memset(&st, 0, sizeof(st));
	st.c = cb;
	st.old_state = 12;
	st.new_state = 1;
	put(NT_REC_STATE, B0 + 2001 * MS, &st, sizeof(st));
	struct nt_rec_loss lo = { .rec_type = NT_REC_SAMPLE, .cpu = 1, .count = 3,
				  .from_ns = B0 + 2500 * MS, .to_ns = B0 + 2600 * MS };
	put(NT_REC_LOSS, B0 + 2600 * MS, &lo, sizeof(lo));

	/* connection C again, after the window */
	memset(&st, 0, sizeof(st));
	st.c = cc;
	st.old_state = 1;
	st.new_state = 7;
	put(NT_REC_STATE, B0 + 200 * SEC, &st, sizeof(st));
	packet(B0 + 200 * SEC + MS, &sc);

	g_now = B0 + 201 * SEC;
	int err = tape_writer__close(w);
	if (err)
		die("close", err);
	tape_meta__free(m);
	/* the window the tests use: [B0 - 1 s, B0 + 5 s] */
	printf("FROM=%" PRIu64 "\n", (R0 - SEC) / SEC);
	printf("TO=%" PRIu64 "\n", (R0 + 5 * SEC) / SEC);
	printf("T_SYN=%" PRIu64 ".%09" PRIu64 "\n", R0 / SEC, R0 % SEC);
	printf("NPKT_WINDOW=9\n");
	return 0;
}
