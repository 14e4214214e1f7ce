/* import.c: the bulk import of tape chunks into the store: chunks and hosts, frames decoded and records dispatched to the connection table and the row writers, batches and transactions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "import/import_int.h"

#define DEFAULT_BATCH 500000

int fail_sql(struct importer *im, const char *what)
{
	snprintf(im->err, NT_ERRLEN, "%s: %s", what, nt_store_errmsg(im->db));
	return -1;
}

int step(struct importer *im, struct nt_stmt *s, const char *what)
{
	int rc = nt_stmt_step(s);

	nt_stmt_reset(s);
	if (rc != NT_STORE_DONE)
		return fail_sql(im, what);
	return 0;
}

static int64_t host_of(struct importer *im, const struct tape_header *h)
{
	struct nt_stmt *s = nt_store_prepare(im->db, "SELECT host_id, clock_offset_ns FROM hosts WHERE hostname = ? AND boot_id = ?",
					    im->err);
	int64_t id = -1;

	if (!s)
		return -1;
	im->shift = 0;
	nt_stmt_bind_text(s, 1, h->hostname);
	nt_stmt_bind_text(s, 2, h->boot_id);
	if (nt_stmt_step(s) == NT_STORE_ROW) {
		id = nt_col_int(s, 0);
		im->shift = nt_col_int(s, 1); /* rows of this host carry its correction */
	}
	nt_stmt_finalize(s);
	if (id >= 0)
		return id;
	s = nt_store_prepare(im->db, "INSERT INTO hosts (hostname, boot_id, kernel) VALUES (?, ?, ?)", im->err);
	if (!s)
		return -1;
	nt_stmt_bind_text(s, 1, h->hostname);
	nt_stmt_bind_text(s, 2, h->boot_id);
	nt_stmt_bind_text(s, 3, h->kernel);
	if (nt_stmt_step(s) != NT_STORE_DONE) {
		nt_stmt_finalize(s);
		return fail_sql(im, "insert host");
	}
	nt_stmt_finalize(s);
	return nt_store_last_id(im->db);
}

/* Finds or creates the chunk row. Returns 1 to import, 0 to skip, -1 on error. */
static int chunk_row(struct importer *im, const struct tape_source *src)
{
	char rid[33];
	struct nt_stmt *s;
	int rc = 1;

	for (int i = 0; i < 16; i++)
		snprintf(rid + 2 * i, 3, "%02x", src->hdr.recording_id[i]);
	s = nt_store_prepare(im->db, "SELECT chunk_id, complete, partial, last_frame_offset FROM chunks"
				  " WHERE recording_id = ? AND seq = ?", im->err);
	if (!s)
		return -1;
	nt_stmt_bind_text(s, 1, rid);
	BI(s, 2, src->hdr.chunk_seq);
	im->have_skip = 0;
	if (nt_stmt_step(s) == NT_STORE_ROW) {
		im->chunk_id = nt_col_int(s, 0);
		if ((int)nt_col_int(s, 1) && !(int)nt_col_int(s, 2))
			rc = 0;
		else if (nt_col_type(s, 3) != NT_COL_NULL) {
			im->have_skip = 1;
			im->skip_until = (uint64_t)nt_col_int(s, 3);
		}
		nt_stmt_finalize(s);
		return rc;
	}
	nt_stmt_finalize(s);
	s = nt_store_prepare(im->db, "INSERT INTO chunks (host_id, recording_id, seq, path, recorder_version,"
				  " recorder_cmdline, created_ts, partial, has_index) VALUES (?,?,?,?,?,?,?,?,?)", im->err);
	if (!s)
		return -1;
	BI(s, 1, im->host_id);
	nt_stmt_bind_text(s, 2, rid);
	BI(s, 3, src->hdr.chunk_seq);
	nt_stmt_bind_text(s, 4, src->path);
	nt_stmt_bind_text(s, 5, src->hdr.version);
	nt_stmt_bind_text(s, 6, src->hdr.cmdline);
	BI(s, 7, (int64_t)src->hdr.created_real_ns + im->shift);
	BI(s, 8, src->partial);
	BI(s, 9, src->has_index);
	if (nt_stmt_step(s) != NT_STORE_DONE) {
		nt_stmt_finalize(s);
		return fail_sql(im, "insert chunk");
	}
	nt_stmt_finalize(s);
	im->chunk_id = nt_store_last_id(im->db);
	return 1;
}

