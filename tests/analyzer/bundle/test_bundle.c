/* test_bundle.c: unit tests of the bundle's pieces: pcapng_writer (pcap/, the bundle's capture), tar_writer and anonymize (the --conn and --from/--to checks are in tests/analyzer/util/). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/anonymize.h"
#include "pcap/pcapng_writer.h"
#include "bundle/tar_writer.h"
#include "check.h"


static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t rd16le(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* Reads the whole content of a tmpfile. */
static uint8_t *slurp(FILE *f, size_t *len)
{
	fflush(f);
	long n = ftell(f);
	rewind(f);
	uint8_t *b = malloc((size_t)n + 1);
	*len = fread(b, 1, (size_t)n, f);
	return b;
}

/* Finds option `code` in an options area; returns its value pointer or NULL. */
static const uint8_t *find_opt(const uint8_t *p, size_t len, uint16_t code, uint16_t *olen)
{
	size_t i = 0;
	while (i + 4 <= len) {
		uint16_t c = rd16le(p + i), l = rd16le(p + i + 2);
		if (c == 0)
			return NULL;
		if (c == code) {
			*olen = l;
			return p + i + 4;
		}
		i += 4 + ((l + 3u) & ~3u);
	}
	return NULL;
}

static void test_pcapng(void)
{
	FILE *f = tmpfile();
	struct pcapng_writer *w = pcapng_writer__open(f, PCAP_OUT_PCAPNG, 128, "nettape test", "Linux", NULL);
	CHECK(w);
	int a = pcapng_writer__add_iface(w, 1, "veth0", "netns blue");
	int b = pcapng_writer__add_iface(w, 113, "any", NULL);
	CHECK(a == 0 && b == 1);
	uint8_t pkt[61];
	memset(pkt, 0xab, sizeof(pkt));
	uint64_t ts = 1763776800123456789ull;
	CHECK(pcapng_writer__packet(w, a, ts, pkt, sizeof(pkt), 1500, PCAP_DIR_OUTBOUND) == 0);
	CHECK(pcapng_writer__packet(w, b, ts + 1, pkt, 3, 0, PCAP_DIR_UNKNOWN) == 0);
	CHECK(pcapng_writer__packet(w, 7, ts, pkt, 3, 3, PCAP_DIR_INBOUND) == -EINVAL);
	CHECK(pcapng_writer__finish(w) == 0);
	CHECK(pcapng_writer__npackets(w) == 2);
	pcapng_writer__free(w);
	size_t len;
	uint8_t *buf = slurp(f, &len);
	fclose(f);
	/* walk the blocks: lengths consistent, multiple of 4 */
	size_t off = 0;
	int nblocks = 0, nidb = 0, nepb = 0;
	while (off + 12 <= len) {
		uint32_t type = rd32(buf + off), blen = rd32(buf + off + 4);
		CHECK(blen % 4 == 0 && blen >= 12 && off + blen <= len);
		if (blen % 4 || blen < 12 || off + blen > len)
			break;
		CHECK(rd32(buf + off + blen - 4) == blen);
		const uint8_t *body = buf + off + 8;
		uint16_t ol;
		if (nblocks == 0) {
			CHECK(type == 0x0A0D0D0A);
			CHECK(rd32(body) == 0x1A2B3C4D);
			const uint8_t *app = find_opt(body + 16, blen - 12 - 16, 4, &ol);
			CHECK(app && ol == 12 && !memcmp(app, "nettape test", 12));
		} else if (type == 1) {
			nidb++;
			CHECK(rd32(body + 4) == 128);
			const uint8_t *res = find_opt(body + 8, blen - 12 - 8, 9, &ol);
			CHECK(res && ol == 1 && res[0] == 9);
			const uint8_t *nm = find_opt(body + 8, blen - 12 - 8, 2, &ol);
			CHECK(nm && ((nidb == 1 && ol == 5 && !memcmp(nm, "veth0", 5)) ||
				     (nidb == 2 && ol == 3 && !memcmp(nm, "any", 3))));
			CHECK(rd16le(body) == (nidb == 1 ? 1 : 113));
		} else if (type == 6) {
			nepb++;
			uint64_t t = ((uint64_t)rd32(body + 4) << 32) | rd32(body + 8);
			CHECK(t == ts + (uint64_t)(nepb - 1));
			uint32_t cap = rd32(body + 12), orig = rd32(body + 16);
			if (nepb == 1) {
				CHECK(rd32(body) == 0 && cap == 61 && orig == 1500);
				const uint8_t *fl = find_opt(body + 20 + 64, blen - 12 - 20 - 64, 2, &ol);
				CHECK(fl && ol == 4 && rd32(fl) == 2);
			} else {
				CHECK(rd32(body) == 1 && cap == 3 && orig == 3);
				CHECK(blen == 12 + 20 + 4); /* no options block when direction unknown */
			}
		}
		nblocks++;
		off += blen;
	}
	CHECK(off == len && nidb == 2 && nepb == 2);
	free(buf);

	/* classic pcap: ns magic, one link type, other link types refused */
	f = tmpfile();
	w = pcapng_writer__open(f, PCAP_OUT_PCAP, 0, NULL, NULL, NULL);
	CHECK(pcapng_writer__add_iface(w, 1, "a", NULL) == 0);
	CHECK(pcapng_writer__add_iface(w, 1, "b", NULL) == 0);
	CHECK(pcapng_writer__add_iface(w, 113, "c", NULL) == -EPROTOTYPE);
	CHECK(pcapng_writer__packet(w, 0, 5000000001ull, pkt, 10, 20, PCAP_DIR_INBOUND) == 0);
	CHECK(pcapng_writer__finish(w) == 0);
	pcapng_writer__free(w);
	buf = slurp(f, &len);
	fclose(f);
	CHECK(len == 24 + 16 + 10);
	CHECK(rd32(buf) == 0xA1B23C4D && rd32(buf + 16) == 262144 && rd32(buf + 20) == 1);
	CHECK(rd32(buf + 24) == 5 && rd32(buf + 28) == 1 && rd32(buf + 32) == 10 && rd32(buf + 36) == 20);
	free(buf);

	/* an empty classic file still has its header */
	f = tmpfile();
	w = pcapng_writer__open(f, PCAP_OUT_PCAP, 0, NULL, NULL, NULL);
	CHECK(pcapng_writer__finish(w) == 0);
	pcapng_writer__free(w);
	buf = slurp(f, &len);
	fclose(f);
	CHECK(len == 24 && rd32(buf + 20) == 1);
	free(buf);
	pcapng_writer__free(NULL);
}

