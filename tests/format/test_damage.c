/* test_damage.c: chunks cut at every byte of their last frames and with random bit flips: the reader keeps everything before the damage and says where and why. */
#include <signal.h>
#include <sys/resource.h>

#include "tape.h"
#include "test_util.h"

#define NREC 800

struct orig {
	uint16_t type;
	uint32_t len;
	uint64_t ts;
	uint64_t frame_offset;
	uint8_t data[200];
};

static struct orig recs[NREC + 64];
static int nrecs;
static char dir[256];
static int codec;                /* the DATA frame codec under test */

static uint64_t boot_cb(void *ctx) { return ((struct tu_clock *)ctx)->boot; }
static uint64_t real_cb(void *ctx) { return tu_clock_real(ctx); }

/* Writes the reference chunk and loads its records (with frame offsets). */
static uint8_t *make_chunk(size_t *len, struct tape_frame_info **fi, size_t *nfi)
{
	struct tu_clock ck = { .boot = 1000000000ull, .real_off = 1700000000000000000ull };
	struct tape_writer_opts o = { 0 };
	struct tape_writer *w;
	struct tape_chunk_reader *cr;
	struct tape_record rec;
	uint64_t seed = 7;
	char **paths;
	int n, err;

	o.dir = dir;
	o.frame_size = 4096;
	o.codec = codec;
	o.now_ns = boot_cb;
	o.realtime_ns = real_cb;
	o.cb_ctx = &ck;
	w = tape_writer__open(&o);
	REQUIRE(w);
	for (int i = 0; i < NREC; i++) {
		struct nt_ev_sample s;
		uint8_t *p = (uint8_t *)&s;
		for (size_t k = 0; k < sizeof(s); k++)
			p[k] = (uint8_t)(tu_rand(&seed) & 0x0f);
		ck.boot += 1000000;
		REQUIRE(tape_writer__append(w, NT_REC_SAMPLE, ck.boot, &s, sizeof(s)) == 0);
	}
	REQUIRE(tape_writer__close(w) == 0);
	n = tape_list_chunks(dir, &paths);
	REQUIRE(n == 1);
	cr = tape_chunk_reader__open(paths[0], &err);
	REQUIRE(cr);
	nrecs = 0;
	while (tape_chunk_reader__next(cr, &rec) == 1) {
		REQUIRE(nrecs < NREC + 64 && rec.len <= sizeof(recs[0].data));
		recs[nrecs].type = rec.type;
		recs[nrecs].len = rec.len;
		recs[nrecs].ts = rec.ts;
		recs[nrecs].frame_offset = rec.frame_offset;
		memcpy(recs[nrecs].data, rec.data, rec.len);
		nrecs++;
	}
	REQUIRE(nrecs == NREC + 1); /* + the snapshot's clock pair */
	REQUIRE(tape_chunk_reader__index(cr, fi, nfi) == 0);
	tape_chunk_reader__free(cr);
	{
		uint8_t *buf = tu_read_file(paths[0], len);
		unlink(paths[0]);
		tape_list_free(paths, n);
		return buf;
	}
}

/* Reads a damaged copy; checks that every record is genuine and in order, and
 * that everything stored before the first damage came back. Returns the count. */
static int check_copy(const uint8_t *buf, size_t len, int *ndmg, uint64_t *first_dmg,
		      int *open_err)
{
	char path[512];
	struct tape_chunk_reader *cr;
	struct tape_record rec;
	int next = 0, count = 0, rc, err;

	snprintf(path, sizeof(path), "%s/chunk-00000001.ntc.partial", dir);
	tu_write_file(path, buf, len);
	*ndmg = 0;
	*first_dmg = UINT64_MAX;
	*open_err = 0;
	cr = tape_chunk_reader__open(path, &err);
	if (!cr) {
		*open_err = err;
		CHECK(err < 0);
		unlink(path);
		return -1;
	}
	while ((rc = tape_chunk_reader__next(cr, &rec)) == 1) {
		/* genuine: equal to a later original record */
		while (next < nrecs &&
		       (recs[next].ts != rec.ts || recs[next].type != rec.type ||
			recs[next].len != rec.len || memcmp(recs[next].data, rec.data, rec.len)))
			next++;
		CHECK(next < nrecs);
		if (next >= nrecs)
			break;
		next++;
		count++;
	}
	CHECK_EQ(rc, 0);
	*ndmg = (int)tape_chunk_reader__ndamage(cr);
	for (int i = 0; i < *ndmg; i++) {
		const struct tape_damage *d = tape_chunk_reader__damage(cr, (size_t)i);
		CHECK(d->reason[0] != 0);
		CHECK(d->err < 0);
		CHECK(d->offset <= len);
		CHECK(strstr(d->path, "chunk-00000001") != NULL);
		if (d->offset < *first_dmg)
			*first_dmg = d->offset;
	}
	tape_chunk_reader__free(cr);
	unlink(path);
	return count;
}