static int chunk_update(struct importer *im, const struct tape_source *src, uint64_t frame_off,
			int complete, uint64_t damaged)
{
	struct nt_stmt *s = im->s[S_CHUNK_UPD];

	BI(s, 1, im->chunk_id);
	if (im->chunk_events) {
		BI(s, 2, im->chunk_first);
		BI(s, 3, im->chunk_last);
	} else {
		nt_stmt_bind_null(s, 2);
		nt_stmt_bind_null(s, 3);
	}
	BI(s, 4, im->chunk_events);
	BI(s, 5, src->partial);
	BI(s, 6, src->has_index);
	BI(s, 7, damaged);
	BI(s, 8, (int64_t)time(NULL) * 1000000000LL);
	BI(s, 9, frame_off);
	BI(s, 10, complete);
	im->chunk_events = 0;
	return step(im, s, "update chunk");
}

static int begin_batch(struct importer *im)
{
	return nt_store_exec(im->db, "BEGIN", "begin transaction", im->err);
}

static int commit_batch(struct importer *im)
{
	if (flush_samples(im) || conn_flush(im))
		return -1;
	if (nt_store_exec(im->db, "COMMIT", "commit", im->err))
		return -1;
	im->pending = 0;
	return 0;
}

static void progress(struct importer *im, uint64_t done)
{
	struct timespec now;

	if (!im->opts->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done < im->total_bytes &&
	    (now.tv_sec - im->last_progress.tv_sec) * 1000000000LL + (now.tv_nsec - im->last_progress.tv_nsec) < 100000000LL)
		return;
	im->last_progress = now;
	im->opts->progress(im->opts->ctx, done, im->total_bytes, im->st->events);
}

static int drop_indexes(struct importer *im)
{
	if (im->indexes_dropped)
		return 0;
	im->indexes_dropped = 1;
	return nt_store_indexes(im->db, 0, im->err);
}

/* The rows of one frame's records (tape_chunk_reader__next_batch()). 0 or -1. */
static int frame_rows(struct importer *im, const struct tape_source *src, const struct tape_batch *b)
{
	int skip = im->have_skip && b->frame_offset <= im->skip_until;
	int64_t first = im->chunk_first, last = im->chunk_last;
	uint64_t rows = 0;
	int rc = 0;

	for (size_t i = 0; i < b->n; i++) {
		const struct tape_record *rec = &b->rec[i];
		uint32_t min;

		if (nt_rec_is_meta(rec->type)) {
			if (meta_record(im, src, rec->type, rec->data, rec->len)) {
				rc = -1;
				break;
			}
			continue;
		}
		if (skip)
			continue;
		min = nt_rec_min_size(rec->type);
		if (rec->len < min || !min)
			continue; /* unknown or short record: skippable by the format's rules */
		int64_t ts = (int64_t)b->real[i] + im->shift;
		int r = ev_row(im, rec, ts);
		if (r > 0)
			continue; /* a type without a table */
		if (r) {
			rc = -1;
			break;
		}
		if (ts < first)
			first = ts;
		if (ts > last)
			last = ts;
		rows++;
	}
	im->chunk_first = first;
	im->chunk_last = last;
	im->chunk_events += rows;
	im->st->events += rows;
	im->pending += rows;
	return rc;
}

