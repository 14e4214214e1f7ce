/* chunk_reader.c: reads one chunk file: header, metadata, frames and records, with damage reports and resync. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "tape_int.h"

#define SCAN_BLOCK  65536
#define DAMAGE_MAX  100000

struct tape_chunk_reader {
	struct source_int *src;
	int own_src;
	int fd;
	uint64_t size;
	uint64_t data_start;         /* first frame */
	uint64_t data_end;           /* index frame offset, or the file size */
	uint64_t pos;                /* next frame to read */
	uint32_t next_frame_no;      /* expected number of the frame at pos (for messages) */

	struct tape_frame_info *index;
	size_t nindex;

	/* the frame being returned record by record */
	int in_frame;
	struct frame_hdr cur;
	uint64_t cur_off;
	uint8_t *raw;                /* the frame's records (plain layout) */
	size_t raw_cap;
	uint32_t rec_end;            /* bytes of good records in raw */
	uint32_t rec_expect;         /* records the frame should hold */
	uint32_t raw_pos, rec_no;
	uint16_t min_type;           /* nt_rec_min_size() of the last type seen (hot path) */
	uint32_t min_len;
	uint64_t meta_next;          /* metadata of frames before this offset is in meta */
	int apply_meta;              /* the current frame's metadata records go into meta */

	uint8_t *disk;
	size_t disk_cap;
	uint8_t *scratch;            /* zero-extended copy of a short record */
	size_t scratch_cap;
	uint8_t *enc;                /* DATA_DELTA: the decompressed, still encoded payload */
	size_t enc_cap;
	struct delta_tables *dt;
	ZSTD_DCtx *dctx;

	/* the batch reader's arrays (tape_chunk_reader__next_batch) */
	struct tape_record *batch;
	uint64_t *batch_real;
	size_t batch_cap;
	uint8_t *arena;              /* zero-extended copies of the batch's short records */
	size_t arena_cap;
	struct { size_t rec, off; } *patch; /* which records point into the arena, where */
	size_t patch_cap;
	size_t clock_hint;           /* clock_list_to_real_hint() */

	struct tape_damage *dmg;
	size_t ndmg, dmgcap;
	uint64_t dmg_hwm;            /* highest damage offset so far */
};

/* Registry of live sources by the address of their header, so that
 * tape_header__to_realtime(&src->hdr, ...) can use the chunk's clock pairs
 * (sorted array: a few thousand chunks at most are open in one process). */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct source_int **reg;
static size_t reg_n, reg_cap;

