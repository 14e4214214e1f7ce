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
#include "store/store.h"
#include "tape.h"

#define SEND_BYTES (64u << 20)  /* one insert request at most this big (before gzip) */
#define GROUP_BYTES (128u << 20) /* a group of chunks is sent when its rows reach this */
#define MAX_TABLES 32

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
	struct nt_chbuf sql;
	/* Inserts go out in order on one thread, from a queue, while the next rows are decoded. */
	struct {
		pthread_t th;
		int started, busy, stop, rc;
		pthread_mutex_t mu;
		pthread_cond_t cv;
		struct job { struct job *next; struct nt_chbuf data; char query[4096]; } *head, *tail;
		size_t queued;       /* bytes in the queue and in flight */
		struct nt_ch *ch;
		char err[NT_ERRLEN];
	} snd;
	/* Rows formatted and not yet sent, per ClickHouse table (index in nt_ch_schema()), and the
	 * ingest_log rows of their chunks: a group of chunks goes out together (begins, rows, chunk
	 * rows, commits), so that a fleet of small tapes is not one request per table per chunk. */
	const struct nt_ch_table *tables;
	size_t ntables;
	struct nt_chbuf tbuf[MAX_TABLES], begin_log, commit_log;
	uint64_t buffered;
	uint64_t *group_hosts, *known;   /* hosts with rows in the buffers; hosts ClickHouse may have */
	size_t ngroup, nknown, capgroup, capknown;
	struct pend { uint64_t host; char rid[33]; int64_t seq, chunk_id; uint64_t batch; } *pend;
	size_t npend;
	uint64_t cur_batch, sample_row; /* the batch being decoded; samples handed over so far in it */
	const struct nt_ch_table *samples;
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

#define MAX_QUEUED (256u << 20) /* formatted bytes waiting for the sender at most */

static void *send_main(void *arg)
{
	struct chi *c = arg;

	pthread_mutex_lock(&c->snd.mu);
	for (;;) {
		struct job *j;
		while (!c->snd.head && !c->snd.stop)
			pthread_cond_wait(&c->snd.cv, &c->snd.mu);
		if (!c->snd.head)
			break;
		j = c->snd.head;
		c->snd.head = j->next;
		if (!c->snd.head)
			c->snd.tail = NULL;
		c->snd.busy = 1;
		pthread_mutex_unlock(&c->snd.mu);
		/* After a failure nothing more is sent: later rows must not land without earlier ones. */
		int rc = c->snd.rc ? -1 : nt_ch_insert(c->snd.ch, j->query, j->data.p, j->data.n, c->snd.err);
		pthread_mutex_lock(&c->snd.mu);
		if (rc)
			c->snd.rc = -1;
		c->snd.busy = 0;
		c->snd.queued -= j->data.n;
		nt_chbuf_free(&j->data);
		free(j);
		pthread_cond_broadcast(&c->snd.cv);
	}
	pthread_mutex_unlock(&c->snd.mu);
	return NULL;
}

/* Waits until every queued insert is done; the first error, if any, becomes ours. */
static int send_wait(struct chi *c)
{
	int rc;

	if (!c->snd.started)
		return 0;
	pthread_mutex_lock(&c->snd.mu);
	while (c->snd.head || c->snd.busy)
		pthread_cond_wait(&c->snd.cv, &c->snd.mu);
	rc = c->snd.rc;
	pthread_mutex_unlock(&c->snd.mu);
	if (rc)
		snprintf(c->err, NT_ERRLEN, "%s", c->snd.err);
	return rc ? -1 : 0;
}

/* Stops the sender thread (after the queue is empty). */
static void send_stop(struct chi *c)
{
	if (!c->snd.started)
		return;
	pthread_mutex_lock(&c->snd.mu);
	c->snd.stop = 1;
	pthread_cond_broadcast(&c->snd.cv);
	pthread_mutex_unlock(&c->snd.mu);
	pthread_join(c->snd.th, NULL);
	pthread_mutex_destroy(&c->snd.mu);
	pthread_cond_destroy(&c->snd.cv);
	c->snd.started = 0;
}

/* Queues b's rows for ClickHouse table `table` (inserts reach the server in the order they were
 * queued); b is empty afterwards. Blocks while MAX_QUEUED bytes wait. */
