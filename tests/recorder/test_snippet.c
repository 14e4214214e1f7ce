/* test_snippet.c: unit tests of recorder/snippet.c over synthetic pcap files: bounded ring, eviction, tuple matching, pre/post windows, link types. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "snippet.h"

#define MS 1000000ULL
#define SEC 1000000000ULL
#define B0 (5000 * SEC)               /* boottime of the first packet */
#define R0 (1700000000ULL * SEC)      /* its realtime */
#define NPKT 6000
#define FRAME 200

/* Packet i (one per ms) is of kind i % 6. */
enum { K_A_FWD, K_B_FWD, K_C_FWD, K_A_REV, K_UDP, K_B_REV };

struct rec {
	uint64_t ts;
	struct nt_rec_packet h;
	uint32_t caplen;
	unsigned char bytes[256];
};

struct out {
	struct rec *r;
	size_t n, cap;
};

static int append(void *ctx, uint16_t type, uint64_t ts, const void *data, uint32_t len)
{
	struct out *o = ctx;
	struct rec *r;

	CHECK_EQ(type, NT_REC_PACKET);
	CHECK(len >= sizeof(struct nt_rec_packet) && len <= sizeof(struct nt_rec_packet) + 256);
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 256;
		o->r = realloc(o->r, o->cap * sizeof(*o->r));
	}
	r = &o->r[o->n++];
	r->ts = ts;
	memcpy(&r->h, data, sizeof(r->h));
	r->caplen = len - (uint32_t)sizeof(r->h);
	memcpy(r->bytes, (const char *)data + sizeof(r->h), r->caplen);
	return 0;
}

static void fixed_pair(void *ctx, uint64_t *boot, uint64_t *real)
{
	*boot = B0;
	*real = R0;
}

static const char *tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t ? t : "/tmp";
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* One Ethernet (or SLL / SLL2 / raw) frame of FRAME bytes for kind k. */
static uint32_t frame(int linktype, int k, unsigned char *buf, uint8_t pkttype, uint32_t ifindex)
{
	unsigned char *ip;
	uint32_t l2;
	int v6 = k == K_C_FWD, rev = k == K_A_REV || k == K_B_REV;
	uint16_t cport = k == K_B_FWD || k == K_B_REV ? 40001 : v6 ? 40002 : 40000;
	uint16_t sport = v6 ? 443 : 80, p1 = rev ? sport : cport, p2 = rev ? cport : sport;

	memset(buf, 0, FRAME);
	switch (linktype) {
	case DLT_EN10MB:
		put16(buf + 12, v6 ? 0x86dd : 0x0800);
		l2 = 14;
		break;
	case DLT_LINUX_SLL:
		put16(buf, pkttype);
		put16(buf + 14, v6 ? 0x86dd : 0x0800);
		l2 = 16;
		break;
	case DLT_LINUX_SLL2:
		put16(buf, v6 ? 0x86dd : 0x0800);
		buf[4] = (unsigned char)(ifindex >> 24);
		buf[5] = (unsigned char)(ifindex >> 16);
		buf[6] = (unsigned char)(ifindex >> 8);
		buf[7] = (unsigned char)ifindex;
		put16(buf + 8, 1);
		buf[10] = pkttype;
		l2 = 20;
		break;
	default:
		l2 = 0;
	}
	ip = buf + l2;
	if (v6) {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)(FRAME - l2 - 40));
		ip[6] = 6;
		ip[7] = 64;
		inet_pton(AF_INET6, "2001:db8::1", ip + 8);
		inet_pton(AF_INET6, "2001:db8::2", ip + 24);
		put16(ip + 40, p1);
		put16(ip + 42, p2);
		ip[40 + 12] = 0x50;
		return FRAME;
	}
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(FRAME - l2));
	ip[8] = 64;
	ip[9] = k == K_UDP ? 17 : 6;
	inet_pton(AF_INET, rev ? "198.18.0.2" : "198.18.0.1", ip + 12);
	inet_pton(AF_INET, rev ? "198.18.0.1" : "198.18.0.2", ip + 16);
	put16(ip + 20, k == K_UDP ? 5353 : p1);
	put16(ip + 22, k == K_UDP ? 53 : p2);
	ip[20 + 12] = 0x50;
	return FRAME;
}

