/* test_roundtrip.c: every record type of records.h written and read back byte-identical, with timestamps. */
#include "test_records.h"

#define NREC 5000

static void make_rec(struct rec *r, uint64_t *seed, uint64_t ts)
{
	uint32_t min, extra;

	r->type = tr_types[tu_rand(seed) % TR_NTYPES];
	r->ts = ts;
	min = nt_rec_min_size(r->type);
	extra = tr_extra(r->type, seed, 40);
	r->len = min + extra;
	for (uint32_t i = 0; i < r->len; i++)
		r->data[i] = (uint8_t)tu_rand(seed);
	tr_make_valid(r, extra, tu_rand(seed));
}

static void roundtrip(uint32_t frame_size, int level)
{
	static struct rec recs[NREC];
	char dir[256];
	struct tu_clock ck = { .boot = 5000000000ull, .real_off = 1700000000000000000ull };
	struct tape_writer_opts o = { 0 };
	struct tape_writer *w;
	struct tape_chunk_reader *cr;
	struct tape_record rec;
	char **paths;
	uint64_t seed = 42 + frame_size, ts = 6000000000ull;
	int n, rc, err, i;

	tu_tmpdir(dir, sizeof(dir), "roundtrip");
	o.dir = dir;
	o.frame_size = frame_size;
	o.zstd_level = level;
	o.hostname = "host-a";
	o.version = "test";
	o.cmdline = "test_roundtrip";
	o.now_ns = tu_clock_boot;
	o.realtime_ns = tu_clock_real;
	o.cb_ctx = &ck;
	w = tape_writer__open(&o);
	REQUIRE(w);
	for (i = 0; i < NREC; i++) {
		ts += tu_rand(&seed) % 2000000;
		/* a few records slightly out of order */
		make_rec(&recs[i], &seed, i % 97 == 5 ? ts - 300000000ull : ts);
		rc = tape_writer__append(w, recs[i].type, recs[i].ts, recs[i].data, recs[i].len);
		CHECK_EQ(rc, 0);
	}
	CHECK_EQ(tape_writer__append(w, NT_REC_DROP, ts, recs[0].data, 10), -EINVAL);
	CHECK_EQ(tape_writer__append(w, 0x0150, ts, recs[0].data, 65528), -TAPE_E_TOOBIG);
	CHECK_EQ(tape_writer__close(w), 0);

	n = tape_list_chunks(dir, &paths);
	REQUIRE(n == 1);
	CHECK(strstr(paths[0], "chunk-00000001.ntc") != NULL);
	CHECK(!strstr(paths[0], ".partial"));
	cr = tape_chunk_reader__open(paths[0], &err);
	REQUIRE(cr);
	CHECK_EQ(err, 0);
	CHECK(tape_chunk_reader__source(cr)->has_index);
	CHECK(!strcmp(tape_chunk_reader__source(cr)->hdr.hostname, "host-a"));
	CHECK(!strcmp(tape_chunk_reader__source(cr)->hdr.cmdline, "test_roundtrip"));
	CHECK_EQ(tape_chunk_reader__source(cr)->hdr.chunk_seq, 1);
	/* the snapshot: one clock pair */
	REQUIRE(tape_chunk_reader__next(cr, &rec) == 1);
	CHECK_EQ(rec.type, NT_REC_CLOCK);
	CHECK_EQ(rec.ts, 5000000000ull);
	for (i = 0; i < NREC; i++) {
		rc = tape_chunk_reader__next(cr, &rec);
		REQUIRE(rc == 1);
		CHECK_EQ(rec.type, recs[i].type);
		CHECK_EQ(rec.ts, recs[i].ts);
		CHECK_EQ(rec.len, recs[i].len);
		CHECK_EQ(rec.flags, 0);
		CHECK(rec.len == recs[i].len && !memcmp(rec.data, recs[i].data, rec.len));
		CHECK(((uintptr_t)rec.data & 7) == 0);
		/* realtime conversion through the clock pairs (fake clock: fixed offset) */
		CHECK(tape_record_realtime(&rec) == rec.ts + ck.real_off);
		if (check_failures > 20)
			break;
	}
	CHECK_EQ(tape_chunk_reader__next(cr, &rec), 0);
	CHECK_EQ(tape_chunk_reader__ndamage(cr), 0);
	tape_chunk_reader__free(cr);
	tape_list_free(paths, n);
	tu_rmtree(dir);
}

int main(void)
{
	roundtrip(256 << 10, 3);
	roundtrip(4096, 1);  /* many small frames */
	roundtrip(100, 19);  /* one record per frame */
	return tu_done("test_roundtrip");
}
