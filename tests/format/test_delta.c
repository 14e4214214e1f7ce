/* test_delta.c: the DATA_DELTA codec: every record type round-trips byte-identical through both codecs, the transform alone on random and repetitive records, and broken encodings are rejected with the records before the break. */
#include "tape_int.h"
#include "test_records.h"

#define NREC 6000

/* Event-like records: a connection out of 50 (repeating nt_conn), counters
 * that move slowly, some random bytes, text of varying length; ~1/8 of the
 * records fully random so that references are often useless. */
static void make_rec(struct rec *r, uint64_t *seed, uint64_t ts, int i)
{
	static uint8_t conns[50][64];
	static int init;
	uint32_t min, extra, c;

	if (!init) {
		uint64_t s = 99;
		for (int k = 0; k < 50; k++)
			for (int b = 0; b < 64; b++)
				conns[k][b] = b < 8 || tu_rand(&s) % 3 ? (uint8_t)tu_rand(&s) : 0;
		init = 1;
	}
	r->type = tr_types[tu_rand(seed) % TR_NTYPES];
	r->ts = ts;
	min = nt_rec_min_size(r->type);
	extra = tr_extra(r->type, seed, 60);
	r->len = min + extra;
	c = (uint32_t)(tu_rand(seed) % 50);
	memset(r->data, 0, sizeof(r->data));
	if (tu_rand(seed) % 8 == 0) {
		for (uint32_t k = 0; k < r->len; k++)
			r->data[k] = (uint8_t)tu_rand(seed);
	} else {
		memcpy(r->data, conns[c], r->len < 64 ? r->len : 64);
		for (uint32_t k = 64; k + 8 <= r->len; k += 8) {
			uint64_t v = (uint64_t)i * (k + 1) + (tu_rand(seed) % 4 == 0 ? tu_rand(seed) : 0);
			memcpy(r->data + k, &v, 8);
		}
	}
	tr_make_valid(r, extra, c);
}

/* Writes NREC records with the codec, reads them back, checks frames and records. */
static void roundtrip(int codec, uint32_t frame_size)
{
	static struct rec recs[NREC];
	char dir[256];
	struct tu_clock ck = { .boot = 5000000000ull, .real_off = 1700000000000000000ull };
	struct tape_writer_opts o = { 0 };
	struct tape_frame_info fi;
	struct tape_writer *w;
	struct tape_chunk_reader *cr;
	struct tape_record rec;
	char **paths;
	uint64_t seed = 7 + frame_size, ts = 6000000000ull;
	int n, err, i, ndata = 0, nmeta = 0;

	tu_tmpdir(dir, sizeof(dir), "delta");
	o.dir = dir;
	o.frame_size = frame_size;
	o.codec = codec;
	o.now_ns = tu_clock_boot;
	o.realtime_ns = tu_clock_real;
	o.cb_ctx = &ck;
	w = tape_writer__open(&o);
	REQUIRE(w);
	for (i = 0; i < NREC; i++) {
		ts += tu_rand(&seed) % 2000000;
		make_rec(&recs[i], &seed, i % 89 == 3 ? ts - 200000000ull : ts, i);
		CHECK_EQ(tape_writer__append(w, recs[i].type, recs[i].ts, recs[i].data, recs[i].len),
			 0);
	}
	CHECK_EQ(tape_writer__close(w), 0);

	n = tape_list_chunks(dir, &paths);
	REQUIRE(n == 1);
	cr = tape_chunk_reader__open(paths[0], &err);
	REQUIRE(cr);
	CHECK_EQ(tape_chunk_reader__source(cr)->hdr.minor, codec == TAPE_CODEC_PLAIN ? 0 : 1);
	/* frame kinds: META plain, DATA in the chosen codec */
	while (tape_chunk_reader__next_frame(cr, 1, &fi) == 1) {
		if (fi.type == TAPE_FRAME_DATA) {
			CHECK_EQ(fi.codec, codec == TAPE_CODEC_PLAIN ? TAPE_CODEC_PLAIN
								  : TAPE_CODEC_DELTA);
			ndata++;
		} else if (fi.type == TAPE_FRAME_META) {
			CHECK_EQ(fi.codec, 0);
			nmeta++;
		}
	}
	CHECK(ndata > 0);
	CHECK(nmeta > 0);
	CHECK_EQ(tape_chunk_reader__ndamage(cr), 0);
	tape_chunk_reader__free(cr);

	cr = tape_chunk_reader__open(paths[0], &err);
	REQUIRE(cr);
	REQUIRE(tape_chunk_reader__next(cr, &rec) == 1);
	CHECK_EQ(rec.type, NT_REC_CLOCK);
	for (i = 0; i < NREC; i++) {
		REQUIRE(tape_chunk_reader__next(cr, &rec) == 1);
		CHECK_EQ(rec.type, recs[i].type);
		CHECK_EQ(rec.ts, recs[i].ts);
		CHECK_EQ(rec.len, recs[i].len);
		CHECK_EQ(rec.flags, 0);
		CHECK(rec.len == recs[i].len && !memcmp(rec.data, recs[i].data, rec.len));
		CHECK(((uintptr_t)rec.data & 7) == 0);
		if (check_failures > 20)
			break;
	}
	CHECK_EQ(tape_chunk_reader__next(cr, &rec), 0);
	CHECK_EQ(tape_chunk_reader__ndamage(cr), 0);
	tape_chunk_reader__free(cr);
	tape_list_free(paths, n);
	tu_rmtree(dir);
}

