/* mkgolden.c: regenerates the golden bad chunk files of tests/golden/ (run by hand: mkgolden DIR). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "tape.h"

/* Layout constants from docs/FORMAT.md (deliberately not taken from tape_int.h:
 * this tool checks the spec, not the implementation). */
#define FH_LEN 80

struct buf {
	uint8_t *p;
	size_t n;
};

static uint64_t fake_boot = 2000000000ull;
static uint64_t clk_boot(void *ctx) { (void)ctx; return fake_boot; }
static uint64_t clk_real(void *ctx) { (void)ctx; return fake_boot + 1750000000000000000ull; }

static void die(const char *what)
{
	fprintf(stderr, "mkgolden: %s\n", what);
	exit(1);
}

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void wr16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

/* The base chunk: a META frame, 3 DATA frames of 10 drops each, index, trailer;
 * DATA frames in the given codec (the 1.0 files: plain). */
static struct buf base_chunk(const char *dir, int unknown, int codec)
{
	struct tape_writer_opts o = { 0 };
	struct tape_writer *w;
	struct nt_ev_drop d = { 0 };
	struct buf b;
	char path[4096];
	FILE *f;

	o.dir = dir;
	o.hostname = "golden";
	o.boot_id = "00000000-0000-4000-8000-000000000000";
	o.kernel = "6.18.0";
	o.version = "mkgolden";
	o.cmdline = "mkgolden";
	o.recording_id = (const uint8_t *)"0123456789abcdef";
	o.now_ns = clk_boot;
	o.realtime_ns = clk_real;
	o.codec = codec;
	w = tape_writer__open(&o);
	if (!w)
		die("writer");
	for (int fr = 0; fr < 3; fr++) {
		for (int i = 0; i < 10; i++) {
			d.seq = (uint32_t)(fr * 10 + i);
			d.reason = 3;
			fake_boot += 1000000;
			if (tape_writer__append(w, NT_REC_DROP, fake_boot, &d, sizeof(d)))
				die("append");
			if (unknown && i == 5 && tape_writer__append(w, 0x01ff, fake_boot, "future", 6))
				die("append unknown");
		}
		if (tape_writer__flush(w))
			die("flush");
	}
	if (tape_writer__close(w))
		die("close");
	snprintf(path, sizeof(path), "%s/chunk-00000001.ntc", dir);
	f = fopen(path, "rb");
	if (!f)
		die("open chunk");
	fseek(f, 0, SEEK_END);
	b.n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	b.p = malloc(b.n + 4096);
	if (!b.p || fread(b.p, 1, b.n, f) != b.n)
		die("read chunk");
	fclose(f);
	unlink(path);
	return b;
}

static size_t hdr_len(const struct buf *b) { return rd32(b->p + 12); }

/* Offset of frame k (0 = the META frame). */
static size_t frame_off(const struct buf *b, int k)
{
	size_t off = hdr_len(b);
	for (int i = 0; i < k; i++)
		off += rd16(b->p + off + 6) + rd32(b->p + off + 12);
	return off;
}

static void fix_frame_hdr(struct buf *b, size_t off)
{
	wr32(b->p + off + FH_LEN - 4, tape_crc32c(0, b->p + off, FH_LEN - 4));
}

static void fix_chunk_hdr(struct buf *b)
{
	size_t n = hdr_len(b);
	wr32(b->p + n - 4, tape_crc32c(0, b->p, n - 4));
}

/* Replaces frame k's payload with p[0..n) (raw length raw), fixing its header. */
static void set_payload(struct buf *b, int k, const uint8_t *p, size_t n, uint32_t raw)
{
	size_t off = frame_off(b, k), old = rd32(b->p + off + 12);
	uint8_t *nb = malloc(b->n - old + n + 4096);
	if (!nb)
		die("oom");
	memcpy(nb, b->p, off + FH_LEN);
	memcpy(nb + off + FH_LEN, p, n);
	memcpy(nb + off + FH_LEN + n, b->p + off + FH_LEN + old, b->n - off - FH_LEN - old);
	free(b->p);
	b->p = nb;
	b->n = b->n - old + n;
	wr32(b->p + off + 12, (uint32_t)n);
	wr32(b->p + off + 16, raw);
	wr32(b->p + off + 72, tape_crc32c(0, p, n));
	fix_frame_hdr(b, off);
}

/* Decompresses frame k into out (cap bytes); returns the raw length. */
static size_t get_raw(const struct buf *b, int k, uint8_t *out, size_t cap)
{
	size_t off = frame_off(b, k);
	size_t r = ZSTD_decompress(out, cap, b->p + off + FH_LEN, rd32(b->p + off + 12));
	if (ZSTD_isError(r))
		die("decompress");
	return r;
}

static void drop_trailer(struct buf *b)
{
	/* cut the index frame and the trailer: as a .partial chunk after a crash */
	b->n = frame_off(b, 4);
}

static void save(const char *dir, const char *name, const struct buf *b)
{
	char path[4096];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b->p, 1, b->n, f) != b->n)
		die(path);
	fclose(f);
}

static struct buf copy(const struct buf *b)
{
	struct buf c = { malloc(b->n + 4096), b->n };
	if (!c.p)
		die("oom");
	memcpy(c.p, b->p, b->n);
	return c;
}

