/* bench_format.c: throughput and size benchmark of the tape format (writer, reader, bytes per record), with baselines. */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "tape.h"

#define REC_TOTAL 64                 /* bytes per record incl. its 8-byte header */
#define REC_PAYLOAD (REC_TOTAL - 8)
#define BENCH_TYPE 0x01f0            /* an event type unknown to readers: no size rules */

static uint64_t seed = 88172645463325252ull;
static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

/* CPU time of this thread (user + system): the machine is shared, wall time
 * would measure the neighbours. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct fake_clock { uint64_t boot; };
static uint64_t clk_boot(void *ctx) { return ((struct fake_clock *)ctx)->boot; }
static uint64_t clk_real(void *ctx) { return ((struct fake_clock *)ctx)->boot + 1750000000000000000ull; }

static void rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[4096];
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int)sizeof(p))
			continue;
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static uint64_t dir_bytes(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	char p[4096];
	uint64_t n = 0;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int)sizeof(p))
			continue;
		if (de->d_name[0] != '.' && !stat(p, &st))
			n += (uint64_t)st.st_size;
	}
	closedir(d);
	return n;
}

/* 56-byte payloads of a realistic shape: a connection (cookie, addresses)
 * out of 3000, a few counters that move slowly, one that moves fast. */
struct small_rec {
	uint64_t cookie;
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t srtt_us;
	uint32_t cwnd;
	uint32_t wnd;
	uint64_t bytes;
	uint32_t netns;
	uint32_t pid;
	uint32_t seq;
	uint32_t pad;
};
_Static_assert(sizeof(struct small_rec) == REC_PAYLOAD, "bench record size");

static void make_small(struct small_rec *r, uint64_t i)
{
	uint32_t c = (uint32_t)(rnd() % 3000);
	memset(r, 0, sizeof(*r));
	r->cookie = 0x100000 + c;
	r->saddr = 0x0a000000u + c;
	r->daddr = 0xc6120002u;
	r->sport = (uint16_t)(32768 + c * 7);
	r->dport = 443;
	r->srtt_us = 200 + c % 100 + (uint32_t)(rnd() % 16);
	r->cwnd = 10 + c % 50;
	r->wnd = 65535u << 3;
	r->bytes = i * 1448;
	r->netns = 4026531840u;
	r->pid = 1000 + c % 64;
	r->seq = (uint32_t)rnd();
}

/* The 64-byte records, made before timing: the writer alone is measured. */
static uint8_t *make_small_all(uint64_t n)
{
	uint8_t *raw = malloc(n * REC_PAYLOAD);
	struct small_rec r;

	seed = 88172645463325252ull; /* the same records for every codec */
	if (!raw)
		return NULL;
	for (uint64_t i = 0; i < n; i++) {
		make_small(&r, i);
		memcpy(raw + i * REC_PAYLOAD, &r, REC_PAYLOAD);
	}
	return raw;
}

/* Writer and reader of one codec and zstd level on n 64-byte records. */
static int bench_write_read(const char *base, uint64_t n, int level, int codec, double *w_rate,
			    double *r_rate, uint64_t *disk)
{
	char dir[4096];
	struct fake_clock ck = { .boot = 1000000000ull };
	struct tape_writer_opts o = { 0 };
	struct tape_writer *w;
	double t0, t1;
	uint8_t *raw;
	uint64_t sink = 0;

	snprintf(dir, sizeof(dir), "%s/write%d-%d", base, level + 100, codec);
	o.dir = dir;
	o.zstd_level = level;
	o.codec = codec;
	o.now_ns = clk_boot;
	o.realtime_ns = clk_real;
	o.cb_ctx = &ck;
	raw = make_small_all(n);
	if (!raw)
		return -1;
	w = tape_writer__open(&o);
	if (!w)
		return -1;
	t0 = now_s();
	for (uint64_t i = 0; i < n; i++) {
		ck.boot += 100; /* 10 M records/s of recorded time */
		if (tape_writer__append(w, BENCH_TYPE, ck.boot, raw + i * REC_PAYLOAD, REC_PAYLOAD))
			return -1;
		if ((i & 4095) == 0)
			tape_writer__poll(w);
	}
	if (tape_writer__close(w))
		return -1;
	t1 = now_s();
	*w_rate = (double)n / (t1 - t0);
	*disk = dir_bytes(dir);

	/* reader */
	{
		const char *paths[1] = { dir };
		struct tape_reader *tr;
		struct tape_record rec;
		uint64_t cnt = 0;
		int err;
		t0 = now_s();
		tr = tape_reader__open(paths, 1, &(struct tape_reader_opts){ .skip_meta = 1 }, &err);
		if (!tr)
			return -1;
		while (tape_reader__next(tr, &rec) == 1) {
			sink += rec.ts + ((const uint8_t *)rec.data)[0];
			cnt++;
		}
		tape_reader__free(tr);
		t1 = now_s();
		if (cnt != n)
			return -1;
		*r_rate = (double)n / (t1 - t0);
	}
	if (sink == 42)
		printf(" ");
	free(raw);
	rmtree(dir);
	return 0;
}