static int import_chunk(struct importer *im, const char *path, uint64_t fsize)
{
	int e = 0, rc, ret = -1;
	struct tape_chunk_reader *r = tape_chunk_reader__open(path, &e);
	const struct tape_source *src;
	struct tape_batch batch;
	uint64_t cur_frame = 0, last_done_frame = 0, damaged = 0;
	int have_frame = 0;

	if (!r) {
		if (!im->st->chunks_failed)
			snprintf(im->first_failure, sizeof(im->first_failure), "%s: %s", path,
				 tape_strerror(e ? e : -errno));
		im->st->chunks_failed++;
		return 0;
	}
	src = tape_chunk_reader__source(r);
	im->meta = src->meta;
	im->host_id = host_of(im, &src->hdr);
	if (im->host_id < 0)
		goto out;
	rc = chunk_row(im, src);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		im->st->chunks_skipped++;
		ret = 0;
		goto out;
	}
	if (drop_indexes(im))
		goto out;
	im->st->chunks_imported++;
	rows_chunk_start(im);
	im->chunk_events = 0;
	im->chunk_first = INT64_MAX;
	im->chunk_last = INT64_MIN;
	if (meta_snapshot(im, src))
		goto out;
	for (;;) {
		rc = tape_chunk_reader__next_batch(r, &batch);
		if (rc < 0) {
			snprintf(im->err, NT_ERRLEN, "%s: %s", path, tape_strerror(rc));
			goto out;
		}
		if (rc == 0)
			break;
		if (!have_frame || batch.frame_offset != cur_frame) {
			/* Frame boundary: a safe place to commit a batch. */
			if (have_frame)
				last_done_frame = cur_frame;
			cur_frame = batch.frame_offset;
			if (im->pending >= im->opts->batch_events && have_frame) {
				if (chunk_update(im, src, last_done_frame, 0, damaged) || commit_batch(im) ||
				    begin_batch(im))
					goto out;
				progress(im, im->done_bytes + (cur_frame < fsize ? cur_frame : fsize));
			}
			have_frame = 1;
		}
		if (frame_rows(im, src, &batch))
			goto out;
	}
	for (size_t i = 0; i < tape_chunk_reader__ndamage(r); i++) {
		const struct tape_damage *d = tape_chunk_reader__damage(r, i);
		struct nt_stmt *s = im->s[S_DAMAGE];
		/* A chunk still being written ends inside a frame: that is not damage worth a warning. */
		if (!(src->partial && d->err == -TAPE_E_TRUNCATED))
			nt_import_warn(im->opts, "%s: damaged at offset %llu: %s (%llu bytes skipped); the rest was imported", path,
			     (unsigned long long)d->offset, d->reason, (unsigned long long)d->lost_bytes);
		damaged += d->lost_bytes;
		im->st->damaged++;
		BI(s, 1, im->chunk_id);
		BI(s, 2, d->offset);
		BI(s, 3, d->lost_bytes);
		nt_stmt_bind_text(s, 4, tape_strerror(d->err));
		nt_stmt_bind_text(s, 5, d->reason);
		if (step(im, s, "insert damage"))
			goto out;
	}
	if (have_frame && (!im->have_skip || cur_frame > im->skip_until))
		last_done_frame = cur_frame;
	else if (im->have_skip)
		last_done_frame = im->skip_until;
	if (chunk_update(im, src, last_done_frame, 1, damaged))
		goto out;
	ret = 0;
out:
	im->meta = NULL;
	tape_chunk_reader__free(r);
	return ret;
}

