/* writer.c: the tape writer: records -> frames -> zstd -> chunk files, with rotation and crash safety. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "names.h"
#include "tape_int.h"

#define PENDING_MAX 4

struct pending {
	uint8_t *buf;        /* FRAME_HDR_LEN bytes of header space, then the payload */
	size_t cap;
	struct frame_hdr fh;
};

struct tape_writer {
	struct tape_writer_opts o;   /* strings below point to our own copies */
	char *dir;
	char *s_host, *s_boot, *s_kernel, *s_version, *s_cmdline;
	struct tape_header tmpl;     /* header template (seq and clocks filled per chunk) */

	int fd;                      /* -1 when no chunk is open */
	char path[4096];             /* the .partial path of the open chunk */
	uint64_t next_seq;
	uint64_t off;                /* bytes of the open chunk known good on disk */
	uint64_t chunk_open_ns;
	uint32_t frame_no;
	struct tape_frame_info *idx;
	size_t nidx, idxcap;
	int need_rotate;
	int idx_broken;              /* an index entry was lost (ENOMEM): write no index */
	int snap_err;                /* first write error met while queuing a snapshot */

	/* the open frame */
	uint8_t *raw;
	uint32_t raw_len, raw_cap;
	uint8_t ftype;
	int meta_phase;
	uint64_t base_ts, min_ts, max_ts, frame_open_ns, nlost;
	uint32_t nrec;

	struct pending pend[PENDING_MAX];
	int npend;