static size_t reg_pos(const void *hdr)
{
	size_t lo = 0, hi = reg_n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((uintptr_t)&reg[mid]->pub.hdr < (uintptr_t)hdr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int reg_add(struct source_int *s)
{
	size_t i;
	pthread_mutex_lock(&reg_lock);
	if (reg_n == reg_cap) {
		size_t ncap = reg_cap ? reg_cap * 2 : 64;
		struct source_int **n = realloc(reg, ncap * sizeof(*n));
		if (!n) {
			pthread_mutex_unlock(&reg_lock);
			return -ENOMEM;
		}
		reg = n;
		reg_cap = ncap;
	}
	i = reg_pos(&s->pub.hdr);
	memmove(reg + i + 1, reg + i, (reg_n - i) * sizeof(*reg));
	reg[i] = s;
	reg_n++;
	pthread_mutex_unlock(&reg_lock);
	return 0;
}

static void reg_del(struct source_int *s)
{
	size_t i;
	pthread_mutex_lock(&reg_lock);
	i = reg_pos(&s->pub.hdr);
	if (i < reg_n && reg[i] == s) {
		memmove(reg + i, reg + i + 1, (reg_n - i - 1) * sizeof(*reg));
		reg_n--;
	}
	if (!reg_n) {
		free(reg);
		reg = NULL;
		reg_cap = 0;
	}
	pthread_mutex_unlock(&reg_lock);
}

uint64_t tape_header__to_realtime(const struct tape_header *h, uint64_t boot_ns)
{
	uint64_t rt;
	size_t i;

	if (!h)
		return 0;
	pthread_mutex_lock(&reg_lock);
	i = reg_pos(h);
	if (i < reg_n && &reg[i]->pub.hdr == h)
		rt = clock_list_to_real(&reg[i]->clocks, boot_ns, h->created_boot_ns,
					h->created_real_ns);
	else
		rt = header_to_realtime(h, boot_ns);
	pthread_mutex_unlock(&reg_lock);
	return rt;
}

void source_int_free(struct source_int *s)
{
	if (!s)
		return;
	if (s->registered)
		reg_del(s);
	tape_meta__free(s->pub.meta);
	clock_list_free(&s->clocks);
	free(s->path);
	free(s);
}

uint64_t source_to_realtime(const struct tape_source *src, uint64_t ts)
{
	const struct source_int *s = (const struct source_int *)src;
	if (!src)
		return 0;
	return clock_list_to_real(&s->clocks, ts, src->hdr.created_boot_ns,
				  src->hdr.created_real_ns);
}

struct source_int *chunk_reader_take_source(struct tape_chunk_reader *r)
{
	r->own_src = 0;
	return r->src;
}

const struct tape_source *tape_chunk_reader__source(const struct tape_chunk_reader *r)
{
	return r ? &r->src->pub : NULL;
}

size_t tape_chunk_reader__ndamage(const struct tape_chunk_reader *r)
{
	return r ? r->ndmg : 0;
}

const struct tape_damage *tape_chunk_reader__damage(const struct tape_chunk_reader *r, size_t i)
{
	return r && i < r->ndmg ? &r->dmg[i] : NULL;
}

__attribute__((format(printf, 5, 6)))
static void damage(struct tape_chunk_reader *r, uint64_t off, uint64_t lost, int err,
		   const char *fmt, ...)
{
	struct tape_damage *d;
	va_list ap;

	/* re-reading a region (after the metadata preload, or a seek) reports it
	 * once; damage past every earlier one (the usual case) is new */
	if (r->ndmg && off <= r->dmg_hwm)
		for (size_t i = r->ndmg; i-- > 0;)
			if (r->dmg[i].offset == off && r->dmg[i].err == err)
				return;
	if (r->ndmg >= DAMAGE_MAX)
		return;
	if (r->ndmg == r->dmgcap) {
		size_t ncap = r->dmgcap ? r->dmgcap * 2 : 4;
		struct tape_damage *n = realloc(r->dmg, ncap * sizeof(*n));
		if (!n)
			return;
		r->dmg = n;
		r->dmgcap = ncap;
	}
	if (off > r->dmg_hwm)
		r->dmg_hwm = off;
	d = &r->dmg[r->ndmg++];
	memset(d, 0, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "%s", r->src->path);
	d->offset = off;
	d->lost_bytes = lost;
	d->err = err;
	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
}

/* Reads up to len bytes at off; returns the count read or -errno. */
static ssize_t read_at(struct tape_chunk_reader *r, uint64_t off, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(r->fd, (uint8_t *)buf + got, len - got, (off_t)(off + got));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Reads and checks the frame header at off. 0, -TAPE_E_TRUNCATED, -TAPE_E_FRAME or -errno. */
static int load_hdr(struct tape_chunk_reader *r, uint64_t off, struct frame_hdr *fh,
		    const char **why, size_t *have)
{
	uint8_t buf[FRAME_HDR_MAX];
	size_t need = FRAME_HDR_LEN;
	ssize_t n;
	int rc;

	*have = 0;
	if (off >= r->size) {
		*why = "end of file";
		return -TAPE_E_TRUNCATED;
	}
	n = read_at(r, off, buf, r->size - off < FRAME_HDR_LEN ? r->size - off : FRAME_HDR_LEN);
	if (n < 0)
		return (int)n;
	rc = frame_hdr_decode(buf, (size_t)n, fh, &need, why);
	if (rc == -TAPE_E_TRUNCATED && need > (size_t)n && (uint64_t)n == FRAME_HDR_LEN &&
	    off + need <= r->size) {
		ssize_t m = read_at(r, off + (uint64_t)n, buf + n, need - (size_t)n);
		if (m < 0)
			return (int)m;
		n += m;
		rc = frame_hdr_decode(buf, (size_t)n, fh, &need, why);
	}
	*have = (size_t)n;
	if (rc == -TAPE_E_TRUNCATED)
		*why = "file ends inside a frame header";
	return rc;
}

/* Offset of the next valid frame header at or after from (or the file size). */
static uint64_t resync(struct tape_chunk_reader *r, uint64_t from)
{
	uint8_t *blk = r->scratch;
	uint64_t off = from;

	if (r->scratch_cap < SCAN_BLOCK) {
		uint8_t *n = realloc(r->scratch, SCAN_BLOCK);
		if (!n)
			return r->size;
		r->scratch = blk = n;
		r->scratch_cap = SCAN_BLOCK;
	}
	while (off + FRAME_MAGIC_LEN <= r->size) {
		ssize_t n = read_at(r, off, blk, SCAN_BLOCK);
		size_t i;
		if (n < FRAME_MAGIC_LEN)
			break;
		for (i = 0; i + FRAME_MAGIC_LEN <= (size_t)n; i++) {
			struct frame_hdr fh;
			const char *why;
			size_t have;
			uint8_t *p = memchr(blk + i, FRAME_MAGIC[0], (size_t)n - i);
			if (!p)
				break;
			i = (size_t)(p - blk);
			if (i + FRAME_MAGIC_LEN > (size_t)n)
				break;
			if (memcmp(p, FRAME_MAGIC, FRAME_MAGIC_LEN))
				continue;
			if (!load_hdr(r, off + i, &fh, &why, &have))
				return off + i;
		}
		off += (uint64_t)n - (FRAME_MAGIC_LEN - 1);
	}
	return r->size;
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *n;
	if (*cap >= need)
		return 0;
	n = realloc(*buf, need);
	if (!n)
		return -ENOMEM;
	*buf = n;
	*cap = need;
	return 0;
}

/* Reads the payload at off, checks its CRC and decompresses it into r->raw.
 * Returns 0, a -TAPE_E_* damage code (reason in why), or -ENOMEM/-EIO. */
static int load_payload(struct tape_chunk_reader *r, uint64_t off, const struct frame_hdr *fh,
			char *why, size_t whylen)
{
	unsigned long long csize;
	ssize_t n;
	size_t d;
	int err;

	err = grow(&r->disk, &r->disk_cap, fh->disk_len ? fh->disk_len : 1);
	if (err)
		return err;
	n = read_at(r, off + fh->hdr_len, r->disk, fh->disk_len);
	if (n < 0)
		return (int)n;
	if ((size_t)n != fh->disk_len) {
		snprintf(why, whylen, "file ends inside the frame payload");
		return -TAPE_E_TRUNCATED;
	}
	if (CRC_MISMATCH(tape_crc32c(0, r->disk, fh->disk_len), fh->payload_crc)) {
		snprintf(why, whylen, "payload CRC32C mismatch");
		return -TAPE_E_CRC;
	}
	csize = ZSTD_getFrameContentSize(r->disk, fh->disk_len);
	if (csize == ZSTD_CONTENTSIZE_ERROR || csize == ZSTD_CONTENTSIZE_UNKNOWN) {
		snprintf(why, whylen, "payload is not a zstd frame with a content size");
		return -TAPE_E_ZSTD;
	}
	if (csize != fh->raw_len) {
		snprintf(why, whylen, "zstd content size %llu != raw length %u", csize, fh->raw_len);
		return -TAPE_E_ZSTD;
	}
	err = grow(&r->raw, &r->raw_cap, fh->raw_len ? fh->raw_len : 1);
	if (err)
		return err;
	d = ZSTD_decompressDCtx(r->dctx, r->raw, fh->raw_len, r->disk, fh->disk_len);
	if (ZSTD_isError(d)) {
		snprintf(why, whylen, "zstd: %s", ZSTD_getErrorName(d));
		return -TAPE_E_ZSTD;
	}
	if (d != fh->raw_len) {
		snprintf(why, whylen, "decompressed %zu bytes, header says %u", d, fh->raw_len);
		return -TAPE_E_ZSTD;
	}
	return 0;
}

/* DATA_DELTA: undoes the transform of the payload load_payload() left in
 * r->raw (FORMAT.md 4.1), leaving the records in r->raw and their good length
 * in r->rec_end. Returns 0, -TAPE_E_RECORD (reason in why; r->rec_end and
 * *good are what was decoded before the break) or -ENOMEM. */
static int undo_delta(struct tape_chunk_reader *r, const struct frame_hdr *fh, uint32_t *good,
		      char *why, size_t whylen)
{
	uint8_t *t;
	size_t tc;
	int rc;

	*good = 0;
	r->rec_end = 0;
	if (!r->dt && !(r->dt = delta_tables__new()))
		return -ENOMEM;
	/* each record costs at least 1 encoded byte per 8 record bytes */
	if (fh->rec_len > 8ull * fh->raw_len) {
		snprintf(why, whylen, "record length %u impossible for %u encoded bytes",
			 fh->rec_len, fh->raw_len);
		return -TAPE_E_RECORD;
	}
	if (grow(&r->enc, &r->enc_cap, fh->rec_len ? fh->rec_len : 1))
		return -ENOMEM;
	/* the encoded bytes move to r->enc, the records are decoded into r->raw */
	t = r->raw;
	r->raw = r->enc;
	r->enc = t;
	tc = r->raw_cap;
	r->raw_cap = r->enc_cap;
	r->enc_cap = tc;
	rc = delta_decode(r->dt, r->enc, fh->raw_len, fh->nrecords, r->raw, fh->rec_len,
			  &r->rec_end, good, why, whylen);
	return rc;
}

/* Checks the record framing of the frame in r->raw. Returns the number of
 * good records; *bad is set when the framing breaks (reason in why). */
static uint32_t check_records(const uint8_t *raw, uint32_t len, uint32_t expect, int *bad,
			      uint32_t *bad_at, char *why, size_t whylen)
{
	uint32_t pos = 0, n = 0;

	*bad = 0;
	while (pos < len) {
		uint32_t tlen;
		if (len - pos < REC_HDR_LEN) {
			snprintf(why, whylen, "record %u at byte %u: truncated record header", n,
				 pos);
			goto bad;
		}
		tlen = get_u16(raw + pos + 2);
		if (tlen < REC_HDR_LEN || align8(tlen) > len - pos) {
			snprintf(why, whylen, "record %u at byte %u: bad length %u", n, pos, tlen);
			goto bad;
		}
		pos += align8(tlen);
		n++;
	}
	if (n != expect) {
		snprintf(why, whylen, "holds %u records, header says %u", n, expect);
		*bad_at = len;
		*bad = 1;
	}
	return n;
bad:
	*bad_at = pos;
	*bad = 1;
	return n;
}

/* Moves to the next frame. mode 0: header only; 1: decode + check (verify);
 * 2: decode and start returning its records. Returns 1 with *fh and *off set, 0 at
 * the end, <0 fatal. */
static int advance(struct tape_chunk_reader *r, int mode, struct frame_hdr *fh, uint64_t *off)
{
	char why[128];
	const char *hwhy;
	size_t have;

	r->in_frame = 0;
	for (;;) {
		uint64_t pos = r->pos, total, nxt;
		uint32_t fno = r->next_frame_no;
		int rc;

		if (pos >= r->data_end || pos >= r->size)
			return 0;
		rc = load_hdr(r, pos, fh, &hwhy, &have);
		if (rc == -TAPE_E_TRUNCATED) {
			uint8_t tail[TRAILER_LEN];
			/* a damaged trailer was reported at open: do not report it again */
			if (r->size - pos == TRAILER_LEN &&
			    read_at(r, pos, tail, TRAILER_LEN) == TRAILER_LEN &&
			    !memcmp(tail, TRAILER_MAGIC, 8)) {
				r->pos = r->size;
				return 0;
			}
			damage(r, pos, r->size - pos, -TAPE_E_TRUNCATED,
			       "frame %u: file ends inside a frame header (%zu of %u bytes)", fno,
			       have, FRAME_HDR_LEN);
			r->pos = r->size;
			return 0;
		}
		if (rc == -TAPE_E_FRAME) {
			uint8_t tail[8];
			if (r->size - pos == TRAILER_LEN && read_at(r, pos, tail, 8) == 8 &&
			    !memcmp(tail, TRAILER_MAGIC, 8)) {
				r->pos = r->size;
				return 0;
			}
			nxt = resync(r, pos + 1);
			damage(r, pos, nxt - pos, -TAPE_E_FRAME, "frame %u: %s", fno, hwhy);
			r->pos = nxt;
			continue;
		}
		if (rc < 0)
			return rc;
		total = (uint64_t)fh->hdr_len + fh->disk_len;
		if (total > r->size - pos) {
			nxt = resync(r, pos + fh->hdr_len);
			if (nxt < r->size) {
				damage(r, pos, nxt - pos, -TAPE_E_FRAME,
				       "frame %u: length %u goes past the next frame", fno,
				       fh->disk_len);
				r->pos = nxt;
				continue;
			}
			damage(r, pos, r->size - pos, -TAPE_E_TRUNCATED,
			       "frame %u: truncated (%llu of %llu bytes present)", fno,
			       (unsigned long long)(r->size - pos), (unsigned long long)total);
			r->pos = r->size;
			return 0;
		}
		r->next_frame_no = fh->frame_no + 1;
		r->pos = pos + total;
		*off = pos;
		if (fh->type != TAPE_FRAME_DATA && fh->type != TAPE_FRAME_META &&
		    fh->type != TAPE_FRAME_INDEX && fh->type != FRAME_DATA_DELTA) {
			if (mode == 2)
				continue; /* unknown frame types are skipped */
			return 1;
		}
		if (mode == 0)
			return 1;
		if (mode == 2 && fh->type == TAPE_FRAME_INDEX)
			continue;
		rc = load_payload(r, pos, fh, why, sizeof(why));
		if (rc == -ENOMEM || (rc < 0 && rc > -TAPE_E_MAGIC))
			return rc;
		if (rc < 0) {
			damage(r, pos, total, rc, "frame %u: %s", fh->frame_no, why);
			continue;
		}
		r->rec_end = fh->raw_len;
		r->rec_expect = fh->nrecords;
		if (fh->type == FRAME_DATA_DELTA) {
			uint32_t good;
			rc = undo_delta(r, fh, &good, why, sizeof(why));
			if (rc == -ENOMEM)
				return rc;
			if (rc < 0) {
				/* the records before the break are still returned */
				damage(r, pos, fh->rec_len - r->rec_end, rc,
				       "frame %u: %s (%u records before it)", fh->frame_no, why,
				       good);
				r->rec_expect = good;
			}
		}
		clock_list_add(&r->src->clocks, fh->clock_boot, fh->clock_real);
		if (mode == 1 && fh->type != TAPE_FRAME_INDEX) {
			int bad;
			uint32_t bad_at, good;
			good = check_records(r->raw, r->rec_end, r->rec_expect, &bad, &bad_at, why,
					     sizeof(why));
			if (bad)
				damage(r, pos, r->rec_end - bad_at, -TAPE_E_RECORD,
				       "frame %u: %s (%u records before it)", fh->frame_no, why,
				       good);
		}
		if (mode == 2) {
			/* re-reading a frame (after a seek back) must not add its
			 * metadata twice (lists: clock pairs, losses, pins) */
			r->apply_meta = pos >= r->meta_next;
			if (r->apply_meta)
				r->meta_next = pos + total;
			r->in_frame = 1;
			r->cur = *fh;
			r->cur_off = pos;
			r->raw_pos = 0;
			r->rec_no = 0;
		}
		return 1;
	}
}

int tape_chunk_reader__next_frame(struct tape_chunk_reader *r, int decode,
				  struct tape_frame_info *fi)
{
	struct frame_hdr fh;
	uint64_t off;
	int rc;

	if (!r || !fi)
		return -EINVAL;
	rc = advance(r, decode ? 1 : 0, &fh, &off);
	if (rc == 1)
		frame_hdr_to_info(&fh, off, fi);
	return rc;
}

/* Returns the next record of the current frame: 1, or 0 when the frame is done. */
static int frame_next_record(struct tape_chunk_reader *r, struct tape_record *rec)
{
	uint32_t left, tlen, len, min;
	uint16_t type;
	const uint8_t *p;

	while (r->in_frame) {
		if (r->raw_pos >= r->rec_end) {
			if (r->rec_no != r->rec_expect)
				damage(r, r->cur_off, 0, -TAPE_E_RECORD,
				       "frame %u: holds %u records, header says %u "
				       "(%u records before it)",
				       r->cur.frame_no, r->rec_no, r->rec_expect, r->rec_no);
			r->in_frame = 0;
			break;
		}
		left = r->rec_end - r->raw_pos;
		p = r->raw + r->raw_pos;
		if (left < REC_HDR_LEN) {
			damage(r, r->cur_off, left, -TAPE_E_RECORD,
			       "frame %u: record %u at byte %u: truncated record header "
			       "(%u records before it)",
			       r->cur.frame_no, r->rec_no, r->raw_pos, r->rec_no);
			r->in_frame = 0;
			break;
		}
		type = get_u16(p);
		tlen = get_u16(p + 2);
		if (tlen < REC_HDR_LEN || align8(tlen) > left) {
			damage(r, r->cur_off, left, -TAPE_E_RECORD,
			       "frame %u: record %u at byte %u: bad length %u (%u records before it)",
			       r->cur.frame_no, r->rec_no, r->raw_pos, tlen, r->rec_no);
			r->in_frame = 0;
			break;
		}
		r->raw_pos += align8(tlen);
		r->rec_no++;
		len = tlen - REC_HDR_LEN;
		memset(rec, 0, sizeof(*rec));
		rec->type = type;
		rec->len = len;
		rec->ts = r->cur.base_ts + get_u32(p + 4);
		rec->data = p + REC_HDR_LEN;
		rec->src = &r->src->pub;
		rec->frame_offset = r->cur_off;
		if (nt_rec_is_meta(type) && r->apply_meta) {
			if (tape_meta__add(r->src->pub.meta, type, rec->data, len) == -ENOMEM)
				return -ENOMEM;
			if (type == NT_REC_CLOCK && len >= sizeof(struct nt_rec_clock))
				clock_list_add(&r->src->clocks, get_u64(rec->data),
					       get_u64((const uint8_t *)rec->data + 8));
		}
		if (type != r->min_type) {
			r->min_type = type;
			r->min_len = nt_rec_min_size(type);
		}
		min = r->min_len;
		if (len < min) {
			if (grow(&r->scratch, &r->scratch_cap, min))
				return -ENOMEM;
			memset(r->scratch, 0, min);
			memcpy(r->scratch, rec->data, len);
			rec->data = r->scratch;
			rec->len = min;
			rec->flags |= TAPE_REC_F_SHORT;
		}
		return 1;
	}
	return 0;
}

int tape_chunk_reader__next(struct tape_chunk_reader *r, struct tape_record *rec)
{
	struct frame_hdr fh;
	uint64_t off;
	int rc;

	if (!r || !rec)
		return -EINVAL;
	for (;;) {
		rc = frame_next_record(r, rec);
		if (rc)
			return rc;
		rc = advance(r, 2, &fh, &off);
		if (rc <= 0)
			return rc;
	}
}

/* Room for n records in the batch arrays. 0 or -ENOMEM. */
static int batch_grow(struct tape_chunk_reader *r, size_t n)
{
	size_t ncap;
	void *p;

	if (n <= r->batch_cap)
		return 0;
	ncap = r->batch_cap ? r->batch_cap : 1024;
	while (ncap < n)
		ncap *= 2;
	p = realloc(r->batch, ncap * sizeof(*r->batch));
	if (!p)
		return -ENOMEM;
	r->batch = p;
	p = realloc(r->batch_real, ncap * sizeof(*r->batch_real));
	if (!p)
		return -ENOMEM;
	r->batch_real = p;
	r->batch_cap = ncap;
	return 0;
}

int tape_chunk_reader__next_batch(struct tape_chunk_reader *r, struct tape_batch *b)
{
	struct frame_hdr fh;
	uint64_t off;
	int rc;

	if (!r || !b)
		return -EINVAL;
	for (;;) {
		size_t n = 0, npatch = 0, arena_len = 0;

		if (!r->in_frame) {
			rc = advance(r, 2, &fh, &off);
			if (rc <= 0)
				return rc;
		}
		for (;;) {
			struct tape_record *rec;

			/* a metadata record starts a new batch, so that a caller sees the
			 * source's metadata as after each tape_chunk_reader__next() */
			if (n && r->in_frame && r->rec_end - r->raw_pos >= REC_HDR_LEN &&
			    nt_rec_is_meta(get_u16(r->raw + r->raw_pos)))
				break;
			if (n == r->batch_cap && batch_grow(r, n + 1))
				return -ENOMEM;
			rec = &r->batch[n];
			rc = frame_next_record(r, rec);
			if (rc != 1)
				break;
			rc = 0;

			if (rec->flags & TAPE_REC_F_SHORT) {
				/* the scratch copy is reused by the next record: keep one per record */
				if (grow(&r->arena, &r->arena_cap, arena_len + rec->len))
					return -ENOMEM;
				if (npatch == r->patch_cap) {
					size_t ncap = r->patch_cap ? r->patch_cap * 2 : 16;
					void *p = realloc(r->patch, ncap * sizeof(*r->patch));
					if (!p)
						return -ENOMEM;
					r->patch = p;
					r->patch_cap = ncap;
				}
				memcpy(r->arena + arena_len, rec->data, rec->len);
				r->patch[npatch].rec = n;
				r->patch[npatch++].off = arena_len;
				arena_len += align8(rec->len);
			}
			/* converted now, with the clock pairs read so far, as a caller
			 * of tape_chunk_reader__next() converts after each record */
			r->batch_real[n] = clock_list_to_real_hint(&r->src->clocks, rec->ts,
								   r->src->pub.hdr.created_boot_ns,
								   r->src->pub.hdr.created_real_ns,
								   &r->clock_hint);
			n++;
		}
		if (rc < 0)
			return rc;
		if (!n)
			continue;
		for (size_t i = 0; i < npatch; i++)
			r->batch[r->patch[i].rec].data = r->arena + r->patch[i].off;
		b->rec = r->batch;
		b->real = r->batch_real;
		b->n = n;
		b->frame_offset = r->batch[0].frame_offset;
		return 1;
	}
}

int tape_chunk_reader__seek_time(struct tape_chunk_reader *r, uint64_t ts)
{
	struct frame_hdr fh;
	uint64_t off;
	int rc;

	if (!r)
		return -EINVAL;
	r->in_frame = 0;
	if (r->index) {
		for (size_t i = 0; i < r->nindex; i++) {
			if (r->index[i].type == TAPE_FRAME_DATA && r->index[i].last_ts >= ts &&
			    r->index[i].offset >= r->data_start && r->index[i].offset < r->data_end) {
				r->pos = r->index[i].offset;
				return 0;
			}
		}
		r->pos = r->data_end;
		return 0;
	}
	r->pos = r->data_start;
	r->next_frame_no = 0;
	while ((rc = advance(r, 0, &fh, &off)) == 1) {
		if ((fh.type == TAPE_FRAME_DATA || fh.type == FRAME_DATA_DELTA) &&
		    fh.last_ts >= ts) {
			r->pos = off;
			r->next_frame_no = fh.frame_no;
			return 0;
		}
	}
	return rc;
}

int tape_chunk_reader__index(struct tape_chunk_reader *r, struct tape_frame_info **fi, size_t *n)
{
	if (!r || !fi || !n)
		return -EINVAL;
	*fi = NULL;
	*n = 0;
	if (!r->index)
		return -TAPE_E_INDEX;
	*fi = malloc((r->nindex ? r->nindex : 1) * sizeof(**fi));
	if (!*fi)
		return -ENOMEM;
	memcpy(*fi, r->index, r->nindex * sizeof(**fi));
	*n = r->nindex;
	return 0;
}

/* Reads the trailer and the index frame; sets r->index and r->data_end. */
static int load_index(struct tape_chunk_reader *r)
{
	uint8_t tr[TRAILER_LEN];
	uint64_t ioff, flen;
	uint32_t nframes;
	struct frame_hdr fh;
	const char *hwhy;
	char why[128];
	size_t have;
	int rc;

	if (r->size < r->data_start + FRAME_HDR_LEN + TRAILER_LEN)
		return 0;
	if (read_at(r, r->size - TRAILER_LEN, tr, TRAILER_LEN) != TRAILER_LEN)
		return 0;
	if (memcmp(tr, TRAILER_MAGIC, 8))
		return 0; /* not closed cleanly (or cut): readers scan */
	if (trailer_decode(tr, &ioff, &flen, &nframes)) {
		damage(r, r->size - TRAILER_LEN, 0, -TAPE_E_INDEX,
		       "trailer CRC32C mismatch; index not used");
		return 0;
	}
	if (flen != r->size || ioff < r->data_start || ioff > r->size - TRAILER_LEN - FRAME_HDR_LEN) {
		damage(r, r->size - TRAILER_LEN, 0, -TAPE_E_INDEX,
		       "trailer points outside the file; index not used");
		return 0;
	}
	rc = load_hdr(r, ioff, &fh, &hwhy, &have);
	if (rc == -ENOMEM)
		return rc;
	if (rc || fh.type != TAPE_FRAME_INDEX ||
	    ioff + fh.hdr_len + fh.disk_len != r->size - TRAILER_LEN ||
	    (uint64_t)fh.nrecords * INDEX_ENTRY_LEN != fh.raw_len) {
		damage(r, ioff, 0, -TAPE_E_INDEX, "index frame header invalid; index not used");
		return 0;
	}
	rc = load_payload(r, ioff, &fh, why, sizeof(why));
	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		damage(r, ioff, 0, -TAPE_E_INDEX, "index frame: %s; index not used", why);
		return 0;
	}
	r->index = malloc((fh.nrecords ? fh.nrecords : 1) * sizeof(*r->index));
	if (!r->index)
		return -ENOMEM;
	for (uint32_t i = 0; i < fh.nrecords; i++)
		index_entry_decode(r->raw + (size_t)i * INDEX_ENTRY_LEN, &r->index[i]);
	r->nindex = fh.nrecords;
	r->data_end = ioff;
	r->src->pub.has_index = 1;
	return 0;
}

void tape_chunk_reader__free(struct tape_chunk_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->own_src)
		source_int_free(r->src);
	ZSTD_freeDCtx(r->dctx);
	delta_tables__free(r->dt);
	free(r->enc);
	free(r->index);
	free(r->raw);
	free(r->disk);
	free(r->scratch);
	free(r->batch);
	free(r->batch_real);
	free(r->arena);
	free(r->patch);
	free(r->dmg);
	free(r);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

struct tape_chunk_reader *tape_chunk_reader__open(const char *path, int *err)
{
	struct tape_chunk_reader *r = NULL;
	struct stat stbuf;
	uint8_t *hbuf = NULL;
	struct frame_hdr fh;
	uint64_t off;
	size_t need;
	ssize_t n;
	int rc;

	if (!path) {
		rc = -EINVAL;
		goto fail;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		rc = -ENOMEM;
		goto fail;
	}
	r->fd = -1;
	r->src = calloc(1, sizeof(*r->src));
	if (!r->src) {
		rc = -ENOMEM;
		goto fail;
	}
	r->own_src = 1;
	r->src->path = strdup(path);
	r->src->pub.meta = tape_meta__new();
	r->dctx = ZSTD_createDCtx();
	if (!r->src->path || !r->src->pub.meta || !r->dctx) {
		rc = -ENOMEM;
		goto fail;
	}
	r->src->pub.path = r->src->path;
	rc = reg_add(r->src);
	if (rc)
		goto fail;
	r->src->registered = 1;
	r->src->pub.partial = ends_with(path, ".partial");
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0 || fstat(r->fd, &stbuf)) {
		rc = -errno;
		goto fail;
	}
	if (S_ISDIR(stbuf.st_mode)) {
		rc = -EISDIR;
		goto fail;
	}
	r->size = (uint64_t)stbuf.st_size;

	hbuf = malloc(CHUNK_HDR_MAX);
	if (!hbuf) {
		rc = -ENOMEM;
		goto fail;
	}
	n = read_at(r, 0, hbuf, r->size < CHUNK_HDR_MAX ? r->size : CHUNK_HDR_MAX);
	if (n < 0) {
		rc = (int)n;
		goto fail;
	}
	rc = chunk_hdr_decode(hbuf, (size_t)n, &r->src->pub.hdr, &need);
	if (rc < 0)
		goto fail;
	r->data_start = (uint64_t)rc;
	r->data_end = r->size;
	r->pos = r->data_start;
	clock_list_add(&r->src->clocks, r->src->pub.hdr.created_boot_ns,
		       r->src->pub.hdr.created_real_ns);
	rc = load_index(r);
	if (rc)
		goto fail;

	/* metadata preload: the META frames at the start of the chunk */
	while ((rc = advance(r, 2, &fh, &off)) == 1 && fh.type == TAPE_FRAME_META) {
		struct tape_record rec;
		while ((rc = frame_next_record(r, &rec)) == 1)
			;
		if (rc < 0)
			goto fail;
	}
	if (rc < 0)
		goto fail;
	/* the first non-META frame was loaded but its records not read */
	r->meta_next = rc == 1 ? off : r->pos;
	r->in_frame = 0;
	r->pos = r->data_start;
	r->next_frame_no = 0;
	free(hbuf);
	if (err)
		*err = 0;
	return r;
fail:
	free(hbuf);
	tape_chunk_reader__free(r);
	if (err)
		*err = rc;
	errno = rc > -TAPE_E_MAGIC ? -rc : EBADMSG;
	return NULL;
}
