/* test_batch.c: the batch reader (tape_chunk_reader__next_batch) hands out the same records, realtimes, metadata and damage as tape_chunk_reader__next, for both codecs, intact and cut at every frame. */
#include <zstd.h>

#include "tape.h"
#include "test_util.h"

#define NREC 3000
#define T_SHORT 0x7776           /* written as this type, turned into a short NT_REC_SAMPLE */

/* What a consumer sees of one record: the record, its realtime and what the
 * source's metadata says at that moment (the comm of pid 100 + the record's
 * index mod 8, which inline PROCESS records add and replace). */
struct seen {
	uint16_t type, flags;
	uint32_t len;
	uint64_t ts, real, frame_offset;
	uint32_t sum;                /* of the payload bytes */
	char comm[17];
};

static struct seen a[NREC * 2], b[NREC * 2];
static int codec;

static uint32_t sum_bytes(const void *p, uint32_t n)
{
	const uint8_t *c = p;
	uint32_t s = 0;
	for (uint32_t i = 0; i < n; i++)
		s = s * 31 + c[i];
	return s;
}

static void note(struct seen *s, const struct tape_record *rec, uint64_t real, int i)
{
	const struct nt_rec_process *p = tape_meta__process(rec->src->meta, 100 + (uint32_t)(i % 8), NULL);

	memset(s, 0, sizeof(*s));
	s->type = rec->type;
	s->flags = rec->flags;
	s->len = rec->len;
	s->ts = rec->ts;
	s->real = real;
	s->frame_offset = rec->frame_offset;
	s->sum = sum_bytes(rec->data, rec->len);
	if (p)
		memcpy(s->comm, p->comm, 16);
}

static uint64_t boot_cb(void *ctx) { return ((struct tu_clock *)ctx)->boot; }
static uint64_t real_cb(void *ctx) { return tu_clock_real(ctx); }

/* A chunk with events, short and unknown records, inline processes (added and
 * replaced) and inline clock pairs that move realtime. Returns its path. */