/* Lays records out as a frame's payload (plain layout). Returns its length. */
static uint32_t layout(uint8_t *raw, const struct rec *r, int n, uint64_t base)
{
	uint32_t pos = 0;
	for (int i = 0; i < n; i++) {
		uint32_t tot = REC_HDR_LEN + r[i].len;
		put_u16(raw + pos, r[i].type);
		put_u16(raw + pos + 2, (uint16_t)tot);
		put_u32(raw + pos + 4, (uint32_t)(r[i].ts - base));
		memcpy(raw + pos + REC_HDR_LEN, r[i].data, r[i].len);
		memset(raw + pos + tot, 0, align8(tot) - tot);
		pos += align8(tot);
	}
	return pos;
}

/* The transform alone: round trip, then every single-byte change and every
 * cut of the encoded stream decodes without reading or writing out of
 * bounds, and what it decodes before the break is the original prefix. */
static void transform(void)
{
	static struct rec recs[400];
	static uint8_t raw[400 * 320], plain[400 * 320], enc[400 * 400];
	struct delta_tables *t = delta_tables__new();
	uint64_t seed = 3, ts = 1000;
	uint32_t rlen, good_len, good_rec;
	size_t elen;
	char why[128];
	int rc;

	REQUIRE(t);
	for (int i = 0; i < 400; i++) {
		ts += tu_rand(&seed) % 100000;
		make_rec(&recs[i], &seed, ts, i);
	}
	rlen = layout(raw, recs, 400, 0);
	REQUIRE(delta_bound(rlen) <= sizeof(enc));
	elen = delta_encode(t, raw, rlen, 400, enc);
	CHECK(elen < rlen); /* event-like records shrink */
	rc = delta_decode(t, enc, (uint32_t)elen, 400, plain, rlen, &good_len, &good_rec, why,
			  sizeof(why));
	CHECK_EQ(rc, 0);
	CHECK_EQ(good_len, rlen);
	CHECK_EQ(good_rec, 400);
	CHECK(!memcmp(plain, raw, rlen));

	/* empty frame and a frame of one record without payload */
	CHECK_EQ(delta_encode(t, raw, 0, 0, enc), 0);
	CHECK_EQ(delta_decode(t, enc, 0, 0, plain, 0, &good_len, &good_rec, why, sizeof(why)), 0);

	/* wrong counts from the frame header */
	CHECK_EQ(delta_decode(t, enc, (uint32_t)elen, 401, plain, rlen, &good_len, &good_rec, why,
			      sizeof(why)), -TAPE_E_RECORD);
	CHECK_EQ(delta_decode(t, enc, (uint32_t)elen, 400, plain, rlen + 8, &good_len, &good_rec,
			      why, sizeof(why)), -TAPE_E_RECORD);
	CHECK(good_rec == 400 && good_len == rlen); /* all records, then the length mismatch */
	CHECK(!memcmp(plain, raw, rlen));
	CHECK_EQ(delta_decode(t, enc, (uint32_t)elen, 400, plain, rlen - 8, &good_len, &good_rec,
			      why, sizeof(why)), -TAPE_E_RECORD);
	CHECK(good_rec == 399 && !memcmp(plain, raw, good_len));

	/* cuts: exact-size copies so that ASan sees any over-read */
	for (size_t cut = 0; cut < elen; cut += 1 + cut / 16) {
		uint8_t *c = malloc(cut ? cut : 1);
		REQUIRE(c);
		memcpy(c, enc, cut);
		rc = delta_decode(t, c, (uint32_t)cut, 400, plain, rlen, &good_len, &good_rec, why,
				  sizeof(why));
		CHECK_EQ(rc, -TAPE_E_RECORD);
		CHECK(good_len <= rlen && !memcmp(plain, raw, good_len));
		free(c);
	}
	/* single-byte changes (as if the CRC had missed them): decoding stays in
	 * bounds and either succeeds or reports TAPE_E_RECORD */
	for (int k = 0; k < 3000; k++) {
		size_t at = tu_rand(&seed) % elen;
		uint8_t *c = malloc(elen);
		REQUIRE(c);
		memcpy(c, enc, elen);
		c[at] ^= (uint8_t)(1 + tu_rand(&seed) % 255);
		rc = delta_decode(t, c, (uint32_t)elen, 400, plain, rlen, &good_len, &good_rec, why,
				  sizeof(why));
		CHECK(rc == 0 || rc == -TAPE_E_RECORD);
		CHECK(good_len <= rlen);
		free(c);
	}
	delta_tables__free(t);
}