int main(int argc, char **argv)
{
	char tmp[] = "/tmp/mkgolden-XXXXXX";
	const char *out = argc > 1 ? argv[1] : ".";
	struct buf base, b;
	uint8_t raw[65536], z[65536];
	size_t n, zn;

	if (!mkdtemp(tmp))
		die("mkdtemp");
	base = base_chunk(tmp, 0, TAPE_CODEC_PLAIN);
	save(out, "good.chunk", &base);

	b = copy(&base); b.p[1] = 'X'; save(out, "bad-magic.chunk", &b); free(b.p);
	b = copy(&base); wr16(b.p + 8, 2); fix_chunk_hdr(&b); save(out, "future-major.chunk", &b); free(b.p);
	b = copy(&base); wr16(b.p + 10, 9); fix_chunk_hdr(&b); save(out, "future-minor.chunk", &b); free(b.p);
	b = copy(&base); b.p[70] ^= 0x20; save(out, "header-crc.chunk", &b); free(b.p);
	b = copy(&base); b.n = 40; save(out, "truncated-header.chunk", &b); free(b.p);
	b = copy(&base); b.n = 0; save(out, "empty.chunk", &b); free(b.p);
	b = copy(&base); drop_trailer(&b); b.n -= 20; save(out, "truncated-frame.chunk", &b); free(b.p);
	b = copy(&base); drop_trailer(&b); b.n = frame_off(&b, 3) + 50;
	save(out, "truncated-frame-header.chunk", &b); free(b.p);
	b = copy(&base); drop_trailer(&b); save(out, "no-index.chunk", &b); free(b.p);
	b = copy(&base); b.p[frame_off(&b, 2) + 20] ^= 1; save(out, "frame-header-crc.chunk", &b); free(b.p);
	b = copy(&base); b.p[frame_off(&b, 2) + FH_LEN + 9] ^= 0x40; save(out, "payload-crc.chunk", &b); free(b.p);
	b = copy(&base);
	memset(z, 0xa5, 300);
	set_payload(&b, 2, z, 300, rd32(b.p + frame_off(&b, 2) + 16));
	drop_trailer(&b); save(out, "bad-zstd.chunk", &b); free(b.p);
	/* a record length that runs past the end of the frame (CRCs valid) */
	b = copy(&base);
	n = get_raw(&b, 2, raw, sizeof(raw));
	wr16(raw + 3 * 104 + 2, 2000);
	zn = ZSTD_compress(z, sizeof(z), raw, n, 3);
	set_payload(&b, 2, z, zn, (uint32_t)n);
	drop_trailer(&b); save(out, "bad-record-length.chunk", &b); free(b.p);
	/* a frame that holds fewer records than its header says */
	b = copy(&base);
	wr32(b.p + frame_off(&b, 2) + 20, 11); fix_frame_hdr(&b, frame_off(&b, 2));
	drop_trailer(&b); save(out, "record-count.chunk", &b); free(b.p);
	/* trailer damaged: the index is not used, the scan reads everything */
	b = copy(&base); b.p[b.n - 10] ^= 1; save(out, "bad-trailer.chunk", &b); free(b.p);
	/* 100 bytes of garbage between frames 1 and 2 */
	b = copy(&base);
	drop_trailer(&b);
	{
		size_t at = frame_off(&b, 2);
		memmove(b.p + at + 100, b.p + at, b.n - at);
		memset(b.p + at, 0x5a, 100);
		b.n += 100;
	}
	save(out, "garbage-between-frames.chunk", &b); free(b.p);
	/* unknown record type, unknown frame type, unknown header TLV: all skipped */
	free(base.p);
	base = base_chunk(tmp, 1, TAPE_CODEC_PLAIN);
	b = copy(&base);
	{
		/* an extra TLV (tag 99) at the end of the header */
		size_t hl = hdr_len(&b), ins = 4 + 5;
		memmove(b.p + hl - 4 + ins, b.p + hl - 4, b.n - (hl - 4));
		wr16(b.p + hl - 4, 99);
		wr16(b.p + hl - 2, 5);
		memcpy(b.p + hl, "hello", 5);
		b.n += ins;
		wr32(b.p + 12, (uint32_t)(hl + ins));
		fix_chunk_hdr(&b);
		drop_trailer(&b);
		/* frame 2 becomes an unknown frame type 9 */
		b.p[frame_off(&b, 2) + 4] = 9;
		fix_frame_hdr(&b, frame_off(&b, 2));
	}
	save(out, "unknown-types.chunk", &b); free(b.p);
	free(base.p);
	/* format 1.1: DATA_DELTA frames (type 4, rec_len at frame header offset 28) */
	base = base_chunk(tmp, 0, TAPE_CODEC_DELTA);
	save(out, "delta-good.chunk", &base);
	/* rec_len 8 bytes short (CRCs valid): the last record of frame 2 does not fit */
	b = copy(&base);
	wr32(b.p + frame_off(&b, 2) + 28, rd32(b.p + frame_off(&b, 2) + 28) - 8);
	fix_frame_hdr(&b, frame_off(&b, 2));
	drop_trailer(&b); save(out, "delta-rec-len.chunk", &b); free(b.p);
	/* rec_len more than 8 x the encoded length: impossible, nothing decoded */
	b = copy(&base);
	wr32(b.p + frame_off(&b, 2) + 28, 8 * rd32(b.p + frame_off(&b, 2) + 16) + 8);
	fix_frame_hdr(&b, frame_off(&b, 2));
	drop_trailer(&b); save(out, "delta-impossible-len.chunk", &b); free(b.p);
	free(base.p);
	rmdir(tmp);
	return 0;
}
