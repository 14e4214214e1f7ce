/* test_pcap_import.c: unit tests of format/packet.c (link types, IPv4/IPv6, options, short frames) and pcap_analyze.c (derived events). */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap/pcap_analyze.h"
#include "packet.h"
#include "check.h"


/* An IPv4 TCP SYN with MSS 1460, SACK-permitted, timestamps and window scale 7. */
static size_t v4_syn(uint8_t *f)
{
	static const uint8_t ip[20] = { 0x45, 0, 0, 60, 0, 0, 0x40, 0, 64, 6, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2 };
	static const uint8_t tcp[40] = { 0x9c, 0x40, 0x13, 0x89, 0, 0, 0x03, 0xe8, 0, 0, 0, 0, 0xa0, 0x02, 0xfa, 0xf0,
					 0, 0, 0, 0, 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 };
	memcpy(f, ip, 20);
	memcpy(f + 20, tcp, 40);
	return 60;
}

static void test_parse(void)
{
	uint8_t f[256], ip[128];
	struct nt_packet t;
	size_t n = v4_syn(ip);

	/* Raw IP. */
	CHECK_MSG(nt_packet_parse(NT_LINKTYPE_RAW, ip, n, n, &t) == NT_PKT_TCP, "raw");
	CHECK_MSG(t.family == 2 && t.sport == 40000 && t.dport == 5001 && t.seq == 1000, "tuple %u %u", t.sport, t.dport);
	CHECK_MSG(t.flags == NT_TH_SYN && t.win == 64240 && t.payload == 0, "flags %x win %u", t.flags, t.win);
	CHECK_MSG(t.wscale == 7 && t.mss == 1460 && t.sack_perm && t.has_ts && t.tsval == 1, "options ws %d mss %u", t.wscale,
	      t.mss);
	CHECK_MSG(t.saddr[0] == 198 && t.saddr[3] == 1 && t.daddr[3] == 2 && t.saddr[4] == 0, "addresses");
	CHECK_MSG(nt_packet_parse(NT_LINKTYPE_RAW_OLD, ip, n, n, &t) == NT_PKT_TCP, "DLT_RAW");
	/* Ethernet with a VLAN tag. */
	memset(f, 0, sizeof(f));
	f[12] = 0x81; f[13] = 0x00; f[16] = 0x08; f[17] = 0x00;
	memcpy(f + 18, ip, n);
	CHECK_MSG(nt_packet_parse(NT_LINKTYPE_ETHERNET, f, 18 + n, 18 + n, &t) == NT_PKT_TCP && t.hdr_end == 18 + n, "vlan %u", t.hdr_end);
	/* Linux cooked v1 and v2. */
	memset(f, 0, sizeof(f));
	f[14] = 0x08;
	memcpy(f + 16, ip, n);
	CHECK_MSG(nt_packet_parse(NT_LINKTYPE_LINUX_SLL, f, 16 + n, 16 + n, &t) == NT_PKT_TCP && t.sport == 40000, "sll");
	memset(f, 0, sizeof(f));
	f[0] = 0x08;
	memcpy(f + 20, ip, n);
	CHECK_MSG(nt_packet_parse(NT_LINKTYPE_LINUX_SLL2, f, 20 + n, 20 + n, &t) == NT_PKT_TCP && t.sport == 40000, "sll2");
	/* Cut inside the TCP header, in the options, and in the IP header. */
	CHECK_MSG(nt_packet_parse(NT_LINKTYPE_RAW, ip, 30, 30, &t) == NT_PKT_SHORT, "short tcp");
	CHECK_MSG(nt_packet_parse(NT_LINKTYPE_RAW, ip, 45, 45, &t) == NT_PKT_TCP && t.wscale == -1 && t.hdr_end == 45,
	      "options cut: fixed header kept (ws %d)", t.wscale);
	CHECK_MSG(nt_packet_parse(NT_LINKTYPE_RAW, ip, 10, 10, &t) == NT_PKT_SHORT, "short ip");
	CHECK_MSG(nt_packet_parse(NT_LINKTYPE_ETHERNET, ip, 5, 5, &t) == NT_PKT_SHORT, "short ethernet");
	/* Fragments, other protocols, other link types. */
	memcpy(f, ip, n);
	f[6] = 0x20; /* MF */
	CHECK_MSG(nt_packet_parse(NT_LINKTYPE_RAW, f, n, n, &t) == NT_PKT_FRAGMENT, "fragment");
	memcpy(f, ip, n);
	f[9] = 17;
	CHECK_MSG(nt_packet_parse(NT_LINKTYPE_RAW, f, n, n, &t) == NT_PKT_NOT_TCP, "udp");
	CHECK_MSG(nt_packet_parse(105, ip, n, n, &t) == NT_PKT_BAD_LINK && !nt_packet_linktype_ok(105), "802.11");
	/* Payload from the IP length, even when the capture holds headers only. */
	memcpy(f, ip, n);
	f[2] = 0x05; f[3] = 0xdc; /* 1500 */
	CHECK_MSG(nt_packet_parse(NT_LINKTYPE_RAW, f, n, n, &t) == NT_PKT_TCP && t.payload == 1500 - 60, "payload %u", t.payload);
	/* IP length 0 (TSO/GSO): the payload from the wire length. */
	f[2] = 0; f[3] = 0;
	CHECK_MSG(nt_packet_parse(NT_LINKTYPE_RAW, f, n, 20000, &t) == NT_PKT_TCP && t.payload == 20000 - 60, "tso payload %u",
	      t.payload);
	/* IPv6 with a hop-by-hop header before TCP. */
	memset(f, 0, sizeof(f));
	f[0] = 0x60; f[5] = 8 + 20; f[6] = 0; f[7] = 64;
	f[8] = 0x20; f[9] = 0x01; f[23] = 1; f[24] = 0x20; f[25] = 0x01; f[39] = 2;
	f[40] = 6; f[41] = 0; /* next = TCP, 8 bytes */
	f[48] = 0xc3; f[49] = 0x50; f[50] = 0x01; f[51] = 0xbb; f[60] = 0x50; f[61] = NT_TH_ACK; f[62] = 0x01;
	CHECK_MSG(nt_packet_parse(NT_LINKTYPE_RAW, f, 68, 68, &t) == NT_PKT_TCP && t.family == 10 && t.sport == 50000 &&
	      t.dport == 443 && t.win == 256 && t.payload == 0, "ipv6 ext: fam %d port %u", t.family, t.sport);
	f[40] = 44; /* a fragment header follows */
	f[6] = 0;
	CHECK_MSG(nt_packet_parse(NT_LINKTYPE_RAW, f, 68, 68, &t) != NT_PKT_TCP, "ipv6 chain with fragment");
	/* Garbage must never crash: every prefix of every link type. */
	for (size_t k = 0; k < n + 20; k++) {
		int dl[] = { NT_LINKTYPE_ETHERNET, NT_LINKTYPE_LINUX_SLL, NT_LINKTYPE_LINUX_SLL2, NT_LINKTYPE_RAW, NT_LINKTYPE_IPV4, NT_LINKTYPE_IPV6 };
		for (size_t i = 0; i < sizeof(dl) / sizeof(dl[0]); i++)
			(void)nt_packet_parse(dl[i], f, k, k, &t);
	}
}