static int flush(struct chi *c, const char *table, struct nt_chbuf *b)
{
	struct job *j;

	if (!b->n)
		return 0;
	if (!(j = calloc(1, sizeof(*j))))
		return oom(c);
	if (nt_ch_insert_sql(table, j->query, sizeof(j->query), c->err)) {
		free(j);
		return -1;
	}
	j->data = *b;
	memset(b, 0, sizeof(*b));
	if (!c->snd.started) {
		c->snd.ch = c->ch;
		if (pthread_mutex_init(&c->snd.mu, NULL) || pthread_cond_init(&c->snd.cv, NULL) ||
		    pthread_create(&c->snd.th, NULL, send_main, c)) {
			nt_chbuf_free(&j->data);
			free(j);
			snprintf(c->err, NT_ERRLEN, "cannot start the sender thread");
			return -1;
		}
		c->snd.started = 1;
	}
	pthread_mutex_lock(&c->snd.mu);
	while (c->snd.queued > MAX_QUEUED && !c->snd.rc)
		pthread_cond_wait(&c->snd.cv, &c->snd.mu);
	if (c->snd.tail)
		c->snd.tail->next = j;
	else
		c->snd.head = j;
	c->snd.tail = j;
	c->snd.queued += j->data.n;
	pthread_cond_broadcast(&c->snd.cv);
	int rc = c->snd.rc;
	pthread_mutex_unlock(&c->snd.mu);
	if (rc) {
		snprintf(c->err, NT_ERRLEN, "%s", c->snd.err);
		return -1;
	}
	return 0;
}

/* The end of a group: begins, every table's rows, the chunk rows, the commits; then waits. */
static int group_end(struct chi *c)
{
	size_t chunks = c->ntables;

	if (flush(c, "ingest_log", &c->begin_log))
		return -1;
	for (size_t i = 0; i < c->ntables; i++) {
		if (!strcmp(c->tables[i].name, "chunks")) {
			chunks = i;
			continue;
		}
		if (flush(c, c->tables[i].name, &c->tbuf[i]))
			return -1;
	}
	if (chunks < c->ntables && flush(c, "chunks", &c->tbuf[chunks]))
		return -1;
	/* No wait: the next group's rows queue behind these; a read of ClickHouse waits (chq). */
	if (flush(c, "ingest_log", &c->commit_log))
		return -1;
	c->buffered = 0;
	c->ngroup = 0;
	return 0;
}

/* A query on the main thread: the curl handle is the sender's until its insert is done. */
static int chq(struct chi *c, const char *sql, struct nt_chbuf *out)
{
	return send_wait(c) ? -1 : nt_ch_query(c->ch, sql, out, c->err);
}

static int copy_into(struct chi *c, const char *table, const char *where)
{
	return send_wait(c) ? -1 : nt_ch_copy_into(c->ch, table, where, c->st, NULL, c->err);
}

static int has_host(const uint64_t *v, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == h)
			return 1;
	return 0;
}

static int add_host(uint64_t **v, size_t *n, size_t *cap, uint64_t h)
{
	if (has_host(*v, *n, h))
		return 0;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		uint64_t *nv = realloc(*v, nc * sizeof(*nv));
		if (!nv)
			return -1;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = h;
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
	struct nt_chbuf *b;
	int64_t rows = 0;
	uint64_t version = next_version(c);
	size_t n0;
	int rc, is_chunks = !strcmp(table, "chunks");

	if (!t)
		return -1;
	b = &c->tbuf[t - c->tables];
	n0 = b->n;
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
	while ((rc = nt_stmt_step(s)) == NT_STORE_ROW) {
		int r = 0;
		if (t->flags & NT_CH_T_HOST)
			r |= put_le(b, c->host, 8);
		for (size_t i = 0; i < t->ncols; i++)
			r |= put_col(b, s, (int)i + 1, t->types[i]);
		if (t->flags & NT_CH_T_BATCH) {
			r |= put_le(b, batch, 8);
			r |= put_le(b, (uint64_t)nt_col_int(s, 0), 4);
		}
		if (t->flags & NT_CH_T_VERSION)
			r |= put_le(b, version, 8);
		if (r) {
			nt_stmt_finalize(s);
			return oom(c);
		}
		rows++;
		/* A big table goes out before the group ends, after the group's begins; chunk rows never. */
		if (b->n >= SEND_BYTES && !is_chunks) {
			c->buffered += b->n - n0;
			n0 = 0;
			if (flush(c, "ingest_log", &c->begin_log) || flush(c, t->name, b)) {
				nt_stmt_finalize(s);
				return -1;
			}
		}
	}
	nt_stmt_finalize(s);
	if (rc != NT_STORE_DONE) {
		snprintf(c->err, NT_ERRLEN, "read %s: %s", table, nt_store_errmsg(c->st));
		return -1;
	}
	c->buffered += b->n - n0;
	c->cst->rows += (uint64_t)rows;
	return rows;
}

static void rid_hex(const uint8_t *id, char *out)
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

