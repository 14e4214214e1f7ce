/* gen_pcap.c: writes a small deterministic pcap (headers only) with known zero windows, retransmissions, RTT and resets. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Usage: nt-gen-pcap OUT.pcap [en10mb|sll|sll2|raw]
 * Three connections (expected values: tests/analyzer/pcap/import_cli.sh):
 *  1. IPv4 198.18.0.1:40000 -> 198.18.0.2:5001. The client offers window
 *     scaling, the server's SYN-ACK does not: scaling off. Data with RTT
 *     300 us, a fast retransmit after 3 duplicate ACKs (with SACK), two
 *     zero-window episodes advertised by the server (1.5 s and 1.2 s, 3
 *     zero-window segments, a window probe), an RTO retransmit after 400 ms of
 *     silence, then a RST from the server.
 *  2. IPv6 [2001:db8::1]:50000 -> [2001:db8::2]:443, scaling on (7 / 7), data
 *     from the server with RTT 2 ms, then 40 ms (an RTT spike), FIN both ways.
 *  3. IPv4 198.18.0.4:40001 -> 198.18.0.3:6000 captured mid-stream (no
 *     handshake): scaling unknown.
 * Frames keep only the headers (snaplen 128); IP lengths carry the payload.
 */

#define SNAP 128

static FILE *out;
static int linktype = 1;

static void put16le(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32le(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (24 - 8 * i)); }

struct ep {
	int v6;
	uint8_t addr[16];
	uint16_t port;
};

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

struct opt {
	int mss, ws, sackp;        /* ws -1 none */
	uint32_t sack_l, sack_r;   /* one SACK block when sack_r */
};