	ZSTD_CCtx *cctx;
	struct delta_tables *dt;     /* TAPE_CODEC_DELTA: reference tables */
	uint8_t *enc;                /* TAPE_CODEC_DELTA: the encoded frame before zstd */
	size_t enc_cap;
	struct tape_writer_stats st;
	uint64_t real_off;           /* fake now_ns without realtime_ns: realtime - boottime at open */
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t w_now(struct tape_writer *w)
{
	return w->o.now_ns ? w->o.now_ns(w->o.cb_ctx) : clock_ns(CLOCK_BOOTTIME);
}

static uint64_t w_real(struct tape_writer *w)
{
	if (w->o.realtime_ns)
		return w->o.realtime_ns(w->o.cb_ctx);
	/* a test clock alone: keep the pairs consistent with it */
	if (w->o.now_ns)
		return w_now(w) + w->real_off;
	return clock_ns(CLOCK_REALTIME);
}

static int pwrite_all(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ENOSPC;
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err = 0;
	if (fd < 0)
		return -errno;
	if (fsync(fd) && errno != EINVAL)
		err = -errno;
	close(fd);
	return err;
}

/* Writes buf at the end of the chunk; on failure cuts the file back. */
static int chunk_write(struct tape_writer *w, const uint8_t *buf, size_t len)
{
	int err = pwrite_all(w->fd, buf, len, w->off);
	if (err) {
		w->st.write_errors++;
		/* never leave a torn frame behind */
		if (ftruncate(w->fd, (off_t)w->off)) {
			/* the tail stays torn; readers stop there with a precise damage */
		}
		return err;
	}
	w->off += len;
	w->st.disk_bytes += len;
	return 0;
}

static int idx_add(struct tape_writer *w, const struct frame_hdr *fh, uint64_t off)
{
	struct tape_frame_info *fi;
	if (w->nidx == w->idxcap) {
		size_t ncap = w->idxcap ? w->idxcap * 2 : 64;
		struct tape_frame_info *n = realloc(w->idx, ncap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		w->idx = n;
		w->idxcap = ncap;
	}
	fi = &w->idx[w->nidx++];
	frame_hdr_to_info(fh, off, fi);
	return 0;
}

/* Writes the pending frames in order. */
static int drain(struct tape_writer *w)
{
	int err;

	if (w->fd < 0)
		return w->npend ? -EIO : 0;
	while (w->npend) {
		struct pending *p = &w->pend[0], tmp;
		uint64_t at = w->off;
		size_t len = FRAME_HDR_LEN + (size_t)p->fh.disk_len;

		p->fh.frame_no = w->frame_no;
		frame_hdr_encode(&p->fh, p->buf);
		err = chunk_write(w, p->buf, len);
		if (err)
			return err;
		/* the frame is in the file now: whatever follows, it is not written twice */
		err = idx_add(w, &p->fh, at);
		if (err)
			w->idx_broken = 1;
		if (!err && w->o.fsync && fdatasync(w->fd)) {
			err = -errno;
			w->st.write_errors++;
		}
		w->frame_no++;
		w->st.frames++;
		if ((p->fh.type == TAPE_FRAME_DATA || p->fh.type == FRAME_DATA_DELTA) &&
		    w->off >= w->o.chunk_size)
			w->need_rotate = 1;
		tmp = w->pend[0];
		memmove(&w->pend[0], &w->pend[1], (size_t)(w->npend - 1) * sizeof(w->pend[0]));
		w->pend[w->npend - 1] = tmp; /* keep the buffer for reuse */
		w->npend--;
		if (err)
			return err;
	}
	return 0;
}

/* Compresses the open frame into the pending queue. -ENOSPC if the queue is full. */
static int seal(struct tape_writer *w)
{
	struct pending *p;
	const uint8_t *src = w->raw;
	uint32_t src_len = w->raw_len;
	uint8_t type = w->ftype;
	size_t bound, n;

	if (!w->nrec)
		return 0;
	if (w->npend == PENDING_MAX) {
		int err = drain(w);
		if (err)
			return err == -ENOMEM ? err : -ENOSPC;
	}
	p = &w->pend[w->npend];
	if (type == TAPE_FRAME_DATA && w->o.codec == TAPE_CODEC_DELTA) {
		size_t eb = delta_bound(w->raw_len);
		if (w->enc_cap < eb) {
			uint8_t *nb = realloc(w->enc, eb);
			if (!nb)
				return -ENOMEM;
			w->enc = nb;
			w->enc_cap = eb;
		}
		src_len = (uint32_t)delta_encode(w->dt, w->raw, w->raw_len, w->nrec, w->enc);
		src = w->enc;
		type = FRAME_DATA_DELTA;
	}
	bound = FRAME_HDR_LEN + ZSTD_compressBound(src_len);
	if (p->cap < bound) {
		uint8_t *nb = realloc(p->buf, bound);
		if (!nb)
			return -ENOMEM;
		p->buf = nb;
		p->cap = bound;
	}
	n = ZSTD_compress2(w->cctx, p->buf + FRAME_HDR_LEN, p->cap - FRAME_HDR_LEN, src, src_len);
	if (ZSTD_isError(n))
		return -ENOMEM;
	memset(&p->fh, 0, sizeof(p->fh));
	p->fh.type = type;
	p->fh.disk_len = (uint32_t)n;
	p->fh.raw_len = src_len;
	p->fh.rec_len = type == FRAME_DATA_DELTA ? w->raw_len : 0;
	p->fh.nrecords = w->nrec;
	p->fh.nlost = w->nlost > UINT32_MAX ? UINT32_MAX : (uint32_t)w->nlost;
	p->fh.base_ts = w->base_ts;
	p->fh.first_ts = w->min_ts;
	p->fh.last_ts = w->max_ts;
	p->fh.clock_boot = w_now(w);
	p->fh.clock_real = w_real(w);
	p->fh.payload_crc = tape_crc32c(0, p->buf + FRAME_HDR_LEN, n);
	w->npend++;
	w->raw_len = 0;
	w->nrec = 0;
	w->nlost = 0;
	return 0;
}

static int seal_and_drain(struct tape_writer *w)
{
	int err = seal(w);
	if (err)
		return err;
	return drain(w);
}

/* Appends the index frame and the trailer to the open chunk. */
static int write_index(struct tape_writer *w)
{
	uint8_t *buf = NULL, *raw = NULL, trailer[TRAILER_LEN];
	size_t rawlen = w->nidx * INDEX_ENTRY_LEN, bound, n;
	struct frame_hdr fh = { 0 };
	uint64_t start = w->off;
	int err = 0;

	raw = malloc(rawlen ? rawlen : 1);
	bound = FRAME_HDR_LEN + ZSTD_compressBound(rawlen) + TRAILER_LEN;
	buf = malloc(bound);
	if (!raw || !buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < w->nidx; i++)
		index_entry_encode(&w->idx[i], raw + i * INDEX_ENTRY_LEN);
	n = ZSTD_compress2(w->cctx, buf + FRAME_HDR_LEN, bound - FRAME_HDR_LEN - TRAILER_LEN, raw,
			   rawlen);
	if (ZSTD_isError(n)) {
		err = -ENOMEM;
		goto cleanup;
	}
	fh.type = TAPE_FRAME_INDEX;
	fh.frame_no = w->frame_no;
	fh.disk_len = (uint32_t)n;
	fh.raw_len = (uint32_t)rawlen;
	fh.nrecords = (uint32_t)w->nidx;
	fh.clock_boot = w_now(w);
	fh.clock_real = w_real(w);
	fh.payload_crc = tape_crc32c(0, buf + FRAME_HDR_LEN, n);
	if (w->nidx) {
		fh.first_ts = w->idx[0].first_ts;
		for (size_t i = 0; i < w->nidx; i++) {
			if (w->idx[i].first_ts < fh.first_ts)
				fh.first_ts = w->idx[i].first_ts;
			if (w->idx[i].last_ts > fh.last_ts)
				fh.last_ts = w->idx[i].last_ts;
		}
	}
	frame_hdr_encode(&fh, buf);
	trailer_encode(start, start + FRAME_HDR_LEN + n + TRAILER_LEN, w->frame_no + 1, trailer);
	memcpy(buf + FRAME_HDR_LEN + n, trailer, TRAILER_LEN);
	err = chunk_write(w, buf, FRAME_HDR_LEN + n + TRAILER_LEN);
	if (!err)
		w->st.frames++;
cleanup:
	free(raw);
	free(buf);
	return err;
}

/* Completes the open chunk: index and trailer (unless an index entry was
 * lost: then no index rather than a wrong one), sync, rename, callback. */
static int complete_chunk(struct tape_writer *w)
{
	char final[4096];
	int err = 0;

	if (w->fd < 0)
		return 0;
	if (!w->idx_broken)
		err = write_index(w);
	if (!err && fdatasync(w->fd))
		err = -errno;
	if (err)
		return err;
	close(w->fd);
	w->fd = -1;
	w->need_rotate = 0;
	/* the .partial suffix is 8 characters */
	snprintf(final, sizeof(final), "%.*s", (int)(strlen(w->path) - 8), w->path);
	if (rename(w->path, final))
		return -errno;
	err = fsync_dir(w->dir);
	if (w->o.chunk_done_cb)
		w->o.chunk_done_cb(w->o.cb_ctx, final, w->off);
	return err;
}

static int rec_put(struct tape_writer *w, uint16_t type, uint64_t ts, const void *data,
		   uint32_t len);

static int snapshot_cb(void *ctx, uint16_t type, const void *data, uint32_t len)
{
	struct tape_writer *w = ctx;
	uint64_t refused = w->st.refused;
	int err;

	if (!meta_is_snapshot_type(type))
		return 0;
	err = rec_put(w, type, w->chunk_open_ns, data, len);
	/* a failed write keeps the record pending: go on with the snapshot */
	if (err && w->st.refused == refused) {
		w->snap_err = err;
		return 0;
	}
	return err;
}

static int open_chunk(struct tape_writer *w)
{
	struct tape_header h = w->tmpl;
	uint8_t hbuf[8192];
	char final[4096];
	struct nt_rec_clock ck;
	int hlen, err, e;

	if (w->fd >= 0)
		return 0;
	h.chunk_seq = w->next_seq;
	h.created_boot_ns = w_now(w);
	h.created_real_ns = w_real(w);
	if (tape_chunk_name_format(final, sizeof(final), w->dir, h.chunk_seq, 0) < 0 ||
	    tape_chunk_name_format(w->path, sizeof(w->path), w->dir, h.chunk_seq, 1) < 0)
		return -ENAMETOOLONG;
	if (!access(final, F_OK))
		return -EEXIST;
	hlen = chunk_hdr_encode(&h, hbuf, sizeof(hbuf));
	if (hlen < 0)
		return hlen;
	w->fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (w->fd < 0)
		return -errno;
	w->off = 0;
	w->frame_no = 0;
	w->nidx = 0;
	w->idx_broken = 0;
	w->need_rotate = 0;
	w->chunk_open_ns = h.created_boot_ns;
	err = chunk_write(w, hbuf, (size_t)hlen);
	if (err) {
		close(w->fd);
		w->fd = -1;
		unlink(w->path);
		return err;
	}
	w->next_seq++;
	w->st.chunks++;
	w->st.cur_chunk_seq = h.chunk_seq;

	/* metadata snapshot: a fresh clock pair, the tables, then the caller's extras */
	w->meta_phase = 1;
	w->ftype = TAPE_FRAME_META;
	ck.boottime_ns = h.created_boot_ns;
	ck.realtime_ns = h.created_real_ns;
	/* with a test clock, stay deterministic */
	ck.monotonic_ns = w->o.now_ns ? h.created_boot_ns : clock_ns(CLOCK_MONOTONIC);
	w->snap_err = 0;
	/* each step runs even after a failed one (the first error is returned):
	 * the META frame must be sealed before any data record */
	err = rec_put(w, NT_REC_CLOCK, h.created_boot_ns, &ck, sizeof(ck));
	if (w->o.meta && (e = tape_meta__foreach(w->o.meta, snapshot_cb, w)) && !err)
		err = e;
	if (w->o.chunk_start_cb && (e = w->o.chunk_start_cb(w->o.cb_ctx, w)) && !err)
		err = e;
	if ((e = seal(w)) && !err)
		err = e;
	w->meta_phase = 0;
	w->ftype = TAPE_FRAME_DATA;
	if ((e = drain(w)) && !err)
		err = e;
	return err ? err : w->snap_err;
}

int tape_writer__rotate(struct tape_writer *w)
{
	int err;

	if (!w)
		return -EINVAL;
	err = seal_and_drain(w);
	if (err)
		return err;
	err = complete_chunk(w);
	if (err)
		return err;
	return open_chunk(w);
}

/* Appends a record to the open frame, sealing and rotating as needed. */
static int rec_put(struct tape_writer *w, uint16_t type, uint64_t ts, const void *data,
		   uint32_t len)
{
	uint32_t total = REC_HDR_LEN + len, padded = align8(total);
	int werr = 0;
	uint8_t *p;

	if (w->nrec) {
		int fits = ts >= w->base_ts && ts - w->base_ts <= UINT32_MAX &&
			   w->raw_len + padded <= w->o.frame_size;
		if (!fits) {
			int err = seal(w);
			if (err) {
				w->st.refused++;
				return err;
			}
			werr = drain(w);
			if (!werr && w->need_rotate && !w->meta_phase) {
				werr = tape_writer__rotate(w);
				if (werr && w->fd < 0) {
					w->st.refused++;
					return werr;
				}
			}
		}
	}
	if (!w->nrec) {
		w->base_ts = ts > REC_TS_SLACK_NS ? ts - REC_TS_SLACK_NS : 0;
		w->min_ts = w->max_ts = ts;
		w->frame_open_ns = w_now(w);
	}
	p = w->raw + w->raw_len;
	put_u16(p, type);
	put_u16(p + 2, (uint16_t)total);
	put_u32(p + 4, (uint32_t)(ts - w->base_ts));
	if (len)
		memcpy(p + REC_HDR_LEN, data, len);
	if (padded > total)
		memset(p + total, 0, padded - total);
	w->raw_len += padded;
	w->nrec++;
	if (ts < w->min_ts)
		w->min_ts = ts;
	if (ts > w->max_ts)
		w->max_ts = ts;
	w->st.records++;
	w->st.raw_bytes += padded;
	return werr;
}

int tape_writer__append(struct tape_writer *w, uint16_t type, uint64_t ts, const void *data,
			uint32_t len)
{
	if (!w || !type || type >= 0xff00 || (len && !data))
		return -EINVAL;
	if (len > REC_MAX_PAYLOAD)
		return -TAPE_E_TOOBIG;
	if (len < nt_rec_min_size(type))
		return -EINVAL;
	if (w->fd < 0) {
		/* a previous rotation could not open the next chunk: try again */
		int err = open_chunk(w);
		if (err) {
			w->st.refused++;
			return err;
		}
	}
	return rec_put(w, type, ts, data, len);
}

int tape_writer__loss(struct tape_writer *w, uint16_t rec_type, uint16_t cpu, uint64_t count,
		      uint64_t from_ns, uint64_t to_ns)
{
	struct nt_rec_loss l = { 0 };
	uint64_t refused;
	int err;

	if (!w)
		return -EINVAL;
	l.rec_type = rec_type;
	l.cpu = cpu;
	l.count = count;
	l.from_ns = from_ns;
	l.to_ns = to_ns;
	refused = w->st.refused;
	err = tape_writer__append(w, NT_REC_LOSS, to_ns ? to_ns : w_now(w), &l, sizeof(l));
	/* unless refused, the record is in the open frame: count it there */
	if (w->st.refused == refused)
		w->nlost += count;
	return err;
}

int tape_writer__flush(struct tape_writer *w)
{
	int err;

	if (!w)
		return -EINVAL;
	err = seal_and_drain(w);
	if (!err && w->need_rotate)
		err = tape_writer__rotate(w);
	return err;
}

int tape_writer__poll(struct tape_writer *w)
{
	uint64_t now;
	int err = 0;

	if (!w)
		return -EINVAL;
	now = w_now(w);
	if (w->fd < 0)
		err = open_chunk(w);
	if (!err && w->npend)
		err = drain(w);
	if (!err && w->nrec && now - w->frame_open_ns >= (uint64_t)w->o.flush_ms * 1000000ull)
		err = seal_and_drain(w);
	if (!err && (w->need_rotate || now - w->chunk_open_ns >= w->o.chunk_time_ns))
		err = tape_writer__rotate(w);
	return err;
}

uint64_t tape_writer__next_due(const struct tape_writer *w, int *frame_open, int *retry)
{
	uint64_t due = UINT64_MAX;

	if (frame_open)
		*frame_open = w && w->nrec;
	if (retry)
		*retry = w && (w->fd < 0 || w->npend || w->need_rotate);
	if (!w)
		return due;
	/* the conditions of tape_writer__poll */
	if (w->fd >= 0 && w->chunk_open_ns + w->o.chunk_time_ns > w->chunk_open_ns)
		due = w->chunk_open_ns + w->o.chunk_time_ns;
	if (w->nrec && w->frame_open_ns + (uint64_t)w->o.flush_ms * 1000000ull < due)
		due = w->frame_open_ns + (uint64_t)w->o.flush_ms * 1000000ull;
	return due;
}

static void writer_free(struct tape_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	for (int i = 0; i < PENDING_MAX; i++)
		free(w->pend[i].buf);
	ZSTD_freeCCtx(w->cctx);
	delta_tables__free(w->dt);
	free(w->enc);
	free(w->raw);
	free(w->idx);
	free(w->dir);
	free(w->s_host);
	free(w->s_boot);
	free(w->s_kernel);
	free(w->s_version);
	free(w->s_cmdline);
	free(w);
}

int tape_writer__close(struct tape_writer *w)
{
	int err;

	if (!w)
		return 0;
	err = seal_and_drain(w);
	if (!err)
		err = complete_chunk(w);
	writer_free(w);
	return err;
}

void tape_writer__stats(const struct tape_writer *w, struct tape_writer_stats *st)
{
	if (!w || !st)
		return;
	*st = w->st;
	st->cur_chunk_bytes = w->fd >= 0 ? w->off : 0;
	snprintf(st->cur_chunk_path, sizeof(st->cur_chunk_path), "%s", w->fd >= 0 ? w->path : "");
}

static int mkdir_p(const char *dir)
{
	char tmp[4096];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, dir, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0750) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0750) && errno != EEXIST)
		return -errno;
	return 0;
}