static unsigned octal(const char *p, size_t n)
{
	unsigned v = 0;
	for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (unsigned)(p[i] - '0');
	return v;
}

static void test_tar(void)
{
	FILE *f = tmpfile();
	struct tar_writer *w = tar_writer__open(f, 1763776800);
	CHECK(w);
	CHECK(tar_writer__add_dir(w, "b", 0755) == 0);
	CHECK(tar_writer__add_mem(w, "b/README.txt", "hello\n", 6, 0644) == 0);
	char longname[200];
	memset(longname, 'x', sizeof(longname));
	memcpy(longname, "dir-with-a-long-name/", 21);
	memset(longname + 21, 'd', 110);
	longname[131] = '/';
	strcpy(longname + 132, "file.txt");
	CHECK(tar_writer__add_mem(w, longname, "", 0, 0644) == 0);
	char toolong[400];
	memset(toolong, 'y', sizeof(toolong) - 1);
	toolong[sizeof(toolong) - 1] = '\0';
	CHECK(tar_writer__add_mem(w, toolong, "", 0, 0644) == -ENAMETOOLONG);
	CHECK(tar_writer__add_mem(w, "/abs", "", 0, 0644) == -EINVAL);
	CHECK(tar_writer__add_file(w, "missing", "/nonexistent/file", 0644) == -ENOENT);
	CHECK(tar_writer__finish(w) == 0);
	tar_writer__free(w);
	size_t len;
	uint8_t *buf = slurp(f, &len);
	fclose(f);
	CHECK(len == 512 * (1 + 2 + 1 + 2));
	static const size_t hdr_offs[] = { 0, 512, 3 * 512 }; /* block 2 holds README's data */
	for (size_t k = 0; k < 3 && hdr_offs[k] + 512 <= len; k++) {
		size_t off = hdr_offs[k];
		char *h = (char *)buf + off;
		unsigned sum = 0;
		for (int i = 0; i < 512; i++)
			sum += (i >= 148 && i < 156) ? ' ' : (unsigned char)h[i];
		CHECK(octal(h + 148, 8) == sum);
		CHECK(!memcmp(h + 257, "ustar", 6) && !memcmp(h + 263, "00", 2));
		if (off == 512) {
			CHECK(!strcmp(h, "b/README.txt") && octal(h + 124, 12) == 6 && h[156] == '0');
			CHECK(!memcmp(buf + 1024, "hello\n", 6));
			CHECK(octal(h + 136, 12) == 1763776800u);
		}
		if (off == 0)
			CHECK(!strcmp(h, "b/") && h[156] == '5');
	}
	/* the long name is split into prefix/name */
	char *h3 = (char *)buf + 3 * 512;
	CHECK(!strncmp(h3, "file.txt", 100) && !strncmp(h3 + 345, longname, 131));
	free(buf);
	tar_writer__free(NULL);
}