/* Records stored in frames that end at or before off. */
static int records_before(uint64_t off, const struct tape_frame_info *fi, size_t nfi)
{
	int n = 0;
	for (size_t i = 0; i < nfi; i++)
		if (fi[i].offset + 80 + fi[i].disk_len <= off)
			n += (int)fi[i].nrecords;
	return n;
}

static void test_cuts(const uint8_t *buf, size_t len, const struct tape_frame_info *fi,
		      size_t nfi)
{
	uint64_t from = fi[nfi - 4].offset, first;
	int ndmg, oerr, cnt;

	/* inside the chunk header: the chunk is unreadable, and says so */
	for (size_t cut = 0; cut < fi[0].offset; cut += 7) {
		cnt = check_copy(buf, cut, &ndmg, &first, &oerr);
		CHECK_EQ(cnt, -1);
		CHECK_EQ(oerr, -TAPE_E_TRUNCATED);
	}
	/* every byte of the last frames, the index frame and the trailer */
	for (uint64_t cut = from; cut <= len; cut++) {
		/* frame boundaries: every frame, the index frame, the trailer, the end */
		int boundary = cut == len || cut == len - 32 ||
			       cut == fi[nfi - 1].offset + 80 + fi[nfi - 1].disk_len;
		for (size_t i = 0; i < nfi; i++)
			if (fi[i].offset == cut)
				boundary = 1;
		cnt = check_copy(buf, cut, &ndmg, &first, &oerr);
		CHECK_EQ(cnt, records_before(cut, fi, nfi));
		if (boundary)
			CHECK_EQ(ndmg, 0);
		else if (cut < len)
			CHECK(ndmg >= 1);
		if (check_failures > 10) {
			fprintf(stderr, "cut at %llu\n", (unsigned long long)cut);
			break;
		}
	}
}

static void test_flips(const uint8_t *buf, size_t len, const struct tape_frame_info *fi,
		       size_t nfi, int seeds)
{
	uint8_t *copy = malloc(len);
	REQUIRE(copy);
	for (int s = 1; s <= seeds; s++) {
		uint64_t seed = (uint64_t)s * 0x9e3779b97f4a7c15ull, first;
		int nflips = 1 + (int)(tu_rand(&seed) % 3), ndmg, oerr, cnt;
		memcpy(copy, buf, len);
		for (int k = 0; k < nflips; k++) {
			size_t at = (size_t)(tu_rand(&seed) % len);
			copy[at] ^= (uint8_t)(1u << (tu_rand(&seed) % 8));
		}
		cnt = check_copy(copy, len, &ndmg, &first, &oerr);
		if (cnt < 0) {
			/* only a flip in the chunk header makes the chunk unreadable */
			CHECK(oerr == -TAPE_E_HEADER || oerr == -TAPE_E_MAGIC ||
			      oerr == -TAPE_E_VERSION);
			continue;
		}
		if (ndmg < 1)
			fprintf(stderr, "seed %d: no damage reported (%d records)\n", s, cnt);
		CHECK(ndmg >= 1);
		if (ndmg >= 1)
			CHECK(cnt >= records_before(first, fi, nfi));
		if (check_failures > 10) {
			fprintf(stderr, "seed %d\n", s);
			break;
		}
	}
	free(copy);
}