static void read_line_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	buf[0] = 0;
	if (!f)
		return;
	if (fgets(buf, (int)cap, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

static int dup_opt(char **dst, const char *s)
{
	if (!s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

struct tape_writer *tape_writer__open(const struct tape_writer_opts *opts)
{
	struct tape_writer *w = NULL;
	struct tape_header *h;
	struct utsname u;
	int err;

	if (!opts || !opts->dir || !opts->dir[0]) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	w->fd = -1;
	w->o = *opts;
	if (!w->o.chunk_size)
		w->o.chunk_size = 64ull << 20;
	if (!w->o.chunk_time_ns)
		w->o.chunk_time_ns = 600ull * 1000000000ull;
	if (!w->o.frame_size)
		w->o.frame_size = 256u << 10;
	if (w->o.frame_size > FRAME_RAW_MAX - REC_MAX_TOTAL - 8)
		w->o.frame_size = FRAME_RAW_MAX - REC_MAX_TOTAL - 8;
	if (!w->o.flush_ms)
		w->o.flush_ms = 1000;
	if (!w->o.zstd_level)
		w->o.zstd_level = 3;
	if (w->o.codec == TAPE_CODEC_DEFAULT)
		w->o.codec = TAPE_CODEC_DELTA;
	if (w->o.codec != TAPE_CODEC_PLAIN && w->o.codec != TAPE_CODEC_DELTA) {
		err = -EINVAL;
		goto cleanup;
	}
	/* the encoded frame (up to 9/8 of the records) must stay under FRAME_RAW_MAX */
	if (w->o.codec == TAPE_CODEC_DELTA && w->o.frame_size > FRAME_RAW_MAX / 9 * 8 - 2 * REC_MAX_TOTAL)
		w->o.frame_size = FRAME_RAW_MAX / 9 * 8 - 2 * REC_MAX_TOTAL;
	w->next_seq = w->o.first_seq ? w->o.first_seq : 1;
	if (w->o.now_ns && !w->o.realtime_ns)
		w->real_off = clock_ns(CLOCK_REALTIME) - w->o.now_ns(w->o.cb_ctx);
	w->ftype = TAPE_FRAME_DATA;

	err = dup_opt(&w->dir, opts->dir);
	if (!err)
		err = dup_opt(&w->s_host, opts->hostname);
	if (!err)
		err = dup_opt(&w->s_boot, opts->boot_id);
	if (!err)
		err = dup_opt(&w->s_kernel, opts->kernel);
	if (!err)
		err = dup_opt(&w->s_version, opts->version);
	if (!err)
		err = dup_opt(&w->s_cmdline, opts->cmdline);
	if (err)
		goto cleanup;
	w->o.dir = w->dir;
	w->o.hostname = w->s_host;
	w->o.boot_id = w->s_boot;
	w->o.kernel = w->s_kernel;
	w->o.version = w->s_version;
	w->o.cmdline = w->s_cmdline;

	h = &w->tmpl;
	h->major = TAPE_FORMAT_MAJOR;
	/* the lowest version that reads the chunk: plain chunks stay 1.0 */
	h->minor = w->o.codec == TAPE_CODEC_PLAIN ? 0 : TAPE_FORMAT_MINOR;
	h->snaplen = opts->snaplen;
	h->flags = opts->hdr_flags;
	if (opts->recording_id) {
		memcpy(h->recording_id, opts->recording_id, 16);
	} else if (getrandom(h->recording_id, 16, 0) != 16) {
		err = -errno;
		goto cleanup;
	}
	if (opts->hostname)
		snprintf(h->hostname, sizeof(h->hostname), "%s", opts->hostname);
	else if (gethostname(h->hostname, sizeof(h->hostname) - 1))
		h->hostname[0] = 0;
	if (opts->boot_id)
		snprintf(h->boot_id, sizeof(h->boot_id), "%s", opts->boot_id);
	else
		read_line_file("/proc/sys/kernel/random/boot_id", h->boot_id, sizeof(h->boot_id));
	if (opts->kernel)
		snprintf(h->kernel, sizeof(h->kernel), "%s", opts->kernel);
	else if (!uname(&u))
		snprintf(h->kernel, sizeof(h->kernel), "%s", u.release);
	if (opts->version)
		snprintf(h->version, sizeof(h->version), "%s", opts->version);
	if (opts->cmdline)
		snprintf(h->cmdline, sizeof(h->cmdline), "%s", opts->cmdline);

	w->raw_cap = w->o.frame_size + REC_MAX_TOTAL + 8;
	w->raw = malloc(w->raw_cap);
	w->cctx = ZSTD_createCCtx();
	if (w->o.codec == TAPE_CODEC_DELTA)
		w->dt = delta_tables__new();
	if (!w->raw || !w->cctx || (w->o.codec == TAPE_CODEC_DELTA && !w->dt)) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel,
						w->o.zstd_level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 0))) {
		err = -EINVAL;
		goto cleanup;
	}
	err = mkdir_p(w->dir);
	if (err)
		goto cleanup;
	err = open_chunk(w);
	if (err) {
		if (w->fd >= 0) {
			close(w->fd);
			w->fd = -1;
			unlink(w->path);
		}
		goto cleanup;
	}
	return w;
cleanup:
	writer_free(w);
	errno = err < 0 && -err < TAPE_E_MAGIC ? -err : EIO;
	return NULL;
}