static void test_anon_basic(void)
{
	struct anon *a = anon__new();
	CHECK(a);
	uint8_t x[16] = { 0 }, y[16] = { 0 }, z[16] = { 0 }, lo[16] = { 127, 0, 0, 1 };
	inet_pton(AF_INET, "198.18.0.1", x);
	inet_pton(AF_INET, "198.18.0.1", y);
	inet_pton(AF_INET, "198.18.0.2", z);
	CHECK(anon_addr(a, 2, x) == 0 && anon_addr(a, 2, y) == 0 && anon_addr(a, 2, z) == 0);
	CHECK(!memcmp(x, y, 4) && memcmp(x, z, 4));
	CHECK(x[0] >= 240);
	CHECK(anon_addr(a, 2, lo) == 0 && lo[0] == 127 && lo[3] == 1);
	/* v4-mapped IPv6 follows the IPv4 table */
	uint8_t m[16];
	inet_pton(AF_INET6, "::ffff:198.18.0.1", m);
	CHECK(anon_addr(a, 10, m) == 0 && !memcmp(m + 12, x, 4));
	uint8_t v6a[16], v6b[16];
	inet_pton(AF_INET6, "2001:db8::1", v6a);
	inet_pton(AF_INET6, "2001:db8::1", v6b);
	anon_addr(a, 10, v6a);
	anon_addr(a, 10, v6b);
	CHECK(!memcmp(v6a, v6b, 16) && v6a[0] == 0xfd);
	/* ports */
	CHECK(anon_port(a, 443, NULL) == 443 && anon_port(a, 22, NULL) == 22);
	uint16_t p1 = anon_port(a, 45678, NULL), p2 = anon_port(a, 45679, NULL);
	CHECK(p1 != 45678 && p1 != p2 && p1 == anon_port(a, 45678, NULL) && p1 >= 1024);
	/* names */
	const char *h1 = anon_name(a, ANON_HOST, "db-prod-7", 9);
	const char *h2 = anon_name(a, ANON_HOST, "db-prod-7", 9);
	const char *h3 = anon_name(a, ANON_HOST, "db-prod-8", 9);
	CHECK(h1 && h1 == h2 && strcmp(h1, h3) && !strstr(h1, "db-prod"));
	CHECK(!strcmp(anon_name(a, ANON_IFACE, "lo", 2), "lo"));
	CHECK(!strcmp(anon_name(a, ANON_NETNS, "init", 4), "init"));
	CHECK(!strcmp(anon_name(a, ANON_COMM, "", 0), ""));
	const char *c1 = anon_name(a, ANON_CGROUP, "/system.slice/a.service", 23);
	const char *c2 = anon_name(a, ANON_CGROUP, "/system.slice/b.service", 23);
	CHECK(c1 && c2 && !strstr(c1, "system") && !strncmp(c1, c2, 6) && strcmp(c1, c2));
	const char *b1 = anon_name(a, ANON_BOOT_ID, "3f1c2a9e-5b7d", 13);
	CHECK(b1 && strlen(b1) == 36 && b1[14] == '4');
	uint64_t k1 = anon_ksym(a, 0xffffffff81a3b000ull, NULL);
	CHECK(k1 != 0xffffffff81a3b000ull && k1 == anon_ksym(a, 0xffffffff81a3b000ull, NULL));
	/* many values: the table grows and stays injective */
	uint8_t first[16] = { 0 };
	for (uint32_t i = 0; i < 5000; i++) {
		uint8_t v[16] = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
		anon_addr(a, 2, v);
		if (i == 0)
			memcpy(first, v, 4);
		else
			CHECK(memcmp(first, v, 4));
	}
	uint8_t again[16] = { 10, 0, 0, 0 };
	anon_addr(a, 2, again);
	CHECK(!memcmp(again, first, 4));
	anon__free(a);
	anon__free(NULL);
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static void test_anon_packet(void)
{
	struct anon *a = anon__new();
	uint8_t p[128];
	memset(p, 0, sizeof(p));
	/* Ethernet, IPv4 with 4 bytes of options, TCP with MSS, an unknown option (kind 30), WS */
	memcpy(p, "\x52\x54\x00\x11\x22\x33\x52\x54\x00\x44\x55\x66\x08\x00", 14);
	uint8_t *ip = p + 14;
	ip[0] = 0x46;
	ip[9] = 6;
	inet_pton(AF_INET, "198.18.0.1", ip + 12);
	inet_pton(AF_INET, "198.18.0.2", ip + 16);
	ip[20] = 7; ip[21] = 4; ip[22] = 0xaa; ip[23] = 0xbb; /* record route-ish option */
	uint8_t *t = ip + 24;
	t[0] = 0xb2; t[1] = 0x6e; t[2] = 0x01; t[3] = 0xbb; /* 45678 -> 443 */
	t[12] = (32 / 4) << 4;
	t[13] = 0x02;
	memcpy(t + 20, "\x02\x04\x05\xb4\x1e\x03\xcc\x03\x03\x07\x00\x00", 12);
	memcpy(t + 32, "SECRET PAYLOAD", 14);
	uint32_t caplen = (uint32_t)(14 + 24 + 32 + 14);
	CHECK(anon_packet(a, NT_LINKTYPE_ETHERNET, p, caplen) == 0);
	CHECK(memcmp(p, "\x52\x54\x00\x11\x22\x33", 6) && p[0] == 0x02);
	uint8_t want[16] = { 0 };
	inet_pton(AF_INET, "198.18.0.1", want);
	anon_addr(a, 2, want);
	CHECK(!memcmp(ip + 12, want, 4));
	CHECK(ip[20] == 0 && ip[22] == 0);
	/* IPv4 header checksum is valid again */
	uint32_t sum = 0;
	for (int i = 0; i < 24; i += 2)
		sum += be16(ip + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	CHECK(sum == 0xffff);
	CHECK(be16(t) == anon_port(a, 45678, NULL) && be16(t + 2) == 443);
	CHECK(!memcmp(t + 20, "\x02\x04\x05\xb4\x01\x01\x01\x03\x03\x07\x00\x00", 12));
	for (int i = 0; i < 14; i++)
		CHECK(t[32 + i] == 0);
	struct nt_packet pi;
	CHECK(nt_packet_parse(NT_LINKTYPE_ETHERNET, p, caplen, caplen, &pi) == NT_PKT_TCP);
	CHECK(pi.family == 2 && pi.has_ports && pi.dport == 443 && pi.payload_off == 14 + 24 + 32);

	/* IPv6 with a hop-by-hop header in front of TCP, via Linux cooked capture v1 */
	uint8_t q[128];
	memset(q, 0, sizeof(q));
	q[15] = 0xdd; q[14] = 0x86; q[5] = 6;
	memcpy(q + 6, "\x52\x54\x00\x77\x88\x99", 6);
	uint8_t *ip6 = q + 16;
	ip6[0] = 0x60;
	ip6[6] = 0; /* hop-by-hop */
	inet_pton(AF_INET6, "2001:db8::1", ip6 + 8);
	inet_pton(AF_INET6, "2001:db8::2", ip6 + 24);
	uint8_t *hbh = ip6 + 40;
	hbh[0] = 6; hbh[1] = 0; hbh[2] = 0xee; hbh[7] = 0xee;
	uint8_t *t6 = hbh + 8;
	t6[0] = 0x20; t6[1] = 0xfb; t6[2] = 0xc9; t6[3] = 0x3b;
	t6[12] = 5 << 4;
	memcpy(t6 + 20, "PAYLOAD", 7);
	uint32_t cap6 = (uint32_t)(16 + 40 + 8 + 20 + 7);
	CHECK(nt_packet_parse(NT_LINKTYPE_LINUX_SLL, q, cap6, cap6, &pi) == NT_PKT_TCP);
	CHECK(pi.family == 10 && pi.sport == 8443 && pi.dport == 51515);
	CHECK(anon_packet(a, NT_LINKTYPE_LINUX_SLL, q, cap6) == 0);
	CHECK(q[6] == 0x02 && ip6[8] == 0xfd && hbh[2] == 0 && hbh[7] == 0 && hbh[0] == 6);
	CHECK(be16(t6) == anon_port(a, 8443, NULL) && t6[20] == 0);

	/* ARP and unknown link types keep nothing past the link header */
	uint8_t arp[42];
	memset(arp, 0x5a, sizeof(arp));
	arp[12] = 0x08; arp[13] = 0x06;
	CHECK(anon_packet(a, NT_LINKTYPE_ETHERNET, arp, sizeof(arp)) == 0);
	for (size_t i = 14; i < sizeof(arp); i++)
		CHECK(arp[i] == 0);
	uint8_t unk[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	CHECK(anon_packet(a, 9999, unk, sizeof(unk)) == 0 && unk[0] == 0 && unk[7] == 0);

	/* every truncation and random bytes: no crash (ASan), nothing read past caplen */
	uint8_t copy[128];
	for (uint32_t n = 0; n <= caplen; n++) {
		memset(copy, 0, sizeof(copy));
		memcpy(copy, p, n);
		uint8_t *heap = malloc(n ? n : 1);
		memcpy(heap, copy, n);
		anon_packet(a, NT_LINKTYPE_ETHERNET, heap, n);
		nt_packet_parse(NT_LINKTYPE_ETHERNET, heap, n, n, &pi);
		free(heap);
	}
	srand(7);
	static const uint16_t lts[] = { 0, 1, 12, 101, 113, 228, 229, 276 };
	for (int iter = 0; iter < 20000; iter++) {
		uint32_t n = (uint32_t)(rand() % 96);
		uint8_t *heap = malloc(n ? n : 1);
		for (uint32_t i = 0; i < n; i++)
			heap[i] = (uint8_t)rand();
		if (n > 14 && (iter & 1)) {
			heap[12] = 0x08; heap[13] = 0x00; heap[14] = 0x40 | (heap[14] & 0x0f);
		}
		uint16_t lt = lts[iter % 8];
		anon_packet(a, lt, heap, n);
		nt_packet_parse(lt, heap, n, n, &pi);
		free(heap);
	}
	anon__free(a);
}

static void test_anon_records(void)
{
	struct anon *a = anon__new();
	const void *out;
	uint32_t olen;
	uint8_t buf[512];
	struct nt_rec_process pr = { .pid = 42, .cgroup = 7 };
	strcpy(pr.comm, "api-server");
	memcpy(buf, &pr, sizeof(pr));
	memcpy(buf + sizeof(pr), "/opt/api --secret", 17);
	CHECK(anon_record(a, NT_REC_PROCESS, buf, sizeof(pr) + 17, NULL, NULL, &out, &olen) == 1);
	struct nt_rec_process po;
	memcpy(&po, out, sizeof(po));
	CHECK(po.pid == 42 && strcmp(po.comm, "api-server") && !memmem(out, olen, "secret", 6));
	CHECK(anon_record(a, NT_REC_CONFIG, "k=v", 3, NULL, NULL, &out, &olen) == 0);
	CHECK(anon_record(a, 0x0199, buf, 64, NULL, NULL, &out, &olen) == 0);
	CHECK(anon_record(a, NT_REC_DROP, buf, 10, NULL, NULL, &out, &olen) == -EINVAL);
	struct nt_rec_cgroup cg = { .id = 7, .path_len = 10, .container_len = 4 };
	memcpy(buf, &cg, sizeof(cg));
	memcpy(buf + sizeof(cg), "/a/b/c.scpabcd", 14);
	CHECK(anon_record(a, NT_REC_CGROUP, buf, sizeof(cg) + 14, NULL, NULL, &out, &olen) == 1);
	memcpy(&cg, out, sizeof(cg));
	CHECK(sizeof(cg) + cg.path_len + cg.container_len == olen);
	CHECK(!memmem(out, olen, "abcd", 4) && !memmem(out, olen, "c.scp", 5));
	/* a lying path length is clamped, not trusted */
	cg.path_len = 60000;
	memcpy(buf, &cg, sizeof(cg));
	CHECK(anon_record(a, NT_REC_CGROUP, buf, sizeof(cg) + 3, NULL, NULL, &out, &olen) == 1);
	struct nt_ev_drop d;
	memset(&d, 0, sizeof(d));
	d.c.family = 2;
	d.c.sport = 40000;
	d.c.dport = 80;
	inet_pton(AF_INET, "203.0.113.9", d.c.saddr);
	d.location = 0xffffffff81000010ull;
	CHECK(anon_record(a, NT_REC_DROP, &d, sizeof(d), NULL, NULL, &out, &olen) == 1);
	struct nt_ev_drop da;
	memcpy(&da, out, sizeof(da));
	CHECK(da.c.sport != 40000 && da.c.dport == 80 && da.c.saddr[0] >= 240);
	CHECK(da.location != d.location);

	/* random payloads of every type: no crash, sane output (ASan checks the bounds) */
	static const uint16_t types[] = { NT_REC_CLOCK, NT_REC_ENUM_NAME, NT_REC_SYMBOL,
		NT_REC_PROCESS, NT_REC_CGROUP, NT_REC_NETNS, NT_REC_IFACE, NT_REC_SOCKET,
		NT_REC_LOSS, NT_REC_PIN, NT_REC_CONFIG, NT_REC_DROP, NT_REC_RETRANS, NT_REC_CONG,
		NT_REC_STATE, NT_REC_SAMPLE, NT_REC_RESET, NT_REC_STALL, NT_REC_BUFFER,
		NT_REC_LISTEN, NT_REC_PACKET, 0x0150, 0x0300 };
	srand(11);
	for (int iter = 0; iter < 20000; iter++) {
		uint16_t ty = types[(size_t)iter % (sizeof(types) / sizeof(types[0]))];
		uint32_t n = (uint32_t)(rand() % 300);
		uint8_t *heap = malloc(n ? n : 1);
		for (uint32_t i = 0; i < n; i++)
			heap[i] = (uint8_t)rand();
		int r = anon_record(a, ty, heap, n, NULL, NULL, &out, &olen);
		CHECK(r == 0 || r == 1 || r == -EINVAL);
		if (r == 1)
			CHECK(olen >= nt_rec_min_size(ty) && olen < 65536);
		free(heap);
	}
	anon__free(a);
}

int main(void)
{
	test_pcapng();
	test_tar();
	test_anon_basic();
	test_anon_packet();
	test_anon_records();
	if (check_failures) {
		fprintf(stderr, "%d checks failed\n", check_failures);
		return 1;
	}
	printf("PASS: pcapbundle unit tests\n");
	return 0;
}