static int collect(struct importer *im, const char *path, char ***list, size_t *n, size_t *cap, uint64_t **sizes)
{
	struct stat stb;
	char **chunks = NULL;
	int k;

	if (stat(path, &stb)) {
		snprintf(im->err, NT_ERRLEN, "%s: %s; give a tape directory or a chunk file", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(stb.st_mode)) {
		k = tape_list_chunks(path, &chunks);
		if (k < 0) {
			snprintf(im->err, NT_ERRLEN, "%s: %s", path, tape_strerror(k));
			return -1;
		}
		if (k == 0) {
			snprintf(im->err, NT_ERRLEN, "%s: no chunk files (chunk-*.ntc) in this directory; is it a tape?", path);
			tape_list_free(chunks, k);
			return -1;
		}
	} else {
		k = 1;
		chunks = malloc(sizeof(*chunks));
		if (!chunks || !(chunks[0] = strdup(path))) {
			free(chunks);
			snprintf(im->err, NT_ERRLEN, "out of memory");
			return -1;
		}
	}
	for (int i = 0; i < k; i++) {
		if (*n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 64;
			char **nl = realloc(*list, ncap * sizeof(*nl));
			uint64_t *ns = realloc(*sizes, ncap * sizeof(*ns));
			if (nl)
				*list = nl;
			if (ns)
				*sizes = ns;
			if (!nl || !ns) {
				tape_list_free(chunks, k);
				snprintf(im->err, NT_ERRLEN, "out of memory");
				return -1;
			}
			*cap = ncap;
		}
		(*sizes)[*n] = stat(chunks[i], &stb) == 0 ? (uint64_t)stb.st_size : 0;
		(*list)[(*n)++] = chunks[i];
		chunks[i] = NULL;
	}
	tape_list_free(chunks, k);
	return 0;
}

int nt_import(struct nt_store *db, const char *const *paths, size_t npaths,
	      const struct nt_import_opts *opts, struct nt_import_stats *st, char *err)
{
	struct importer im;
	struct nt_import_opts dflt = { 0 };
	char **list = NULL;
	uint64_t *sizes = NULL;
	size_t n = 0, cap = 0;
	int ret = -1, in_tx = 0;

	memset(&im, 0, sizeof(im));
	memset(st, 0, sizeof(*st));
	im.db = db;
	im.err = err;
	im.st = st;
	if (!opts)
		opts = &dflt;
	dflt = *opts;
	if (!dflt.batch_events)
		dflt.batch_events = DEFAULT_BATCH;
	im.opts = &dflt;
	hmap_init(&im.by_cookie);
	hmap_init(&im.by_tuple);
	hmap_init(&im.sym_cache);
	smap_init(&im.reasons);
	smap_init(&im.symbols);

	for (size_t i = 0; i < npaths; i++)
		if (collect(&im, paths[i], &list, &n, &cap, &sizes))
			goto out;
	st->chunks = n;
	for (size_t i = 0; i < n; i++)
		im.total_bytes += sizes[i];
	if (nt_store_bulk(db, err))
		goto out;
	if (rows_prepare(&im) || conn_load(&im) || rows_load_names(&im))
		goto out;
	if (begin_batch(&im))
		goto out;
	in_tx = 1;
	for (size_t i = 0; i < n; i++) {
		if (import_chunk(&im, list[i], sizes[i]))
			goto out;
		im.done_bytes += sizes[i];
		st->bytes += sizes[i];
		progress(&im, im.done_bytes);
	}
	if (commit_batch(&im))
		goto out;
	in_tx = 0;
	if (im.indexes_dropped && !dflt.no_indexes && nt_store_indexes(db, 1, err))
		goto out;
	if (im.indexes_dropped && !dflt.no_indexes && nt_store_analyze(db, err))
		goto out;
	if (n && st->chunks_failed == n) {
		snprintf(err, NT_ERRLEN, "%s; no chunk could be read: give a nettape tape, or a pcap/pcapng capture", im.first_failure);
		goto out;
	}
	if (st->chunks_failed)
		nt_import_warn(im.opts, "%llu of %zu chunks unreadable and skipped, first: %s", (unsigned long long)st->chunks_failed, n,
		     im.first_failure);
	ret = 0;
out:
	if (in_tx)
		nt_store_exec(db, "ROLLBACK", NULL, NULL);
	if (ret && im.indexes_dropped)
		nt_store_indexes(db, 1, NULL);
	rows_finalize(&im);
	conn_free(&im);
	hmap_free(&im.by_cookie);
	hmap_free(&im.by_tuple);
	hmap_free(&im.sym_cache);
	smap_free(&im.reasons);
	smap_free(&im.symbols);
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
	free(sizes);
	return ret;
}