/* Records with the same type and key far apart, short and long records of one
 * type, and more keys than key slots: the references stay in step. */
static void references(void)
{
	static uint8_t raw[1 << 20], plain[1 << 20], enc[(1 << 20) + (1 << 17) + 16];
	struct delta_tables *t = delta_tables__new();
	static struct rec r[8000];
	uint64_t seed = 11;
	uint32_t rlen, gl, gr;
	size_t elen;
	char why[128];

	REQUIRE(t);
	for (int i = 0; i < 8000; i++) {
		uint64_t key = tu_rand(&seed) % (i < 4000 ? 20000 : 30);
		r[i].type = i % 3 ? NT_REC_SAMPLE : 0x01ff;
		r[i].ts = (uint64_t)i * 7;
		r[i].len = r[i].type == NT_REC_SAMPLE ? 120 : (uint32_t)(tu_rand(&seed) % 100);
		memset(r[i].data, 0, sizeof(r[i].data));
		memcpy(r[i].data, &key, 8);
		r[i].data[8 + i % 50] = (uint8_t)i;
	}
	rlen = layout(raw, r, 8000, 0);
	REQUIRE(delta_bound(rlen) <= sizeof(enc));
	elen = delta_encode(t, raw, rlen, 8000, enc);
	CHECK_EQ(delta_decode(t, enc, (uint32_t)elen, 8000, plain, rlen, &gl, &gr, why,
			      sizeof(why)), 0);
	CHECK(!memcmp(plain, raw, rlen));
	delta_tables__free(t);
}

int main(void)
{
	transform();
	references();
	roundtrip(TAPE_CODEC_DEFAULT, 256 << 10);
	roundtrip(TAPE_CODEC_DELTA, 4096);
	roundtrip(TAPE_CODEC_DELTA, 100); /* one record per frame: no references */
	roundtrip(TAPE_CODEC_PLAIN, 8192);
	{
		/* an unknown codec is refused */
		char dir[256];
		struct tape_writer_opts o = { 0 };
		tu_tmpdir(dir, sizeof(dir), "delta");
		o.dir = dir;
		o.codec = 99;
		errno = 0;
		CHECK(tape_writer__open(&o) == NULL);
		CHECK_EQ(errno, EINVAL);
		tu_rmtree(dir);
	}
	return tu_done("test_delta");
}