/* ---- analyzer on the committed synthetic capture ---- */

struct rec {
	int packets, zero_start[2], zero_end[2], retrans_fast, retrans_rto, retrans_other, cong, rtt, resets[2], est;
	int conns, ws_off, ws_on, ws_unknown, keepalive, retrans_flag, zero_flag, dupack;
	int64_t first_id;
};

static int s_packet(void *ctx, const struct nt_pa_conn *c, const struct nt_packet *p, int64_t ts, int side,
		    int64_t window, unsigned an)
{
	struct rec *r = ctx;
	r->packets++;
	r->keepalive += !!(an & NT_PA_A_KEEPALIVE);
	r->retrans_flag += !!(an & NT_PA_A_RETRANS);
	r->zero_flag += !!(an & NT_PA_A_ZERO_WINDOW);
	r->dupack += !!(an & NT_PA_A_DUP_ACK);
	if (c->family == 10 && !(p->flags & NT_TH_SYN) && side == 0)
		CHECK_MSG(window == (int64_t)p->win << 7, "ipv6 conn: window scaled by 2^7 (%lld)", (long long)window);
	if (c->port[0] == 6000)
		CHECK_MSG(window == -1, "mid-stream: scale unknown");
	return 0;
}

static int s_event(void *ctx, const struct nt_pa_conn *c, const struct nt_pa_event *e)
{
	struct rec *r = ctx;
	switch (e->type) {
	case NT_PA_EV_ZERO_START: r->zero_start[e->side]++; break;
	case NT_PA_EV_ZERO_END: r->zero_end[e->side]++; break;
	case NT_PA_EV_RETRANS:
		if (e->ca_state == 4) {
			r->retrans_rto++;
			CHECK_MSG(e->gap_us >= 399000 && e->backoff == 1, "RTO gap %u backoff %d", e->gap_us, e->backoff);
		} else if (e->ca_state == 3) {
			r->retrans_fast++;
		} else {
			r->retrans_other++;
		}
		break;
	case NT_PA_EV_CONG: r->cong++; break;
	case NT_PA_EV_RTT:
		r->rtt++;
		CHECK_MSG(e->srtt_us > 0, "rtt sample > 0");
		break;
	case NT_PA_EV_RESET: r->resets[e->side]++; break;
	case NT_PA_EV_ESTABLISHED: r->est++; break;
	}
	return 0;
}