/* Writes NPKT packets (one per ms from R0) of the given link type. */
static void make_pcap_v(const char *path, int linktype, int n, int vary)
{
	pcap_t *d = pcap_open_dead_with_tstamp_precision(linktype, 65535, PCAP_TSTAMP_PRECISION_NANO);
	pcap_dumper_t *w = pcap_dump_open(d, path);
	unsigned char buf[FRAME];
	int i;

	CHECK(w != NULL);
	for (i = 0; i < n; i++) {
		struct pcap_pkthdr h;
		uint64_t t = R0 + (uint64_t)i * MS;
		int k = i % 6;

		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = (time_t)(t / SEC);
		h.ts.tv_usec = (suseconds_t)(t % SEC); /* nanoseconds in a nano file */
		h.caplen = h.len = frame(linktype, k, buf, k == K_A_REV ? 0 : 4, 7);
		if (vary) /* 60..199 bytes: ring entries of many sizes */
			h.caplen = h.len = 60 + (uint32_t)(i * 37 % 140);
		pcap_dump((u_char *)w, &h, buf);
	}
	pcap_dump_close(w);
	pcap_close(d);
}

static void make_pcap(const char *path, int linktype, int n)
{
	make_pcap_v(path, linktype, n, 0);
}

static struct snippet *open_off(const char *path, struct out *o, uint64_t ring, uint64_t pre,
				uint64_t post, const char *filter)
{
	struct snippet_opts so;
	char err[256];
	struct snippet *s;

	memset(o, 0, sizeof(*o));
	memset(&so, 0, sizeof(so));
	so.ring_bytes = ring;
	so.pre_ns = pre;
	so.post_ns = post;
	so.filter = filter;
	so.append = append;
	so.ctx = o;
	so.clock_pair = fixed_pair;
	so.netns_inode = 4026531840u;
	s = snippet__open_offline(&so, path, err, sizeof(err));
	if (!s)
		fprintf(stderr, "open_offline: %s\n", err);
	CHECK(s);
	return s;
}

static struct nt_conn conn_v4(const char *sa, uint16_t sp, const char *da, uint16_t dp)
{
	struct nt_conn c;

	memset(&c, 0, sizeof(c));
	c.family = 2;
	c.proto = 6;
	if (sa)
		inet_pton(AF_INET, sa, c.saddr);
	if (da)
		inet_pton(AF_INET, da, c.daddr);
	c.sport = sp;
	c.dport = dp;
	return c;
}

static struct trigger_fire fire(const struct nt_conn *c, uint64_t ts, uint64_t cookie)
{
	struct trigger_fire f;

	memset(&f, 0, sizeof(f));
	f.kind = NT_TRIGGER_MANUAL;
	f.ts = ts;
	if (c)
		f.conn = *c;
	f.cookie = cookie;
	return f;
}

/* Index of the generated packet a record holds (from its timestamp). */
static int idx_of(const struct rec *r)
{
	return (int)((r->ts - B0) / MS);
}

static int kind_of_idx(int i)
{
	return i % 6;
}

static void test_no_trigger_and_bound(const char *path)
{
	struct out o;
	struct snippet *s = open_off(path, &o, 64 << 10, 0, 0, NULL);
	struct snippet_stats st;
	uint64_t per = 64 + 128;   /* entry header (struct ent) + snaplen */
	int n, total = 0;

	while ((n = snippet__feed_offline(s, 500)) > 0)
		total += n;
	CHECK_EQ(n, 0);
	snippet__stats(s, &st);
	CHECK_EQ(total, NPKT - NPKT / 6);        /* the UDP packets never pass "tcp" */
	CHECK_EQ(st.packets, NPKT - NPKT / 6);
	CHECK_EQ(o.n, 0);                          /* no trigger: nothing kept */
	CHECK_EQ(st.written, 0);
	CHECK(st.ring_used <= st.ring_bytes);
	CHECK(st.ring_peak <= st.ring_bytes);
	CHECK_EQ(st.ring_bytes, 64 << 10);
	CHECK_EQ(st.ring_used, st.ring_entries * per);
	CHECK_EQ(st.evicted + st.ring_entries, st.packets);
	CHECK(st.ring_entries >= (64 << 10) / per - 1);
	printf("ring bound: %" PRIu64 " bytes; %" PRIu64 " packets fed, %" PRIu64 " held (%" PRIu64
	       " bytes each, peak %" PRIu64 " bytes), %" PRIu64 " evicted, 0 written\n",
	       st.ring_bytes, st.packets, st.ring_entries, per, st.ring_peak, st.evicted);

	/* After eviction the pre-window is cut at the oldest packet held: a
	 * fire for A with a 10 s pre-window writes exactly A's held packets. */
	{
		struct nt_conn a = conn_v4("198.18.0.1", 40000, "198.18.0.2", 80);
		struct trigger_fire f = fire(&a, B0 + (NPKT - 1) * MS, 1);
		uint64_t held = st.ring_entries, want = 0, k;
		int i;

		/* The last `held` TCP packets. */
		for (i = NPKT - 1, k = 0; k < held; i--) {
			if (kind_of_idx(i) == K_UDP)
				continue;
			k++;
			if (kind_of_idx(i) == K_A_FWD || kind_of_idx(i) == K_A_REV)
				want++;
		}
		CHECK_EQ(snippet__fire(s, &f), want);
		CHECK_EQ(o.n, want);
	}
	snippet__free(s);
	free(o.r);
}