/* Baselines on the same records laid out as a plain frame (header + payload):
 * copying them, and zstd level 3 alone over 256 KiB frames of them. */
static int bench_baselines(uint64_t n, double *zstd_c_rate, double *zstd_d_rate,
			   double *memcpy_rate, double *zstd_per)
{
	uint8_t *raw = make_small_all(n), *comp, *copy;
	size_t rawlen = 256u << 10, nframes, zlen = 0;
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	uint64_t sink = 0;
	double t0, t1;

	if (!raw || !cc || !dc)
		return -1;
	nframes = (n * REC_TOTAL + rawlen - 1) / rawlen;
	copy = malloc(n * REC_TOTAL);
	comp = malloc(nframes * ZSTD_compressBound(rawlen));
	if (!copy || !comp)
		return -1;
	/* Fault the pages in first: the baseline is the copy, not the first
	 * touch of 640 MB (page faults dominate on a VM). */
	memset(copy, 0, n * REC_TOTAL);
	t0 = now_s();
	for (uint64_t i = 0; i < n; i++) {
		uint8_t *p = copy + i * REC_TOTAL;
		uint16_t t = BENCH_TYPE, l = REC_TOTAL;
		uint32_t d = (uint32_t)(i * 100 % 1000000000u);
		memcpy(p, &t, 2);
		memcpy(p + 2, &l, 2);
		memcpy(p + 4, &d, 4);
		memcpy(p + 8, raw + i * REC_PAYLOAD, REC_PAYLOAD);
	}
	t1 = now_s();
	*memcpy_rate = (double)n / (t1 - t0);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 3);
	{
		size_t off = 0, pos = 0;
		size_t *sizes = malloc(nframes * sizeof(*sizes));
		if (!sizes)
			return -1;
		t0 = now_s();
		for (size_t f = 0; f < nframes; f++) {
			size_t len = n * REC_TOTAL - pos < rawlen ? n * REC_TOTAL - pos : rawlen;
			sizes[f] = ZSTD_compress2(cc, comp + off, ZSTD_compressBound(rawlen), copy + pos, len);
			off += sizes[f];
			pos += len;
		}
		t1 = now_s();
		zlen = off;
		*zstd_c_rate = (double)n / (t1 - t0);
		t0 = now_s();
		off = 0;
		for (size_t f = 0; f < nframes; f++) {
			size_t d = ZSTD_decompressDCtx(dc, copy, rawlen, comp + off, sizes[f]);
			sink += d;
			off += sizes[f];
		}
		t1 = now_s();
		*zstd_d_rate = (double)n / (t1 - t0);
		free(sizes);
	}
	*zstd_per = (double)zlen / (double)n;
	if (sink == 42)
		printf(" ");
	free(raw);
	free(copy);
	free(comp);
	ZSTD_freeCCtx(cc);
	ZSTD_freeDCtx(dc);
	return 0;
}

/* Writer only, at another zstd level: records/s and bytes per record. */
/* A realistic mix: 3000 connections, increasing time, mixed event types. */
struct conn {
	struct nt_conn c;
	uint32_t srtt, minrtt, cwnd;
	uint64_t acked, received;
};

static void conn_make(struct conn *c, uint32_t i)
{
	memset(c, 0, sizeof(*c));
	c->c.cookie = 0x4000 + i + (rnd() % 4) * 100000;
	c->c.cgroup = 5000 + i % 16;
	c->c.netns = 4026531840u + (i % 4) * 17;
	c->c.pid = 1000 + i % 64;
	c->c.family = 2;
	c->c.proto = 6;
	c->c.sport = (uint16_t)(32768 + rnd() % 28000);
	c->c.dport = i % 7 ? 443 : 5432;
	c->c.saddr[0] = 10;
	c->c.saddr[2] = (uint8_t)(i >> 8);
	c->c.saddr[3] = (uint8_t)i;
	c->c.daddr[0] = 198;
	c->c.daddr[1] = 18;
	c->c.daddr[3] = 2;
	c->minrtt = 100 + (uint32_t)(rnd() % 900);
	c->srtt = c->minrtt + 50;
	c->cwnd = 10;
}