static int s_done(void *ctx, const struct nt_pa_conn *c)
{
	struct rec *r = ctx;
	r->conns++;
	if (!c->wscale_known)
		r->ws_unknown++;
	else if (c->wscale_ok)
		r->ws_on++;
	else
		r->ws_off++;
	CHECK_MSG(c->conn_id >= r->first_id && c->conn_id < r->first_id + 3, "conn id %lld", (long long)c->conn_id);
	if (c->port[0] == 5001) {
		CHECK_MSG(c->by_handshake && c->port[1] == 40000, "oriented by the SYN: server local");
		CHECK_MSG(c->side[1].bytes == 18000 && c->side[1].retrans == 2, "client bytes %llu retrans %llu",
		      (unsigned long long)c->side[1].bytes, (unsigned long long)c->side[1].retrans);
		CHECK_MSG(c->side[1].nrtt_rows >= 10 && c->rtt_side == 1, "rtt rows %zu side %d", c->side[1].nrtt_rows,
		      c->rtt_side);
	}
	if (c->port[0] == 6000)
		CHECK_MSG(!c->by_handshake && c->port[1] == 40001, "mid-stream: the lower port is local");
	return 0;
}

static void test_analyze(const char *path)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
	struct rec r = { .first_id = 100 };
	struct nt_pa_sink sink = { s_packet, s_event, s_done, &r };
	struct nt_pa *a = nt_pa__new(&sink, 100);
	struct pcap_pkthdr *h;
	const u_char *d;

	CHECK_MSG(p != NULL, "open %s: %s", path, eb);
	CHECK_MSG(a != NULL, "new");
	if (!p || !a) {
		nt_pa__free(a);
		if (p)
			pcap_close(p);
		return;
	}
	while (pcap_next_ex(p, &h, &d) == 1) {
		struct nt_packet t;
		if (nt_packet_parse(pcap_datalink(p), d, h->caplen, h->caplen, &t) == NT_PKT_TCP)
			CHECK_MSG(nt_pa__packet(a, &t, (int64_t)h->ts.tv_sec * 1000000000LL + h->ts.tv_usec) == 0, "packet");
	}
	CHECK_MSG(nt_pa__finish(a) == 0, "finish");
	CHECK_MSG(nt_pa__next_conn_id(a) == 103, "next id %lld", (long long)nt_pa__next_conn_id(a));
	nt_pa__free(a);
	pcap_close(p);
	CHECK_MSG(r.packets == 84, "packets %d", r.packets);
	CHECK_MSG(r.conns == 3 && r.ws_off == 1 && r.ws_on == 1 && r.ws_unknown == 1, "conns %d off %d on %d unknown %d",
	      r.conns, r.ws_off, r.ws_on, r.ws_unknown);
	CHECK_MSG(r.zero_start[0] == 2 && r.zero_end[0] == 2 && r.zero_start[1] == 0, "zero-window episodes %d/%d %d",
	      r.zero_start[0], r.zero_end[0], r.zero_start[1]);
	CHECK_MSG(r.zero_flag == 3, "zero-window segments %d (the RST's window 0 does not count)", r.zero_flag);
	CHECK_MSG(r.retrans_fast == 1 && r.retrans_rto == 1 && r.retrans_other == 0 && r.retrans_flag == 2,
	      "retransmits fast %d rto %d other %d", r.retrans_fast, r.retrans_rto, r.retrans_other);
	CHECK_MSG(r.cong == 4, "cong %d (recovery and loss, in and out)", r.cong);
	CHECK_MSG(r.dupack == 3 && r.keepalive == 1, "dup acks %d keep-alives %d", r.dupack, r.keepalive);
	CHECK_MSG(r.resets[0] == 1 && r.resets[1] == 0, "resets %d %d", r.resets[0], r.resets[1]);
	CHECK_MSG(r.est == 2, "established %d", r.est);
	CHECK_MSG(r.rtt >= 20, "rtt rows %d", r.rtt);
}

