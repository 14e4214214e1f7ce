/* import_ch.c: tapes into ClickHouse: each chunk decoded by the SQLite import into an in-memory store seeded with its host's state, then its new rows sent in RowBinary batches. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "import/import_ch.h"
#include "store/clickhouse.h"
#include "store/db.h"
#include "store/store.h"
#include "tape.h"

#define SEND_BYTES (16u << 20) /* one insert request at most this big (before gzip) */

/* Tables whose rows belong to one batch of one chunk (deleted locally after sending). */
static const char *const batch_tables[] = {
	"drops", "retransmits", "cong", "states", "samples", "resets", "stalls", "buffers", "listens", "packets",
	"damage", "losses", "pins",
};
/* Metadata replaced per host and key (deleted locally after sending). */
static const char *const meta_tables[] = { "processes", "cgroups", "netns", "interfaces", "config" };
/* Names numbered per host: sent once, kept locally for the importer's lookups. */
static const char *const name_tables[] = { "drop_reasons", "symbols" };
static const char *const name_keys[] = { "reason_id", "sym_id" };

struct chi {
	struct nt_ch *ch;
	struct nt_store *st;      /* this host's state; NULL before the first chunk */
	uint64_t host;            /* host_id of st */
	char hostname[256], boot_id[64];
	int host_sent;
	int64_t name_max[2];      /* largest reason_id / sym_id already in ClickHouse */
	uint64_t version;
	struct nt_chbuf buf, sql;
	/* One insert in flight on a thread while the next batch is formatted. */
	struct {
		pthread_t th;
		int busy, rc;
		struct nt_ch *ch;
		struct nt_chbuf data;
		char query[160];
		char err[NT_ERRLEN];
	} snd;
	struct nt_import_stats *st_out;
	struct nt_ch_import_stats *cst;
	const struct nt_import_opts *opts;
	uint64_t done_bytes, total_bytes;
	char *err;
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Row versions: wall-clock ns, strictly increasing within the process. */
static uint64_t next_version(struct chi *c)
{
	struct timespec t;
	uint64_t v;

	clock_gettime(CLOCK_REALTIME, &t);
	v = (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
	if (v <= c->version)
		v = c->version + 1;
	return c->version = v;
}

#define ADD(b, s) nt_chbuf_add((b), (s), strlen(s))

static int oom(struct chi *c)
{
	snprintf(c->err, NT_ERRLEN, "out of memory");
	return -1;
}

/* RowBinary (ClickHouse's native row format over HTTP): integers 8 bytes
 * little-endian (UInt32 4), strings a LEB128 length then the bytes, a
 * Nullable column a 0 (value follows) or 1 (NULL) byte first. Cheaper to
 * write and to parse than TabSeparated, and no escaping. */
static inline int put_le(struct nt_chbuf *b, uint64_t v, int n)
{
	if (nt_chbuf_reserve(b, 8))
		return -1;
	for (int i = 0; i < n; i++)
		b->p[b->n + (size_t)i] = (char)(v >> (8 * i));
	b->n += (size_t)n;
	return 0;
}

static int put_str(struct nt_chbuf *b, const void *p, size_t n)
{
	uint8_t len[10];
	int k = 0;
	size_t v = n;

	do {
		len[k] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			len[k] |= 0x80;
		k++;
	} while (v);
	if (nt_chbuf_add(b, len, (size_t)k))
		return -1;
	return n ? nt_chbuf_add(b, p, n) : 0;
}

/* Column i of the current row of s as ClickHouse type `type` (one of the schema's). */
static int put_col(struct nt_chbuf *b, struct nt_stmt *s, int i, const char *type)
{
	int nullable = type[0] == 'N';
	int null = nt_col_type(s, i) == NT_COL_NULL;

	if (nullable) {
		if (nt_chbuf_reserve(b, 1))
			return -1;
		b->p[b->n++] = (char)null;
		if (null)
			return 0;
		type += 9; /* "Nullable(" */
	}
	if (type[0] == 'S') {
		size_t n = 0;
		const void *p = NULL;
		if (nt_col_type(s, i) == NT_COL_BLOB)
			p = nt_col_blob(s, i, &n);
		else if (!null && (p = nt_col_text(s, i)))
			n = strlen(p);
		return put_str(b, p, n);
	}
	return put_le(b, (uint64_t)(null ? 0 : nt_col_int(s, i)), 8);
}

static void *send_main(void *arg)
{
	struct chi *c = arg;

	c->snd.rc = nt_ch_insert(c->snd.ch, c->snd.query, c->snd.data.p, c->snd.data.n, c->snd.err);
	return NULL;
}

/* Waits for the insert in flight; its error, if any, becomes ours. */
static int send_wait(struct chi *c)
{
	if (!c->snd.busy)
		return 0;
	pthread_join(c->snd.th, NULL);
	c->snd.busy = 0;
	if (c->snd.rc) {
		snprintf(c->err, NT_ERRLEN, "%s", c->snd.err);
		return -1;
	}
	return 0;
}

/* Hands the formatted rows to the sender thread (after the previous insert is done). */
static int flush(struct chi *c, const struct nt_ch_table *t)
{
	struct nt_chbuf tmp;

	if (!c->buf.n)
		return 0;
	if (send_wait(c))
		return -1;
	tmp = c->snd.data;
	c->snd.data = c->buf;
	c->buf = tmp;
	c->buf.n = 0;
	snprintf(c->snd.query, sizeof(c->snd.query), "INSERT INTO %s FORMAT RowBinary", t->name);
	c->snd.ch = c->ch;
	if (pthread_create(&c->snd.th, NULL, send_main, c)) {
		/* No thread: send it here. */
		send_main(c);
		return c->snd.rc ? (snprintf(c->err, NT_ERRLEN, "%s", c->snd.err), -1) : 0;
	}
	c->snd.busy = 1;
	return 0;
}

/*
 * Sends the rows of local table `table` selected by `where` (NULL: all) to
 * its ClickHouse table (RowBinary), adding host_id, batch/batch_row (the local rowid) or
 * version as the table wants them. Returns the rows sent or -1.
 */
static int64_t send_table(struct chi *c, const char *table, const char *where, uint64_t batch)
{
	const struct nt_ch_table *t = nt_ch_table(table, c->err);
	struct nt_stmt *s;
	int64_t rows = 0;
	uint64_t version = next_version(c);
	int rc;

	if (!t)
		return -1;
	c->sql.n = 0;
	if (ADD(&c->sql, "SELECT rowid"))
		return oom(c);
	for (size_t i = 0; i < t->ncols; i++)
		if (ADD(&c->sql, ", ") || ADD(&c->sql, t->cols[i]))
			return oom(c);
	if (ADD(&c->sql, " FROM ") || ADD(&c->sql, table) || (where && (ADD(&c->sql, " WHERE ") || ADD(&c->sql, where))))
		return oom(c);
	if ((t->flags & NT_CH_T_BATCH) && ADD(&c->sql, " ORDER BY rowid"))
		return oom(c);
	if (!(s = nt_store_prepare(c->st, c->sql.p, c->err)))
		return -1;
	c->buf.n = 0;
	while ((rc = nt_stmt_step(s)) == NT_STORE_ROW) {
		int r = 0;
		if (t->flags & NT_CH_T_HOST)
			r |= put_le(&c->buf, c->host, 8);
		for (size_t i = 0; i < t->ncols; i++)
			r |= put_col(&c->buf, s, (int)i + 1, t->types[i]);
		if (t->flags & NT_CH_T_BATCH) {
			r |= put_le(&c->buf, batch, 8);
			r |= put_le(&c->buf, (uint64_t)nt_col_int(s, 0), 4);
		}
		if (t->flags & NT_CH_T_VERSION)
			r |= put_le(&c->buf, version, 8);
		if (r) {
			nt_stmt_finalize(s);
			return oom(c);
		}
		rows++;
		if (c->buf.n >= SEND_BYTES && flush(c, t)) {
			nt_stmt_finalize(s);
			send_wait(c);
			return -1;
		}
	}
	nt_stmt_finalize(s);
	if (rc != NT_STORE_DONE) {
		snprintf(c->err, NT_ERRLEN, "read %s: %s", table, nt_store_errmsg(c->st));
		return -1;
	}
	if (flush(c, t) || send_wait(c))
		return -1;
	c->cst->rows += (uint64_t)rows;
	return rows;
}

static void rid_hex(const uint8_t *id, char *out)
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

static int log_state(struct chi *c, const char *rid, uint64_t seq, int64_t chunk_id, uint64_t batch, int state)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO ingest_log VALUES (%" PRIu64 ", '%s', %" PRIu64 ", %" PRId64 ", %" PRIu64
		 ", %d, %" PRIu64 ")", c->host, rid, seq, chunk_id, batch, state, next_version(c));
	return nt_ch_query(c->ch, sql, NULL, c->err);
}

/* Reads this host's uncommitted batches into the local table nt_pending (plain tables: nt_import() sets PRAGMA temp_store, which drops TEMP tables). */
static int load_pending(struct chi *c)
{
	struct nt_chbuf body = { 0 };
	struct nt_stmt *s = NULL;
	char sql[512];
	int ret = -1;

	if (nt_store_exec(c->st, "CREATE TABLE nt_pending (recording_id TEXT, seq INTEGER, chunk_id INTEGER, batch INTEGER)",
			  "pending", c->err))
		return -1;
	snprintf(sql, sizeof(sql), "SELECT recording_id, seq, chunk_id, batch FROM ingest_log WHERE host_id = %" PRIu64
		 " GROUP BY recording_id, seq, chunk_id, batch HAVING max(state) = 0 FORMAT TabSeparated", c->host);
	if (nt_ch_query(c->ch, sql, &body, c->err))
		goto out;
	if (!(s = nt_store_prepare(c->st, "INSERT INTO nt_pending VALUES (?1, ?2, ?3, ?4)", c->err)))
		goto out;
	for (char *p = body.p; p && *p;) {
		char rid[64];
		long long seq, cid;
		unsigned long long batch;
		char *nl = strchr(p, '\n');
		if (sscanf(p, "%63[0-9a-f]\t%lld\t%lld\t%llu", rid, &seq, &cid, &batch) == 4) {
			nt_stmt_bind_text(s, 1, rid);
			nt_stmt_bind_int(s, 2, seq);
			nt_stmt_bind_int(s, 3, cid);
			nt_stmt_bind_int(s, 4, (int64_t)batch);
			nt_stmt_step(s);
			nt_stmt_reset(s);
		}
		p = nl ? nl + 1 : p + strlen(p);
	}
	ret = 0;
out:
	nt_stmt_finalize(s);
	nt_chbuf_free(&body);
	return ret;
}

static void close_host(struct chi *c)
{
	nt_store_close(c->st);
	c->st = NULL;
	c->host = 0;
}

/* A local store with the state of host (hostname, boot) as ClickHouse has it. */
static int open_host(struct chi *c, const struct tape_header *h)
{
	char w[128];
	struct nt_stmt *s;

	close_host(c);
	if (nt_store_open_memory(&c->st, c->err))
		return -1;
	c->host = nt_ch_host_id(h->hostname, h->boot_id);
	snprintf(c->hostname, sizeof(c->hostname), "%s", h->hostname);
	snprintf(c->boot_id, sizeof(c->boot_id), "%s", h->boot_id);
	c->host_sent = 0;
	if (!(s = nt_store_prepare(c->st, "INSERT INTO hosts (host_id, hostname, boot_id, kernel) VALUES (?1, ?2, ?3, ?4)",
				   c->err)))
		return -1;
	nt_stmt_bind_int(s, 1, (int64_t)c->host);
	nt_stmt_bind_text(s, 2, h->hostname);
	nt_stmt_bind_text(s, 3, h->boot_id);
	nt_stmt_bind_text(s, 4, h->kernel);
	if (nt_stmt_step(s) != NT_STORE_DONE) {
		snprintf(c->err, NT_ERRLEN, "local host row: %s", nt_store_errmsg(c->st));
		nt_stmt_finalize(s);
		return -1;
	}
	nt_stmt_finalize(s);
	snprintf(w, sizeof(w), "host_id = %" PRIu64, c->host);
	if (nt_ch_copy_into(c->ch, "chunks", w, c->st, NULL, c->err) ||
	    nt_ch_copy_into(c->ch, "connections", w, c->st, NULL, c->err))
		return -1;
	for (int i = 0; i < 2; i++) {
		char q[96];
		if (nt_ch_copy_into(c->ch, name_tables[i], w, c->st, NULL, c->err))
			return -1;
		snprintf(q, sizeof(q), "SELECT max(%s) FROM %s", name_keys[i], name_tables[i]);
		c->name_max[i] = nt_store_int(c->st, q, 0);
	}
	/* What ClickHouse has of each connection, to send only the ones a chunk changed. */
	if (nt_store_exec(c->st, "CREATE TABLE nt_sent_conn AS SELECT * FROM connections", "sent connections", c->err))
		return -1;
	return load_pending(c);
}

/* Removes the rows of an interrupted batch (begun, never committed). */
static int recover(struct chi *c, const char *rid, uint64_t seq, uint64_t batch)
{
	struct nt_stmt *s;
	char sql[512];
	int ret = 0, issued = 0;

	if (!(s = nt_store_prepare(c->st, "SELECT DISTINCT chunk_id FROM nt_pending WHERE recording_id = ?1 AND seq = ?2 AND batch = ?3",
				   c->err)))
		return -1;
	nt_stmt_bind_text(s, 1, rid);
	nt_stmt_bind_int(s, 2, (int64_t)seq);
	nt_stmt_bind_int(s, 3, (int64_t)batch);
	while (!ret && nt_stmt_step(s) == NT_STORE_ROW) {
		int64_t cid = nt_col_int(s, 0);
		for (size_t i = 0; i < sizeof(batch_tables) / sizeof(batch_tables[0]); i++) {
			struct nt_chbuf n = { 0 };
			const struct nt_ch_table *t = nt_ch_table(batch_tables[i], c->err);
			if (!t) {
				ret = -1;
				break;
			}
			snprintf(sql, sizeof(sql), "SELECT count() FROM %s WHERE host_id = %" PRIu64 " AND chunk_id = %" PRId64
				 " AND batch = %" PRIu64, t->name, c->host, cid, batch);
			if (nt_ch_query(c->ch, sql, &n, c->err)) {
				ret = -1;
				break;
			}
			if (n.p && strtoll(n.p, NULL, 10) > 0) {
				snprintf(sql, sizeof(sql), "ALTER TABLE %s DELETE WHERE host_id = %" PRIu64 " AND chunk_id = %"
					 PRId64 " AND batch = %" PRIu64, t->name, c->host, cid, batch);
				if (nt_ch_query(c->ch, sql, NULL, c->err))
					ret = -1;
				issued = 1;
			}
			nt_chbuf_free(&n);
		}
	}
	nt_stmt_finalize(s);
	/* Mutations run in the background: wait until they are done. */
	for (int i = 0; !ret && issued && i < 600; i++) {
		struct nt_chbuf n = { 0 };
		snprintf(sql, sizeof(sql), "SELECT count() FROM system.mutations WHERE database = '%s' AND is_done = 0",
			 nt_ch_database(c->ch));
		if (nt_ch_query(c->ch, sql, &n, c->err))
			ret = -1;
		int left = n.p ? atoi(n.p) : 0;
		nt_chbuf_free(&n);
		if (ret || !left)
			break;
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	if (!ret && issued)
		c->cst->recovered++;
	return ret;
}

/* The rows the last nt_import() call added to the local store, to ClickHouse; then forgotten locally. */
static int send_chunk(struct chi *c, int64_t chunk_id, uint64_t batch)
{
	char w[256];

	for (size_t i = 0; i < sizeof(batch_tables) / sizeof(batch_tables[0]); i++) {
		if (send_table(c, batch_tables[i], NULL, batch) < 0)
			return -1;
		snprintf(w, sizeof(w), "DELETE FROM %s", batch_tables[i]);
		if (nt_store_exec(c->st, w, "forget sent rows", c->err))
			return -1;
	}
	for (size_t i = 0; i < sizeof(meta_tables) / sizeof(meta_tables[0]); i++) {
		if (send_table(c, meta_tables[i], NULL, 0) < 0)
			return -1;
		snprintf(w, sizeof(w), "DELETE FROM %s", meta_tables[i]);
		if (nt_store_exec(c->st, w, "forget sent rows", c->err))
			return -1;
	}
	for (int i = 0; i < 2; i++) {
		char q[96];
		snprintf(w, sizeof(w), "%s > %" PRId64, name_keys[i], c->name_max[i]);
		if (send_table(c, name_tables[i], w, 0) < 0)
			return -1;
		snprintf(q, sizeof(q), "SELECT max(%s) FROM %s", name_keys[i], name_tables[i]);
		c->name_max[i] = nt_store_int(c->st, q, 0);
	}
	if (nt_store_exec(c->st,
			  "DROP TABLE IF EXISTS nt_changed;"
			  " CREATE TABLE nt_changed AS SELECT conn_id FROM (SELECT * FROM connections EXCEPT SELECT * FROM nt_sent_conn);"
			  " DELETE FROM nt_sent_conn WHERE conn_id IN (SELECT conn_id FROM nt_changed);"
			  " INSERT INTO nt_sent_conn SELECT * FROM connections WHERE conn_id IN (SELECT conn_id FROM nt_changed)",
			  "changed connections", c->err))
		return -1;
	if (send_table(c, "connections", "conn_id IN (SELECT conn_id FROM nt_changed)", 0) < 0)
		return -1;
	if (!c->host_sent) {
		if (send_table(c, "hosts", NULL, 0) < 0)
			return -1;
		c->host_sent = 1;
	}
	/* Last: the chunk row says how far the chunk is in ClickHouse. */
	snprintf(w, sizeof(w), "chunk_id = %" PRId64, chunk_id);
	return send_table(c, "chunks", w, 0) < 0 ? -1 : 0;
}

/* Progress of the chunk being decoded, as a share of all chunks. */
static void on_progress(void *ctx, uint64_t done, uint64_t total, uint64_t events)
{
	struct chi *c = ctx;

	(void)total;
	if (c->opts->progress)
		c->opts->progress(c->opts->ctx, c->done_bytes + done, c->total_bytes, c->st_out->events + events);
}

static int import_one(struct chi *c, const char *path, uint64_t fsize)
{
	int e = 0;
	struct tape_chunk_reader *r = tape_chunk_reader__open(path, &e);
	struct tape_header h;
	struct nt_import_opts o = *c->opts;
	struct nt_import_stats s1;
	struct nt_stmt *s;
	char rid[33];
	int64_t chunk_id;
	uint64_t batch = 0;
	int known = 0, skip = 0;
	double t0;

	if (!r) {
		/* nt_import() reports it (and counts it) the way the SQLite import does. */
		memset(&h, 0, sizeof(h));
		if (!c->st)
			return nt_store_open_memory(&c->st, c->err) ? -1 : 0;
		goto decode;
	}
	h = tape_chunk_reader__source(r)->hdr;
	tape_chunk_reader__free(r);
	if (!c->st || c->host != nt_ch_host_id(h.hostname, h.boot_id) || strcmp(c->hostname, h.hostname) ||
	    strcmp(c->boot_id, h.boot_id))
		if (open_host(c, &h))
			return -1;
decode:
	rid_hex(h.recording_id, rid);
	if (!(s = nt_store_prepare(c->st, "SELECT chunk_id, complete AND NOT partial, last_frame_offset FROM chunks"
				   " WHERE recording_id = ?1 AND seq = ?2", c->err)))
		return -1;
	nt_stmt_bind_text(s, 1, rid);
	nt_stmt_bind_int(s, 2, (int64_t)h.chunk_seq);
	if (nt_stmt_step(s) == NT_STORE_ROW) {
		known = 1;
		chunk_id = nt_col_int(s, 0);
		skip = (int)nt_col_int(s, 1);
		batch = nt_col_type(s, 2) == NT_COL_NULL ? 0 : (uint64_t)nt_col_int(s, 2);
	} else {
		chunk_id = nt_store_int(c->st, "SELECT max(chunk_id) FROM chunks", 0) + 1;
	}
	nt_stmt_finalize(s);
	if (skip) {
		c->st_out->chunks++;
		c->st_out->chunks_skipped++;
		return 0;
	}
	if (r && nt_store_int(c->st, "SELECT count(*) FROM nt_pending", 0) > 0) {
		if (recover(c, rid, h.chunk_seq, batch))
			return -1;
	}
	if (r && log_state(c, rid, h.chunk_seq, chunk_id, batch, 0))
		return -1;
	o.progress = on_progress;
	o.ctx = c;
	(void)fsize;
	t0 = now_s();
	if (nt_import(nt_store_sqlite(c->st), &path, 1, &o, &s1, c->err))
		return -1;
	c->cst->decode_s += now_s() - t0;
	c->st_out->chunks += s1.chunks;
	c->st_out->chunks_imported += s1.chunks_imported;
	c->st_out->chunks_skipped += s1.chunks_skipped;
	c->st_out->chunks_failed += s1.chunks_failed;
	c->st_out->events += s1.events;
	c->st_out->meta += s1.meta;
	c->st_out->damaged += s1.damaged;
	c->st_out->connections += s1.connections;
	c->st_out->bytes += s1.bytes;
	if (!r)
		return 0;
	if (!known)
		chunk_id = nt_store_int(c->st, "SELECT max(chunk_id) FROM chunks", chunk_id);
	t0 = now_s();
	if (send_chunk(c, chunk_id, batch))
		return -1;
	if (log_state(c, rid, h.chunk_seq, chunk_id, batch, 1))
		return -1;
	c->cst->send_s += now_s() - t0;
	return 0;
}

int nt_import_ch(struct nt_ch *ch, const char *const *paths, size_t npaths, const struct nt_import_opts *opts,
		 struct nt_import_stats *st, struct nt_ch_import_stats *cst, char *err)
{
	struct nt_import_opts dflt = { 0 };
	struct chi c;
	char **files = NULL;
	uint64_t *sizes = NULL;
	size_t n = 0, cap = 0;
	int ret = -1;

	memset(&c, 0, sizeof(c));
	memset(st, 0, sizeof(*st));
	memset(cst, 0, sizeof(*cst));
	c.ch = ch;
	c.err = err;
	c.st_out = st;
	c.cst = cst;
	c.opts = opts ? opts : &dflt;
	for (size_t i = 0; i < npaths; i++) {
		struct stat sb;
		char **list = NULL;
		int k;

		if (stat(paths[i], &sb)) {
			snprintf(err, NT_ERRLEN, "%s: %s; give a tape directory or a chunk file", paths[i], strerror(errno));
			goto out;
		}
		if (S_ISDIR(sb.st_mode)) {
			k = tape_list_chunks(paths[i], &list);
			if (k < 0) {
				snprintf(err, NT_ERRLEN, "%s: %s", paths[i], tape_strerror(k));
				goto out;
			}
			if (!k) {
				snprintf(err, NT_ERRLEN, "%s: no chunk files (chunk-*.ntc) in this directory; is it a tape?",
					 paths[i]);
				tape_list_free(list, k);
				goto out;
			}
		} else {
			k = 1;
			list = malloc(sizeof(*list));
			if (!list || !(list[0] = strdup(paths[i]))) {
				free(list);
				oom(&c);
				goto out;
			}
		}
		for (int j = 0; j < k; j++) {
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 64;
				char **nf = realloc(files, nc * sizeof(*nf));
				uint64_t *ns = nf ? realloc(sizes, nc * sizeof(*ns)) : NULL;
				if (nf)
					files = nf;
				if (!nf || !ns) {
					tape_list_free(list, k);
					oom(&c);
					goto out;
				}
				sizes = ns;
				cap = nc;
			}
			sizes[n] = stat(list[j], &sb) == 0 ? (uint64_t)sb.st_size : 0;
			c.total_bytes += sizes[n];
			files[n++] = list[j];
			list[j] = NULL;
		}
		tape_list_free(list, k);
	}
	for (size_t i = 0; i < n; i++) {
		if (import_one(&c, files[i], sizes[i]))
			goto out;
		c.done_bytes += sizes[i];
		if (c.opts->progress)
			c.opts->progress(c.opts->ctx, c.done_bytes, c.total_bytes, st->events);
	}
	if (n && st->chunks_failed == n) {
		snprintf(err, NT_ERRLEN, "no chunk could be read (%s ...): give a nettape tape", files[0]);
		goto out;
	}
	nt_ch_bytes_sent(ch, &cst->wire_bytes, &cst->raw_bytes);
	ret = 0;
out:
	send_wait(&c);
	close_host(&c);
	nt_chbuf_free(&c.buf);
	nt_chbuf_free(&c.snd.data);
	nt_chbuf_free(&c.sql);
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	free(sizes);
	return ret;
}