/* An ingest_log row (state 0 begin, 1 commit) into the group's buffers. */
static int log_state(struct chi *c, const char *rid, uint64_t seq, int64_t chunk_id, uint64_t batch, int state)
{
	struct nt_chbuf *b = state ? &c->commit_log : &c->begin_log;
	int r = 0;

	r |= put_le(b, c->host, 8);
	r |= put_str(b, rid, strlen(rid));
	r |= put_le(b, seq, 8);
	r |= put_le(b, (uint64_t)chunk_id, 8);
	r |= put_le(b, batch, 8);
	r |= put_le(b, (uint64_t)state, 1);
	r |= put_le(b, next_version(c), 8);
	return r ? oom(c) : 0;
}

/* Hosts ClickHouse has chunks of, and every batch begun and not committed: one query each per run. */
static int load_known(struct chi *c)
{
	struct nt_chbuf body = { 0 };
	int ret = -1;

	if (chq(c, "SELECT DISTINCT host_id FROM chunks FORMAT TabSeparated", &body))
		goto out;
	for (char *p = body.p; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
		if (add_host(&c->known, &c->nknown, &c->capknown, strtoull(p, NULL, 10)))
			goto oom;
	body.n = 0;
	if (chq(c, "SELECT host_id, recording_id, seq, chunk_id, batch FROM ingest_log"
		   " GROUP BY host_id, recording_id, seq, chunk_id, batch HAVING max(state) = 0 FORMAT TabSeparated", &body))
		goto out;
	for (char *p = body.p; p && *p;) {
		struct pend e;
		unsigned long long h, batch;
		long long seq, cid;
		char *nl = strchr(p, '\n');
		if (sscanf(p, "%llu\t%32[0-9a-f]\t%lld\t%lld\t%llu", &h, e.rid, &seq, &cid, &batch) == 5) {
			struct pend *np = realloc(c->pend, (c->npend + 1) * sizeof(*np));
			if (!np)
				goto oom;
			c->pend = np;
			e.host = h;
			e.seq = seq;
			e.chunk_id = cid;
			e.batch = batch;
			c->pend[c->npend++] = e;
		}
		p = nl ? nl + 1 : p + strlen(p);
	}
	ret = 0;
	goto out;
oom:
	oom(c);
out:
	nt_chbuf_free(&body);
	return ret;
}

/* This host's uncommitted batches into the local table nt_pending (plain tables: nt_import() sets
 * PRAGMA temp_store, which drops TEMP tables). */
static int load_pending(struct chi *c)
{
	struct nt_stmt *s = NULL;

	if (nt_store_exec(c->st, "CREATE TABLE nt_pending (recording_id TEXT, seq INTEGER, chunk_id INTEGER, batch INTEGER)",
			  "pending", c->err))
		return -1;
	if (!(s = nt_store_prepare(c->st, "INSERT INTO nt_pending VALUES (?1, ?2, ?3, ?4)", c->err)))
		return -1;
	for (size_t i = 0; i < c->npend; i++) {
		if (c->pend[i].host != c->host)
			continue;
		nt_stmt_bind_text(s, 1, c->pend[i].rid);
		nt_stmt_bind_int(s, 2, c->pend[i].seq);
		nt_stmt_bind_int(s, 3, c->pend[i].chunk_id);
		nt_stmt_bind_int(s, 4, (int64_t)c->pend[i].batch);
		nt_stmt_step(s);
		nt_stmt_reset(s);
	}
	nt_stmt_finalize(s);
	return 0;
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

	uint64_t id = nt_ch_host_id(h->hostname, h->boot_id);
	int known;

	close_host(c);
	/* Rows of this host still in the buffers would be missing from the state read back. */
	if (has_host(c->group_hosts, c->ngroup, id) && group_end(c))
		return -1;
	known = has_host(c->known, c->nknown, id);
	if (add_host(&c->group_hosts, &c->ngroup, &c->capgroup, id) || add_host(&c->known, &c->nknown, &c->capknown, id))
		return oom(c);
	if (nt_store_open_memory(&c->st, c->err))
		return -1;
	c->host = id;
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
	if (known && (copy_into(c, "chunks", w) || copy_into(c, "connections", w)))
		return -1;
	for (int i = 0; i < 2; i++) {
		char q[96];
		if (known && copy_into(c, name_tables[i], w))
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
			if (chq(c, sql, &n)) {
				ret = -1;
				break;
			}
			if (n.p && strtoll(n.p, NULL, 10) > 0) {
				/* On the table's rows: the shards' local tables behind a Distributed one; waits. */
				snprintf(sql, sizeof(sql), "DELETE WHERE host_id = %" PRIu64 " AND chunk_id = %" PRId64
					 " AND batch = %" PRIu64, c->host, cid, batch);
				if (nt_ch_alter(c->ch, t->name, sql, c->err))
					ret = -1;
				issued = 1;
			}
			nt_chbuf_free(&n);
		}
	}
	nt_stmt_finalize(s);
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

/* Sample rows straight from the decoder into RowBinary: samples are most of every tape, and
 * this spares them the insert into the scratch store and the read back. batch_row counts as
 * the store's rowids would. */
static int sample_sink(void *ctx, const int64_t (*rows)[14], unsigned n)
{
	struct chi *c = ctx;
	const struct nt_ch_table *t = c->samples;
	struct nt_chbuf *b = &c->tbuf[t - c->tables];
	size_t n0 = b->n;
	int r = 0;

	if (nt_chbuf_reserve(b, (size_t)n * (8 + t->ncols * 9 + 12)))
		return oom(c);
	for (unsigned k = 0; k < n; k++) {
		r |= put_le(b, c->host, 8);
		for (size_t i = 0; i < t->ncols; i++) {
			int64_t v = rows[k][i];
			if (t->types[i][0] == 'N') {
				int null = i == 1 && v < 0;
				b->p[b->n++] = (char)null;
				if (null)
					continue;
			}
			r |= put_le(b, (uint64_t)v, 8);
		}
		r |= put_le(b, c->cur_batch, 8);
		r |= put_le(b, ++c->sample_row, 4);
	}
	if (r)
		return oom(c);
	c->buffered += b->n - n0;
	c->cst->rows += n;
	if (b->n >= SEND_BYTES && (flush(c, "ingest_log", &c->begin_log) || flush(c, t->name, b)))
		return -1;
	return 0;
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
	int known = 0, skip = 0, readable = r != NULL;
	double t0;

	if (!readable) {
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
	if (readable && nt_store_int(c->st, "SELECT count(*) FROM nt_pending", 0) > 0) {
		if (recover(c, rid, h.chunk_seq, batch))
			return -1;
	}
	if (readable && log_state(c, rid, h.chunk_seq, chunk_id, batch, 0))
		return -1;
	o.progress = on_progress;
	o.ctx = c;
	o.no_indexes = 1; /* the new rows are read once, in rowid order, and deleted */
	if (readable) {
		o.sample_sink = sample_sink;
		o.sink_ctx = c;
		c->cur_batch = batch;
		c->sample_row = 0;
	}
	(void)fsize;
	t0 = now_s();
	if (nt_import(c->st, &path, 1, &o, &s1, c->err))
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
	if (!readable)
		return 0;
	if (!known)
		chunk_id = nt_store_int(c->st, "SELECT max(chunk_id) FROM chunks", chunk_id);
	t0 = now_s();
	if (send_chunk(c, chunk_id, batch))
		return -1;
	if (log_state(c, rid, h.chunk_seq, chunk_id, batch, 1))
		return -1;
	if (c->buffered >= GROUP_BYTES && group_end(c))
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
	c.tables = nt_ch_schema(&c.ntables, err);
	if (!c.tables)
		goto out;
	if (c.ntables > MAX_TABLES) {
		snprintf(err, NT_ERRLEN, "the ClickHouse schema has %zu tables, the importer room for %d", c.ntables, MAX_TABLES);
		goto out;
	}
	if (!(c.samples = nt_ch_table("samples", err)))
		goto out;
	for (size_t i = 0; i < c.samples->ncols; i++)
		if (c.samples->kinds[i] != NT_CH_INT) {
			snprintf(err, NT_ERRLEN, "samples.%s is not an integer column: the sample sink is out of date",
				 c.samples->cols[i]);
			goto out;
		}
	if (c.samples->ncols != 14) {
		snprintf(err, NT_ERRLEN, "samples has %zu columns, the import's sample rows 14", c.samples->ncols);
		goto out;
	}
	if (load_known(&c))
		goto out;
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
	{
		double t0 = now_s();
		if (group_end(&c) || send_wait(&c))
			goto out;
		cst->send_s += now_s() - t0;
	}
	nt_ch_bytes_sent(ch, &cst->wire_bytes, &cst->raw_bytes);
	ret = 0;
out:
	send_stop(&c);
	close_host(&c);
	for (size_t i = 0; i < MAX_TABLES; i++)
		nt_chbuf_free(&c.tbuf[i]);
	nt_chbuf_free(&c.begin_log);
	nt_chbuf_free(&c.commit_log);
	free(c.group_hosts);
	free(c.known);
	free(c.pend);
	nt_chbuf_free(&c.sql);
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	free(sizes);
	return ret;
}