static void sample_of(struct conn *c, struct nt_ev_sample *s)
{
	uint32_t r = (uint32_t)(rnd() % 100);
	c->acked += 1000 + rnd() % 100000;
	c->received += rnd() % 2000;
	if (r < 5)
		c->srtt = c->minrtt + (uint32_t)(rnd() % 5000);
	else if (r < 50)
		c->srtt = c->srtt - c->srtt / 8 + c->minrtt / 8;
	if (r % 10 == 3)
		c->cwnd = 10 + (uint32_t)(rnd() % 200);
	memset(s, 0, sizeof(*s));
	s->c = c->c;
	s->kind = NT_SAMPLE_PERIODIC;
	s->state = 1;
	s->srtt_us = c->srtt;
	s->min_rtt_us = c->minrtt;
	s->rcv_wnd = 65535u << 3;
	s->snd_wnd = 65535u << 3;
	s->snd_cwnd = c->cwnd;
	s->ssthresh = 0x7fffffff;
	s->packets_out = c->cwnd / 2;
	s->rcv_queue = r < 90 ? 0 : (uint32_t)(rnd() % 65536);
	s->snd_queue = (uint32_t)(rnd() % 4) * 1448;
	s->bytes_acked = c->acked;
	s->bytes_received = c->received;
}

static double shuffled_per_rec;

/* mode 0: realistic mix; 1: periodic samples only (each connection once per
 * second, frames flushed every second as a recorder does); 2: samples only,
 * frames filled to frame_size (no time flush). */