/* Fire for A at 3000 ms, pre 200, post 100: A's packets of [2800, 3100],
 * written partly at the fire (those fed already) and partly as they come. */
static void test_windows(const char *path)
{
	struct out o;
	struct snippet *s = open_off(path, &o, 16 << 20, 200 * MS, 100 * MS, NULL);
	/* Given in the other orientation: matching is either direction. */
	struct nt_conn a = conn_v4("198.18.0.2", 80, "198.18.0.1", 40000);
	struct trigger_fire f = fire(&a, B0 + 3000 * MS, 555);
	struct snippet_stats st;
	size_t i;
	int at_fire, want = 0, k;

	CHECK_EQ(snippet__feed_offline(s, 3050 - 3050 / 6), 3050 - 3050 / 6);
	at_fire = snippet__fire(s, &f);
	while (snippet__feed_offline(s, 0) > 0)
		;
	for (k = 2800; k <= 3100; k++)
		if (kind_of_idx(k) == K_A_FWD || kind_of_idx(k) == K_A_REV)
			want++;
	CHECK_EQ(o.n, (size_t)want);
	CHECK(at_fire > 0 && at_fire < want);
	for (i = 0; i < o.n; i++) {
		const struct rec *r = &o.r[i];
		int kk = kind_of_idx(idx_of(r));

		CHECK(r->ts >= f.ts - 200 * MS && r->ts <= f.ts + 100 * MS);
		CHECK(kk == K_A_FWD || kk == K_A_REV);
		CHECK_EQ(r->h.cookie, 555);
		CHECK_EQ(r->h.orig_len, FRAME);
		CHECK_EQ(r->caplen, 128);
		CHECK_EQ(r->h.linktype, 1);
		CHECK_EQ(r->h.netns, 4026531840u);
		CHECK_EQ(r->ts % MS, 0);                   /* ns precision kept */
		/* The bytes are the packet: ports 40000/80 either way. */
		CHECK((r->bytes[34] << 8 | r->bytes[35]) == 40000 ||
		      (r->bytes[36] << 8 | r->bytes[37]) == 40000);
		if (i)
			CHECK(r->ts > o.r[i - 1].ts);      /* each packet once, in order */
	}
	snippet__stats(s, &st);
	CHECK_EQ(st.windows_active, 0);                    /* closed after post + grace */
	CHECK_EQ(st.written, (uint64_t)want);
	snippet__free(s);
	free(o.r);

	/* Two overlapping fires on A: the union, no packet twice. */
	s = open_off(path, &o, 16 << 20, 200 * MS, 100 * MS, NULL);
	snippet__feed_offline(s, 3050 - 3050 / 6);
	snippet__fire(s, &f);
	f.ts += 50 * MS;
	snippet__fire(s, &f);
	while (snippet__feed_offline(s, 0) > 0)
		;
	for (want = 0, k = 2800; k <= 3150; k++)
		if (kind_of_idx(k) == K_A_FWD || kind_of_idx(k) == K_A_REV)
			want++;
	CHECK_EQ(o.n, (size_t)want);
	for (i = 1; i < o.n; i++)
		CHECK(o.r[i].ts > o.r[i - 1].ts);
	snippet__free(s);
	free(o.r);
}