static char *make_chunk(const char *dir)
{
	struct tu_clock ck = { .boot = 1000000000ull, .real_off = 1700000000000000000ull };
	struct tape_writer_opts o = { 0 };
	struct tape_writer *w;
	uint64_t seed = 11;
	char **paths, *path;
	int n;

	o.dir = dir;
	o.frame_size = 8192;
	o.codec = codec;
	o.now_ns = boot_cb;
	o.realtime_ns = real_cb;
	o.cb_ctx = &ck;
	w = tape_writer__open(&o);
	REQUIRE(w);
	for (int i = 0; i < NREC; i++) {
		uint64_t r = tu_rand(&seed);
		ck.boot += 1000 + r % 5000000;
		if (r % 97 == 0) {
			struct nt_rec_process p = { .pid = 100 + (uint32_t)(r >> 8) % 8, .ppid = 1 };
			snprintf(p.comm, sizeof(p.comm), "p%llu", (unsigned long long)(r >> 20) % 1000);
			REQUIRE(tape_writer__append(w, NT_REC_PROCESS, ck.boot, &p, sizeof(p)) == 0);
		} else if (r % 89 == 0) {
			struct nt_rec_clock c = { ck.boot, ck.boot + ck.real_off + 777777, 0 };
			ck.real_off += 777777; /* a clock step */
			REQUIRE(tape_writer__append(w, NT_REC_CLOCK, ck.boot, &c, sizeof(c)) == 0);
		} else if (r % 13 == 0) {
			uint8_t shortrec[sizeof(struct nt_ev_sample)] = { 0 }; /* first 40 bytes: an older recorder's sample */
			for (size_t k = 0; k < 40; k++)
				shortrec[k] = (uint8_t)(tu_rand(&seed) | 1);
			/* the writer refuses short records: retyped in the file below */
			REQUIRE(tape_writer__append(w, codec == TAPE_CODEC_PLAIN ? T_SHORT : NT_REC_SAMPLE, ck.boot,
						    shortrec, codec == TAPE_CODEC_PLAIN ? 40 : sizeof(shortrec)) == 0);
		} else if (r % 11 == 0) {
			uint8_t unk[24] = { 1, 2, 3 };
			REQUIRE(tape_writer__append(w, 0x7777, ck.boot, unk, sizeof(unk)) == 0);
		} else {
			struct nt_ev_sample s;
			memset(&s, 0, sizeof(s));
			s.c.cookie = 1 + r % 50;
			s.srtt_us = (uint32_t)(r >> 32);
			s.snd_cwnd = (uint32_t)i;
			REQUIRE(tape_writer__append(w, NT_REC_SAMPLE, ck.boot, &s, sizeof(s)) == 0);
		}
	}
	REQUIRE(tape_writer__close(w) == 0);
	n = tape_list_chunks(dir, &paths);
	REQUIRE(n == 1);
	path = strdup(paths[0]);
	REQUIRE(path);
	tape_list_free(paths, n);
	return path;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* Rewrites a plain-codec chunk with every T_SHORT record retyped as NT_REC_SAMPLE
 * (shorter than the sample structure): each DATA frame decompressed, patched,
 * compressed again, its CRCs recomputed; the index and trailer are left out
 * (the reader scans). Returns how many records were retyped. */
static int retype_short(const char *path, const struct tape_frame_info *fi, size_t nfi)
{
	size_t len, out_len, first = fi[0].offset;
	uint8_t *buf = tu_read_file(path, &len), *out = malloc(len * 2 + 65536);
	int retyped = 0;

	REQUIRE(out);
	memcpy(out, buf, first); /* chunk header */
	out_len = first;
	for (size_t k = 0; k < nfi; k++) {
		uint8_t *h = buf + fi[k].offset, *raw;
		uint32_t hdr_len = (uint32_t)(h[6] | h[7] << 8), disk = get32(h + 12), raw_len = get32(h + 16);
		size_t csize;

		if (h[4] == TAPE_FRAME_INDEX)
			break;
		raw = malloc(raw_len ? raw_len : 1);
		REQUIRE(raw);
		REQUIRE(ZSTD_decompress(raw, raw_len, h + hdr_len, disk) == raw_len);
		for (uint32_t pos = 0; h[4] == TAPE_FRAME_DATA && pos + 8 <= raw_len;) {
			uint16_t type, tlen;
			memcpy(&type, raw + pos, 2);
			memcpy(&tlen, raw + pos + 2, 2);
			if (type == T_SHORT) {
				type = NT_REC_SAMPLE;
				memcpy(raw + pos, &type, 2);
				retyped++;
			}
			pos += (tlen + 7u) & ~7u;
		}
		memcpy(out + out_len, h, hdr_len);
		csize = ZSTD_compress(out + out_len + hdr_len, ZSTD_compressBound(raw_len), raw, raw_len, 3);
		REQUIRE(!ZSTD_isError(csize));
		put32(out + out_len + 12, (uint32_t)csize);
		put32(out + out_len + 72, tape_crc32c(0, out + out_len + hdr_len, csize));
		put32(out + out_len + hdr_len - 4, tape_crc32c(0, out + out_len, hdr_len - 4));
		out_len += hdr_len + csize;
		free(raw);
	}
	tu_write_file(path, out, out_len);
	free(out);
	free(buf);
	return retyped;
}

/* Reads path record by record into a[], returns the count; damage count in *nd. */
static int read_next(const char *path, size_t *nd)
{
	struct tape_chunk_reader *r = tape_chunk_reader__open(path, NULL);
	struct tape_record rec;
	int n = 0;

	if (!r)
		return -1;
	while (n < NREC * 2 && tape_chunk_reader__next(r, &rec) == 1) {
		note(&a[n], &rec, tape_record_realtime(&rec), n);
		n++;
	}
	*nd = tape_chunk_reader__ndamage(r);
	tape_chunk_reader__free(r);
	return n;
}

/* The same with the batch reader into b[]; after `first` records read with
 * tape_chunk_reader__next (a caller may mix both). Checks the batch rules. */
static int read_batch(const char *path, size_t *nd, int first)
{
	struct tape_chunk_reader *r = tape_chunk_reader__open(path, NULL);
	struct tape_record rec;
	struct tape_batch bt;
	int n = 0, rc;

	if (!r)
		return -1;
	while (n < first && tape_chunk_reader__next(r, &rec) == 1) {
		note(&b[n], &rec, tape_record_realtime(&rec), n);
		n++;
	}
	while ((rc = tape_chunk_reader__next_batch(r, &bt)) == 1) {
		CHECK(bt.n >= 1);
		for (size_t i = 0; i < bt.n && n < NREC * 2; i++) {
			CHECK_MSG(i == 0 || !nt_rec_is_meta(bt.rec[i].type), "metadata record %zu of a batch", i);
			CHECK(bt.rec[i].frame_offset == bt.frame_offset);
			note(&b[n], &bt.rec[i], bt.real[i], n);
			n++;
		}
	}
	CHECK(rc == 0);
	CHECK(tape_chunk_reader__next_batch(r, &bt) == 0); /* the end stays the end */
	*nd = tape_chunk_reader__ndamage(r);
	tape_chunk_reader__free(r);
	return n;
}

static void compare(const char *path, const char *what, int first)
{
	size_t nda = 0, ndb = 0;
	int na = read_next(path, &nda), nb = read_batch(path, &ndb, first);

	CHECK_MSG(na == nb, "%s: %d records one by one, %d in batches", what, na, nb);
	CHECK_MSG(nda == ndb, "%s: %zu damages one by one, %zu in batches", what, nda, ndb);
	for (int i = 0; i < na && i < nb; i++) {
		if (memcmp(&a[i], &b[i], sizeof(a[i]))) {
			CHECK_MSG(0, "%s: record %d differs (type %u/%u ts %llu/%llu real %llu/%llu comm %s/%s)", what, i,
				  a[i].type, b[i].type, (unsigned long long)a[i].ts, (unsigned long long)b[i].ts,
				  (unsigned long long)a[i].real, (unsigned long long)b[i].real, a[i].comm, b[i].comm);
			break;
		}
	}
}

int main(void)
{
	int codecs[] = { TAPE_CODEC_DELTA, TAPE_CODEC_PLAIN };

	for (int c = 0; c < 2; c++) {
		char dir[256], cut[300], what[64];
		struct tape_frame_info *fi = NULL;
		struct tape_chunk_reader *r;
		size_t nfi = 0, len;
		uint8_t *buf;
		char *path;
		int nshort = 0;

		codec = codecs[c];
		tu_tmpdir(dir, sizeof(dir), "batch");
		path = make_chunk(dir);
		r = tape_chunk_reader__open(path, NULL);
		REQUIRE(r);
		REQUIRE(tape_chunk_reader__index(r, &fi, &nfi) == 0);
		tape_chunk_reader__free(r);
		if (codec == TAPE_CODEC_PLAIN) {
			CHECK(retype_short(path, fi, nfi) > 100);
			free(fi);
			fi = NULL;
		}
		compare(path, codec == TAPE_CODEC_DELTA ? "delta" : "plain", 0);
		compare(path, "after 777 records one by one", 777);
		{
			size_t nd;
			int n = read_batch(path, &nd, 0);
			for (int i = 0; i < n; i++)
				nshort += (b[i].flags & TAPE_REC_F_SHORT) != 0;
			CHECK(n > NREC / 2);
			if (codec == TAPE_CODEC_PLAIN)
				CHECK(nshort > 100); /* several short records per batch, each its own copy */
		}
		/* cut inside every frame, and a payload byte flipped in each */
		if (!fi) {
			/* the rewritten chunk has no index: its frames as a scan finds them */
			struct tape_frame_info f;
			r = tape_chunk_reader__open(path, NULL);
			REQUIRE(r);
			fi = calloc(NREC, sizeof(*fi));
			REQUIRE(fi);
			nfi = 0;
			while (nfi < NREC && tape_chunk_reader__next_frame(r, 0, &f) == 1)
				fi[nfi++] = f;
			tape_chunk_reader__free(r);
		}
		buf = tu_read_file(path, &len);
		snprintf(cut, sizeof(cut), "%s/cut.ntc", dir);
		for (size_t k = 0; k < nfi; k++) {
			size_t at = fi[k].offset + 80 + fi[k].disk_len / 2;
			if (at >= len)
				continue;
			tu_write_file(cut, buf, at);
			snprintf(what, sizeof(what), "cut in frame %zu", k);
			compare(cut, what, 0);
			buf[at] ^= 0x40;
			tu_write_file(cut, buf, len);
			snprintf(what, sizeof(what), "flip in frame %zu", k);
			compare(cut, what, 0);
			buf[at] ^= 0x40;
		}
		CHECK(nfi > 5);
		free(fi);
		free(buf);
		free(path);
		tu_rmtree(dir);
	}
	CHECK(tape_chunk_reader__next_batch(NULL, NULL) == -EINVAL);
	return tu_done("test_batch");
}