static int bench_size(const char *base, int mode, int codec, uint64_t n, double *per_rec,
		      double *stream_per_rec)
{
	uint8_t *stream = mode == 1 ? malloc(n * 128) : NULL;
	size_t slen = 0;
	char dir[4096];
	struct fake_clock ck = { .boot = 1000000000ull };
	struct tape_writer_opts o = { 0 };
	struct tape_writer *w;
	struct tape_writer_stats st;
	uint32_t nconns = 3000;
	struct conn *conns = malloc(nconns * sizeof(*conns));
	uint64_t rr = 0, bytes;

	seed = 1234567; /* the same events for every codec */
	if (!conns)
		return -1;
	for (uint32_t i = 0; i < nconns; i++)
		conn_make(&conns[i], i);
	snprintf(dir, sizeof(dir), "%s/size%d-%d", base, mode, codec);
	o.dir = dir;
	o.zstd_level = 3;
	o.codec = codec;
	o.flush_ms = mode == 2 ? 3600000 : 1000;
	o.now_ns = clk_boot;
	o.realtime_ns = clk_real;
	o.cb_ctx = &ck;
	w = tape_writer__open(&o);
	if (!w)
		return -1;
	for (uint64_t i = 0; i < n; i++) {
		union {
			struct nt_ev_sample s;
			struct nt_ev_drop d;
			struct nt_ev_retrans r;
			struct nt_ev_state st;
		} u;
		uint32_t k = mode ? 0 : (uint32_t)(rnd() % 100);
		struct conn *c;
		int err;
		if (mode) {
			c = &conns[rr++ % nconns];
			ck.boot += 1000000000ull / nconns;
		} else {
			c = &conns[rnd() % nconns];
			ck.boot += 1 + rnd() % 100000; /* ~20k events/s */
		}
		if (k < 75) {
			sample_of(c, &u.s);
			err = tape_writer__append(w, NT_REC_SAMPLE, ck.boot, &u.s, sizeof(u.s));
			if (stream) {
				/* the same records as one byte stream, for the baseline */
				uint32_t d = (uint32_t)(ck.boot % 1000000000u);
				uint16_t t = NT_REC_SAMPLE, l = 128;
				memcpy(stream + slen, &t, 2);
				memcpy(stream + slen + 2, &l, 2);
				memcpy(stream + slen + 4, &d, 4);
				memcpy(stream + slen + 8, &u.s, sizeof(u.s));
				slen += 128;
			}
		} else if (k < 85) {
			memset(&u.d, 0, sizeof(u.d));
			u.d.c = c->c;
			u.d.location = 0xffffffff81c10000ull + rnd() % 8 * 0x40;
			u.d.reason = 3 + (uint32_t)(rnd() % 4);
			u.d.skb_len = 52 + (uint32_t)(rnd() % 1448);
			u.d.seq = (uint32_t)rnd();
			u.d.ack_seq = (uint32_t)rnd();
			u.d.ifindex = 2;
			u.d.window = 502;
			u.d.tcp_flags = 0x10;
			u.d.sk_state = 1;
			err = tape_writer__append(w, NT_REC_DROP, ck.boot, &u.d, sizeof(u.d));
		} else if (k < 97) {
			memset(&u.r, 0, sizeof(u.r));
			u.r.c = c->c;
			u.r.seq = (uint32_t)rnd();
			u.r.srtt_us = c->srtt;
			u.r.rto_us = 204000;
			u.r.snd_wnd = 65535u << 3;
			u.r.snd_cwnd = c->cwnd;
			u.r.total_retrans = (uint32_t)(rnd() % 20);
			u.r.state = 1;
			u.r.ca_state = 3;
			err = tape_writer__append(w, NT_REC_RETRANS, ck.boot, &u.r, sizeof(u.r));
		} else {
			memset(&u.st, 0, sizeof(u.st));
			u.st.c = c->c;
			u.st.old_state = 2;
			u.st.new_state = 1;
			u.st.wscale_ok = 1;
			u.st.snd_wscale = u.st.rcv_wscale = 7;
			u.st.mss = 1448;
			u.st.flags = NT_STATE_F_HANDSHAKE;
			err = tape_writer__append(w, NT_REC_STATE, ck.boot, &u.st, sizeof(u.st));
		}
		if (err)
			return -1;
		if ((i & 255) == 0)
			tape_writer__poll(w);
	}
	tape_writer__stats(w, &st);
	if (tape_writer__close(w))
		return -1;
	bytes = dir_bytes(dir);
	*per_rec = (double)bytes / (double)n;
	(void)st;
	if (stream && stream_per_rec) {
		/* one zstd stream over everything (no frame independence, 128 MiB window) */
		ZSTD_CCtx *cc = ZSTD_createCCtx();
		size_t cap = ZSTD_compressBound(slen), z;
		uint8_t *out = malloc(cap);
		if (!cc || !out)
			return -1;
		ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 3);
		ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, 27);
		z = ZSTD_compress2(cc, out, cap, stream, slen);
		*stream_per_rec = ZSTD_isError(z) ? 0 : (double)z / (double)n;
		/* experiment: each second's samples byte-transposed (stride 128, as
		 * blosc's shuffle) before compression; not part of format 1.0 */
		{
			size_t per = (size_t)nconns * 128, total = 0;
			uint8_t *t = malloc(per);
			if (!t)
				return -1;
			ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, 0);
			for (size_t f = 0; f + per <= slen; f += per) {
				for (size_t j = 0; j < nconns; j++)
					for (size_t b = 0; b < 128; b++)
						t[b * nconns + j] = stream[f + j * 128 + b];
				z = ZSTD_compress2(cc, out, cap, t, per);
				total += ZSTD_isError(z) ? per : z;
			}
			shuffled_per_rec = (double)total / (double)n;
			free(t);
		}
		free(out);
		ZSTD_freeCCtx(cc);
	}
	free(stream);
	free(conns);
	rmtree(dir);
	return 0;
}