/* Counts of written records per kind for a fire on c at 1000 ms (+-100). */
static void kinds_for(const char *path, const struct nt_conn *c, const char *filter, int cnt[6])
{
	struct out o;
	struct snippet *s = open_off(path, &o, 16 << 20, 100 * MS, 100 * MS, filter);
	struct trigger_fire f = fire(c, B0 + 1000 * MS, 0);
	size_t i;

	memset(cnt, 0, 6 * sizeof(int));
	snippet__feed_offline(s, 1050);
	snippet__fire(s, &f);
	while (snippet__feed_offline(s, 0) > 0)
		;
	for (i = 0; i < o.n; i++)
		cnt[kind_of_idx(idx_of(&o.r[i]))]++;
	snippet__free(s);
	free(o.r);
}

static void test_matching(const char *path)
{
	struct nt_conn c;
	int cnt[6];

	/* Listener wildcard: local 198.18.0.2:80, any remote: A and B. */
	c = conn_v4("198.18.0.2", 80, NULL, 0);
	kinds_for(path, &c, NULL, cnt);
	CHECK(cnt[K_A_FWD] == 34 && cnt[K_A_REV] == 33 && cnt[K_B_FWD] == 34 && cnt[K_B_REV] == 33);
	CHECK_EQ(cnt[K_C_FWD], 0);
	/* B only. */
	c = conn_v4("198.18.0.1", 40001, "198.18.0.2", 80);
	kinds_for(path, &c, NULL, cnt);
	CHECK(cnt[K_B_FWD] > 0 && cnt[K_B_REV] > 0);
	CHECK(!cnt[K_A_FWD] && !cnt[K_A_REV] && !cnt[K_C_FWD]);
	/* IPv6 C. */
	memset(&c, 0, sizeof(c));
	c.family = 10;
	inet_pton(AF_INET6, "2001:db8::2", c.saddr);
	inet_pton(AF_INET6, "2001:db8::1", c.daddr);
	c.sport = 443;
	c.dport = 40002;
	kinds_for(path, &c, NULL, cnt);
	CHECK(cnt[K_C_FWD] == 34 && !cnt[K_A_FWD] && !cnt[K_B_FWD]);
	/* A dual-stack socket's v4-mapped tuple matches the IPv4 packets of A. */
	memset(&c, 0, sizeof(c));
	c.family = 10;
	inet_pton(AF_INET6, "::ffff:198.18.0.1", c.saddr);
	inet_pton(AF_INET6, "::ffff:198.18.0.2", c.daddr);
	c.sport = 40000;
	c.dport = 80;
	kinds_for(path, &c, NULL, cnt);
	CHECK(cnt[K_A_FWD] == 34 && cnt[K_A_REV] == 33 && !cnt[K_B_FWD] && !cnt[K_C_FWD]);
	/* Every connection (family 0); with the user filter "port 80" C never
	 * enters the ring. */
	kinds_for(path, NULL, NULL, cnt);
	CHECK(cnt[K_A_FWD] && cnt[K_B_FWD] && cnt[K_C_FWD] == 34 && !cnt[K_UDP]);
	kinds_for(path, NULL, "port 80", cnt);
	CHECK(cnt[K_A_FWD] && cnt[K_B_FWD] && !cnt[K_C_FWD]);
}

static void test_linktypes(const char *dir)
{
	char p[512];
	int lts[2] = { DLT_LINUX_SLL2, DLT_LINUX_SLL }, j;

	for (j = 0; j < 2; j++) {
		struct out o;
		struct snippet *s;
		struct trigger_fire f = fire(NULL, B0 + 50 * MS, 0);
		struct snippet_stats st;
		size_t i;

		snprintf(p, sizeof(p), "%s/nt-snippet-lt-%d-%d.pcap", dir, lts[j], (int)getpid());
		make_pcap(p, lts[j], 120);
		s = open_off(p, &o, 1 << 20, 100 * MS, 10 * MS, NULL);
		while (snippet__feed_offline(s, 0) > 0)
			;
		snippet__fire(s, &f);
		snippet__stats(s, &st);
		CHECK_EQ(st.linktype, lts[j] == DLT_LINUX_SLL2 ? 276 : 113);
		CHECK_EQ(st.unparsed, 0);
		CHECK(o.n > 40);
		for (i = 0; i < o.n; i++) {
			int k = kind_of_idx(idx_of(&o.r[i]));

			CHECK_EQ(o.r[i].h.linktype, lts[j] == DLT_LINUX_SLL2 ? 276 : 113);
			CHECK_EQ(o.r[i].h.dir, k == K_A_REV ? 1 : 2);   /* pkttype 0 in, 4 out */
			CHECK_EQ(o.r[i].h.ifindex, lts[j] == DLT_LINUX_SLL2 ? 7 : 0);
		}
		snippet__free(s);
		free(o.r);
		unlink(p);
	}
}