/* A full disk (RLIMIT_FSIZE): frames stay pending, records are refused past the
 * pending limit, no torn frame is left, and everything resumes afterwards. */
static void test_enospc(void)
{
	struct tu_clock ck = { .boot = 1000000000ull, .real_off = 1700000000000000000ull };
	struct tape_writer_opts o = { 0 };
	struct tape_writer_stats st;
	struct tape_writer *w;
	struct rlimit old, lim;
	struct nt_ev_drop ev = { 0 };
	const char *paths[1] = { dir };
	struct tape_reader *r;
	struct tape_record rec;
	uint32_t expect = 0;
	int errors = 0, err, rc;
	static uint64_t exp_ts[4000];
	static uint32_t exp_seq[4000];

	signal(SIGXFSZ, SIG_IGN);
	o.dir = dir;
	o.frame_size = 4096;
	o.zstd_level = 1;
	o.now_ns = boot_cb;
	o.realtime_ns = real_cb;
	o.cb_ctx = &ck;
	w = tape_writer__open(&o);
	REQUIRE(w);
	REQUIRE(!getrlimit(RLIMIT_FSIZE, &old));
	lim = old;
	lim.rlim_cur = 20000;
	REQUIRE(!setrlimit(RLIMIT_FSIZE, &lim));
	for (uint32_t i = 0; i < 4000; i++) {
		uint64_t refused;
		tape_writer__stats(w, &st);
		refused = st.refused;
		ev.seq = i;
		ck.boot += 1000;
		rc = tape_writer__append(w, NT_REC_DROP, ck.boot, &ev, sizeof(ev));
		tape_writer__stats(w, &st);
		if (rc)
			errors++;
		if (st.refused == refused)
			ev.seq = i; /* accepted */
		else
			continue;
		exp_ts[expect] = ck.boot;
		exp_seq[expect] = i;
		expect++;
	}
	tape_writer__stats(w, &st);
	CHECK(errors > 0);
	CHECK(st.refused > 0);
	CHECK(st.write_errors > 0);
	CHECK(st.cur_chunk_bytes <= 20000);
	REQUIRE(!setrlimit(RLIMIT_FSIZE, &old));
	CHECK_EQ(tape_writer__flush(w), 0);
	CHECK_EQ(tape_writer__close(w), 0);

	r = tape_reader__open(paths, 1, &(struct tape_reader_opts){ .skip_meta = 1 }, &err);
	REQUIRE(r);
	for (uint32_t i = 0; (rc = tape_reader__next(r, &rec)) == 1; i++) {
		const struct nt_ev_drop *d = rec.data;
		CHECK(i < expect);
		if (i >= expect)
			break;
		CHECK_EQ(d->seq, exp_seq[i]);
		CHECK_EQ(rec.ts, exp_ts[i]);
		if (i + 1 == expect)
			CHECK_EQ(tape_reader__next(r, &rec), 0);
	}
	CHECK_EQ(tape_reader__ndamage(r), 0);
	tape_reader__free(r);
}

int main(int argc, char **argv)
{
	struct tape_frame_info *fi;
	size_t len, nfi;
	uint8_t *buf;
	int seeds = argc > 1 ? atoi(argv[1]) : 1000;

	/* both codecs: damage inside a DATA_DELTA frame behaves like any other */
	for (codec = TAPE_CODEC_PLAIN; codec <= TAPE_CODEC_DELTA; codec++) {
		tu_tmpdir(dir, sizeof(dir), "damage");
		buf = make_chunk(&len, &fi, &nfi);
		REQUIRE(nfi > 10);
		for (size_t i = 0; i < nfi; i++)
			if (fi[i].type == TAPE_FRAME_DATA)
				CHECK_EQ(fi[i].codec, codec);
		test_cuts(buf, len, fi, nfi);
		test_flips(buf, len, fi, nfi, seeds);
		free(buf);
		free(fi);
		tu_rmtree(dir);
	}
	tu_tmpdir(dir, sizeof(dir), "enospc");
	test_enospc();
	tu_rmtree(dir);
	return tu_done("test_damage");
}