int main(int argc, char **argv)
{
	static const int codecs[2] = { TAPE_CODEC_PLAIN, TAPE_CODEC_DELTA };
	char base[] = "/tmp/nettape-bench-XXXXXX";
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000ull, disk[2];
	double wr[2], rr[2], zc, zd, mc, zper, mix[2], per1[2], per2[2], stream = 0, lw, lr;

	if (!n || !mkdtemp(base)) {
		fprintf(stderr, "usage: bench_format [RECORDS]\n");
		return 1;
	}
	printf("nettape format benchmark (zstd %s, level 3, frame 256 KiB, one core;\n"
	       "rates are per CPU-second of this thread, user + system)\n"
	       "codecs: plain = DATA frames of format 1.0 (records -> zstd);\n"
	       "        delta = DATA_DELTA frames of 1.1 (records XOR-ed against the previous\n"
	       "        record of their type and connection, zero bytes suppressed -> zstd)\n\n",
	       ZSTD_versionString());
	printf("64-byte records: %" PRIu64 " records of an unnamed event type, each an 8-byte record\n"
	       "header + 56 bytes: the cookie, IPv4 addresses, ports, netns and pid of one of 3000\n"
	       "connections picked at random per record (about 1.4 records per connection per\n"
	       "frame), srtt with 4 random bits, cwnd, window, a byte counter growing by 1448 per\n"
	       "record, a random 32-bit seq; timestamps +100 ns per record.\n\n", n);
	for (int c = 0; c < 2; c++)
		if (bench_write_read(base, n, 3, codecs[c], &wr[c], &rr[c], &disk[c])) {
			fprintf(stderr, "bench: write/read failed\n");
			return 1;
		}
	if (bench_baselines(n, &zc, &zd, &mc, &zper))
		return 1;
	printf("%-46s %12s %12s\n", "measurement", "plain", "delta");
	printf("%-46s %12.0f %12.0f\n", "writer records/s (append -> zstd -> file)", wr[0], wr[1]);
	printf("%-46s %12.0f %12.0f\n", "reader records/s (file -> zstd -> records)", rr[0], rr[1]);
	printf("%-46s %12.2f %12.2f\n", "bytes on disk per 64-byte record",
	       (double)disk[0] / (double)n, (double)disk[1] / (double)n);
	printf("%-46s %12.2f %12.2f\n", "writer / plain zstd compress", wr[0] / zc, wr[1] / zc);
	printf("%-46s %12.2f %12.2f\n", "reader / plain zstd decompress", rr[0] / zd, rr[1] / zd);
	printf("baselines on the same records laid out as plain frames:\n");
	printf("%-46s %12.0f records/s\n", "  memcpy into record layout", mc);
	printf("%-46s %12.0f records/s, %.2f bytes/record\n", "  ZSTD_compress2 level 3, 256 KiB frames", zc,
	       zper);
	printf("%-46s %12.0f records/s\n", "  ZSTD_decompressDCtx of those frames", zd);

	printf("\nwriter and reader at other zstd levels (%" PRIu64 " records of 64 bytes, rec/s)\n",
	       n / 4);
	printf("%-16s %10s %10s %7s %10s %10s %7s\n", "", "plain", "", "", "delta", "", "");
	printf("%-16s %10s %10s %7s %10s %10s %7s\n", "level", "write", "read", "B/rec", "write",
	       "read", "B/rec");
	{
		static const int levels[] = { 1, -1, -5, 3, 6 };
		for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
			char name[32];
			snprintf(name, sizeof(name), "zstd level %d", levels[i]);
			printf("%-16s", name);
			for (int c = 0; c < 2; c++) {
				uint64_t ld;
				if (bench_write_read(base, n / 4, levels[i], codecs[c], &lw, &lr, &ld))
					return 1;
				printf(" %10.0f %10.0f %7.2f", lw, lr, (double)ld / (double)(n / 4));
			}
			printf("\n");
		}
	}

	printf("\nbytes on disk per record (3000 connections, increasing timestamps)\n");
	for (int c = 0; c < 2; c++) {
		if (bench_size(base, 0, codecs[c], n / 5, &mix[c], NULL) ||
		    bench_size(base, 1, codecs[c], 3000ull * 120, &per1[c], c ? NULL : &stream) ||
		    bench_size(base, 2, codecs[c], 3000ull * 120, &per2[c], NULL))
			return 1;
	}
	printf("%-62s %7s %7s\n", "", "plain", "delta");
	printf("%-62s %7.2f %7.2f\n", "realistic mix (75% sample, 10% drop, 12% retrans, 3% state)",
	       mix[0], mix[1]);
	printf("%-62s %7.2f %7.2f\n", "periodic samples only, 1 s flush (120 s x 3000 conns)",
	       per1[0], per1[1]);
	printf("%-62s %7.2f %7.2f\n", "periodic samples only, frames filled to 256 KiB", per2[0],
	       per2[1]);
	printf("%-62s %7.2f\n", "  baseline: same samples as ONE zstd stream (window 128 MiB)",
	       stream);
	printf("%-62s %7.2f\n", "  experiment: 1 s frames byte-transposed (stride 128)",
	       shuffled_per_rec);
	printf("  (DESIGN target: <= 4 bytes per periodic sample; raw record is %zu bytes.\n"
	       "   Each connection has one sample per second and frames are independent, so a\n"
	       "   1 s frame never holds the previous sample of the same connection.)\n",
	       sizeof(struct nt_ev_sample) + 8);
	rmdir(base);
	return 0;
}