/* ---- closed connections are completed while the capture goes on ---- */

struct sweep_rec {
	int done;
	int64_t ids[8];
};

static int sw_done(void *ctx, const struct nt_pa_conn *c)
{
	struct sweep_rec *r = ctx;
	if (r->done < 8)
		r->ids[r->done] = c->conn_id;
	r->done++;
	return 0;
}

static struct nt_packet mk(uint8_t host_a, uint16_t sport, uint8_t host_b, uint16_t dport, uint32_t seq, uint32_t ack,
			    uint8_t flags)
{
	struct nt_packet t;

	memset(&t, 0, sizeof(t));
	t.family = 2;
	t.saddr[0] = 198; t.saddr[1] = 18; t.saddr[3] = host_a;
	t.daddr[0] = 198; t.daddr[1] = 18; t.daddr[3] = host_b;
	t.sport = sport;
	t.dport = dport;
	t.seq = seq;
	t.ack = ack;
	t.flags = flags;
	t.win = 1000;
	t.wscale = -1;
	return t;
}

static void test_sweep(void)
{
	struct sweep_rec r = { 0 };
	struct nt_pa_sink sink = { NULL, NULL, sw_done, &r };
	struct nt_pa *a = nt_pa__new(&sink, 1);
	struct nt_packet t;
	int64_t s = 1000000000LL;

	if (!a) {
		CHECK_MSG(0, "new");
		return;
	}
	t = mk(1, 40000, 2, 80, 100, 0, NT_TH_SYN);
	nt_pa__packet(a, &t, 0);
	t = mk(2, 80, 1, 40000, 500, 101, NT_TH_SYN | NT_TH_ACK);
	nt_pa__packet(a, &t, 1000);
	t = mk(1, 40000, 2, 80, 101, 501, NT_TH_RST);
	nt_pa__packet(a, &t, 2000);
	/* Another connection, 61 s later, for one sweep period. */
	for (uint32_t i = 0; i < NT_PA_SWEEP_EVERY; i++) {
		t = mk(3, 40001, 4, 81, 1000 + i, 1, NT_TH_ACK);
		CHECK_MSG(nt_pa__packet(a, &t, 61 * s + i) == 0, "packet");
	}
	CHECK_MSG(r.done == 1 && r.ids[0] == 1, "closed connection completed by the sweep (%d)", r.done);
	/* The tuple again: a new connection. */
	t = mk(1, 40000, 2, 80, 9000, 0, NT_TH_SYN);
	nt_pa__packet(a, &t, 62 * s);
	CHECK_MSG(nt_pa__finish(a) == 0, "finish");
	CHECK_MSG(r.done == 3 && r.ids[1] != 1 && r.ids[2] != 1, "the reused tuple is a new connection (%d)", r.done);
	nt_pa__free(a);
}

int main(int argc, char **argv)
{
	test_parse();
	test_sweep();
	if (argc > 1)
		test_analyze(argv[1]);
	if (check_failures) {
		fprintf(stderr, "%d failure(s)\n", check_failures);
		return 1;
	}
	printf("pcapimport unit: ok\n");
	return 0;
}