static uint16_t csum_ip(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void pkt(uint64_t t_us, const struct ep *src, const struct ep *dst, uint32_t seq, uint32_t ack, uint8_t flags,
		uint16_t win, uint32_t payload, const struct opt *o)
{
	uint8_t f[256], tcp[64];
	size_t n = 0, tl = 20, ipl = src->v6 ? 40 : 20;
	uint8_t rec[16];

	memset(f, 0, sizeof(f));
	memset(tcp, 0, sizeof(tcp));
	/* TCP options. */
	if (o) {
		if (o->mss) {
			tcp[tl++] = 2; tcp[tl++] = 4; put16(tcp + tl, (uint16_t)o->mss); tl += 2;
		}
		if (o->sackp) {
			tcp[tl++] = 4; tcp[tl++] = 2;
		}
		if (o->ws >= 0) {
			tcp[tl++] = 1; tcp[tl++] = 3; tcp[tl++] = 3; tcp[tl++] = (uint8_t)o->ws;
		}
		if (o->sack_r) {
			tcp[tl++] = 1; tcp[tl++] = 1; tcp[tl++] = 5; tcp[tl++] = 10;
			put32(tcp + tl, o->sack_l); put32(tcp + tl + 4, o->sack_r); tl += 8;
		}
		while (tl % 4)
			tcp[tl++] = 1;
	}
	put16(tcp, src->port);
	put16(tcp + 2, dst->port);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = (uint8_t)((tl / 4) << 4);
	tcp[13] = flags;
	put16(tcp + 14, win);
	/* Link header. */
	uint16_t et = src->v6 ? 0x86dd : 0x0800;
	switch (linktype) {
	case 1:
		memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
		put16(f + 12, et);
		n = 14;
		break;
	case 113:
		put16(f, 0); put16(f + 2, 1); put16(f + 4, 6);
		memcpy(f + 6, "\x02\x00\x00\x00\x00\x01\x00\x00", 8);
		put16(f + 14, et);
		n = 16;
		break;
	case 276:
		put16(f, et); put32(f + 4, 2); put16(f + 8, 1); f[10] = 0; f[11] = 6;
		memcpy(f + 12, "\x02\x00\x00\x00\x00\x01\x00\x00", 8);
		n = 20;
		break;
	default:
		n = 0;
		break;
	}
	/* IP header. */
	if (src->v6) {
		f[n] = 0x60;
		put16(f + n + 4, (uint16_t)(tl + payload));
		f[n + 6] = 6;
		f[n + 7] = 64;
		memcpy(f + n + 8, src->addr, 16);
		memcpy(f + n + 24, dst->addr, 16);
	} else {
		f[n] = 0x45;
		put16(f + n + 2, (uint16_t)(20 + tl + payload));
		put16(f + n + 6, 0x4000); /* DF */
		f[n + 8] = 64;
		f[n + 9] = 6;
		memcpy(f + n + 12, src->addr, 4);
		memcpy(f + n + 16, dst->addr, 4);
		put16(f + n + 10, csum_ip(f + n, 20));
	}
	memcpy(f + n + ipl, tcp, tl);
	size_t caplen = n + ipl + tl, orig = caplen + payload;
	if (caplen > SNAP)
		caplen = SNAP;
	put32le(rec, (uint32_t)(t_us / 1000000));
	put32le(rec + 4, (uint32_t)(t_us % 1000000));
	put32le(rec + 8, (uint32_t)caplen);
	put32le(rec + 12, (uint32_t)orig);
	fwrite(rec, 1, 16, out);
	fwrite(f, 1, caplen, out);
}

#define T0 1795000000000000ULL /* 2026-11-18, microseconds */

static void conn1(void)
{
	struct ep c = { 0, { 198, 18, 0, 1 }, 40000 }, s = { 0, { 198, 18, 0, 2 }, 5001 };
	struct opt syn = { 1460, 7, 1, 0, 0 }, synack = { 1460, -1, 1, 0, 0 };
	uint32_t cs = 1001, ss = 5001;
	uint64_t t = T0;

	pkt(t, &c, &s, 1000, 0, F_SYN, 64240, 0, &syn);
	pkt(t + 100, &s, &c, 5000, 1001, F_SYN | F_ACK, 65535, 0, &synack);
	pkt(t + 200, &c, &s, cs, ss, F_ACK, 64240, 0, NULL);
	/* Ten round trips of 300 us: RTT samples. */
	t += 1000;
	for (int i = 0; i < 10; i++, t += 1000) {
		pkt(t, &c, &s, cs, ss, F_ACK | F_PSH, 64240, 1000, NULL);
		cs += 1000;
		pkt(t + 300, &s, &c, ss, cs, F_ACK, 60000, 0, NULL);
	}
	/* Five segments, the second lost after the capture point: 3 dup ACKs with SACK, fast retransmit. */
	uint32_t lost = cs + 1000;
	for (int i = 0; i < 5; i++)
		pkt(t + 100 * (uint64_t)i, &c, &s, cs + 1000 * (uint32_t)i, ss, F_ACK, 64240, 1000, NULL);
	pkt(t + 300, &s, &c, ss, lost, F_ACK, 60000, 0, NULL);
	for (int i = 1; i <= 3; i++) {
		struct opt sk = { 0, -1, 0, lost + 1000, lost + 1000 * (uint32_t)i + 1000 };
		pkt(t + 400 + 100 * (uint64_t)i, &s, &c, ss, lost, F_ACK, 60000, 0, &sk);
	}
	pkt(t + 800, &c, &s, lost, ss, F_ACK, 64240, 1000, NULL);
	cs += 5000;
	pkt(t + 1100, &s, &c, ss, cs, F_ACK, 60000, 0, NULL);
	t += 10000;
	/* Zero window 1: 1.5 s, with a window probe answered by another zero window. */
	pkt(t, &c, &s, cs, ss, F_ACK | F_PSH, 64240, 1000, NULL);
	cs += 1000;
	pkt(t + 300, &s, &c, ss, cs, F_ACK, 0, 0, NULL);
	pkt(t + 200300, &c, &s, cs - 1, ss, F_ACK, 64240, 0, NULL);
	pkt(t + 200400, &s, &c, ss, cs, F_ACK, 0, 0, NULL);
	pkt(t + 1500300, &s, &c, ss, cs, F_ACK, 30000, 0, NULL);
	t += 2000000;
	/* Zero window 2: 1.2 s. */
	pkt(t, &c, &s, cs, ss, F_ACK | F_PSH, 64240, 1000, NULL);
	cs += 1000;
	pkt(t + 300, &s, &c, ss, cs, F_ACK, 0, 0, NULL);
	pkt(t + 1200300, &s, &c, ss, cs, F_ACK, 30000, 0, NULL);
	t += 1300000;
	/* RTO: no ACK for 400 ms, the segment is sent again. */
	pkt(t, &c, &s, cs, ss, F_ACK | F_PSH, 64240, 1000, NULL);
	pkt(t + 400000, &c, &s, cs, ss, F_ACK | F_PSH, 64240, 1000, NULL);
	cs += 1000;
	pkt(t + 400300, &s, &c, ss, cs, F_ACK, 60000, 0, NULL);
	/* The server resets the connection. */
	pkt(t + 500000, &s, &c, ss, cs, F_RST | F_ACK, 0, 0, NULL);
}

static void conn2(void)
{
	struct ep c = { 1, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, 50000 }, s = { 1, { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 }, 443 };
	struct opt syn = { 1440, 7, 1, 0, 0 };
	uint32_t cs = 70001, ss = 90001;
	uint64_t t = T0 + 5000000;

	pkt(t, &c, &s, 70000, 0, F_SYN, 64800, 0, &syn);
	pkt(t + 2000, &s, &c, 90000, 70001, F_SYN | F_ACK, 64800, 0, &syn);
	pkt(t + 4000, &c, &s, cs, ss, F_ACK, 507, 0, NULL);
	t += 5000;
	/* Six round trips of 2 ms, then six of 40 ms: an RTT spike against the connection's own baseline. */
	for (int i = 0; i < 12; i++) {
		uint64_t rtt = i < 6 ? 2000 : 40000;
		pkt(t, &s, &c, ss, cs, F_ACK | F_PSH, 500, 1400, NULL);
		ss += 1400;
		pkt(t + rtt, &c, &s, cs, ss, F_ACK, 507, 0, NULL);
		t += rtt + 3000;
	}
	pkt(t, &s, &c, ss, cs, F_ACK | F_FIN, 500, 0, NULL);
	pkt(t + 2000, &c, &s, cs, ss + 1, F_ACK | F_FIN, 507, 0, NULL);
	pkt(t + 4000, &s, &c, ss + 1, cs + 1, F_ACK, 500, 0, NULL);
}

static void conn3(void)
{
	struct ep c = { 0, { 198, 18, 0, 4 }, 40001 }, s = { 0, { 198, 18, 0, 3 }, 6000 };
	uint32_t cs = 123456789, ss = 987654321;
	uint64_t t = T0 + 6000000;

	for (int i = 0; i < 4; i++, t += 1000) {
		pkt(t, &c, &s, cs, ss, F_ACK | F_PSH, 1000, 500, NULL);
		cs += 500;
		pkt(t + 500, &s, &c, ss, cs, F_ACK, 2000, 0, NULL);
	}
}

int main(int argc, char **argv)
{
	uint8_t hdr[24];

	if (argc < 2) {
		fprintf(stderr, "usage: nt-gen-pcap OUT.pcap [en10mb|sll|sll2|raw]\n");
		return 2;
	}
	if (argc > 2) {
		if (!strcmp(argv[2], "en10mb")) linktype = 1;
		else if (!strcmp(argv[2], "sll")) linktype = 113;
		else if (!strcmp(argv[2], "sll2")) linktype = 276;
		else if (!strcmp(argv[2], "raw")) linktype = 101;
		else {
			fprintf(stderr, "nt-gen-pcap: unknown link type '%s' (en10mb, sll, sll2, raw)\n", argv[2]);
			return 2;
		}
	}
	out = fopen(argv[1], "wb");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	put32le(hdr, 0xa1b2c3d4);
	put16le(hdr + 4, 2);
	put16le(hdr + 6, 4);
	put32le(hdr + 8, 0);
	put32le(hdr + 12, 0);
	put32le(hdr + 16, SNAP);
	put32le(hdr + 20, (uint32_t)linktype);
	fwrite(hdr, 1, 24, out);
	/* Capture order: the connections interleave by time only loosely; write them in order of start. */
	conn1();
	conn2();
	conn3();
	if (fclose(out)) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