/* Entries of varying size wrap the ring at varying places: whatever is
 * held is exactly the newest packets, in order. */
static void test_ring_wrap(const char *dir)
{
	char p[512];
	struct out o;
	struct snippet_opts so;
	struct snippet *s;
	struct snippet_stats st;
	struct trigger_fire f = fire(NULL, B0 + NPKT * MS, 0);
	char err[256];
	size_t i;
	int fed = 0, n;

	snprintf(p, sizeof(p), "%s/nt-snippet-vary-%d.pcap", dir, (int)getpid());
	make_pcap_v(p, DLT_EN10MB, NPKT, 1);
	memset(&o, 0, sizeof(o));
	memset(&so, 0, sizeof(so));
	so.ring_bytes = (64 << 10) + 40;   /* not a multiple of anything useful */
	so.snaplen = 256;
	so.pre_ns = 100 * SEC;
	so.post_ns = MS;
	so.append = append;
	so.ctx = &o;
	so.clock_pair = fixed_pair;
	s = snippet__open_offline(&so, p, err, sizeof(err));
	CHECK(s);
	while ((n = snippet__feed_offline(s, 7)) > 0) {
		fed += n;
		snippet__stats(s, &st);
		if (st.ring_used > st.ring_bytes)
			CHECK(!"ring over its bound");
	}
	snippet__stats(s, &st);
	CHECK_EQ(st.evicted + st.ring_entries, (uint64_t)fed);
	CHECK(st.ring_peak <= st.ring_bytes);
	CHECK_EQ(snippet__fire(s, &f), st.ring_entries);
	CHECK_EQ(o.n, st.ring_entries);
	/* Newest packets, contiguous (skipping only the UDP ones), in order. */
	for (i = 0; i + 1 < o.n; i++) {
		int a = idx_of(&o.r[i]), b = idx_of(&o.r[i + 1]);

		CHECK(b == a + 1 || (b == a + 2 && kind_of_idx(a + 1) == K_UDP));
	}
	CHECK(o.n && idx_of(&o.r[o.n - 1]) >= NPKT - 2);
	printf("ring wrap: %d packets of 60-199 bytes through a %" PRIu64 "-byte ring: %" PRIu64
	       " held, peak %" PRIu64 " bytes\n", fed, st.ring_bytes, st.ring_entries, st.ring_peak);
	snippet__free(s);
	free(o.r);
	unlink(p);
}

static void test_bad_input(const char *path)
{
	struct snippet_opts so;
	struct out o;
	char err[256];

	memset(&so, 0, sizeof(so));
	so.append = append;
	so.ctx = &o;
	so.filter = "port (";
	CHECK(!snippet__open_offline(&so, path, err, sizeof(err)));
	CHECK(strstr(err, "bad --pcap filter"));
	so.filter = NULL;
	CHECK(!snippet__open_offline(&so, "/nonexistent.pcap", err, sizeof(err)));
	so.ring_bytes = 1000;
	CHECK(!snippet__open_offline(&so, path, err, sizeof(err)));
	snippet__free(NULL);
}

int main(void)
{
	char path[512];
	uint64_t mn, med, mx;

	snprintf(path, sizeof(path), "%s/nt-snippet-%d.pcap", tmpdir(), (int)getpid());
	make_pcap(path, DLT_EN10MB, NPKT);
	test_no_trigger_and_bound(path);
	test_windows(path);
	test_matching(path);
	test_linktypes(tmpdir());
	test_ring_wrap(tmpdir());
	test_bad_input(path);
	unlink(path);
	snippet_clock_spread(100000, &mn, &med, &mx);
	printf("clock pair (boottime, realtime, boottime) read spread over 100000 pairs: "
	       "min %" PRIu64 " ns, median %" PRIu64 " ns, max %" PRIu64 " ns "
	       "(pair error <= spread / 2)\n", mn, med, mx);
	CHECK(med > 0 && med < 1000000);
	CHECK_DONE("test_snippet");
}
