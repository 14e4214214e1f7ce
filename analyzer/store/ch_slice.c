/* ch_slice.c: reads rows of the ClickHouse store into a local SQLite store: one table at a time, or the slice (host, time range) a report runs on. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/clickhouse.h"
#include "store/store.h"

#ifdef NETTAPE_HAVE_CURL

#define ADD(b, s) nt_chbuf_add((b), (s), strlen(s))

/* Binds one TabSeparated field (NUL-terminated in place, escaped) as column kind. */
static int bind_field(struct nt_stmt *s, int i, char *f, size_t n, enum nt_ch_col_kind kind)
{
	if (n == 2 && f[0] == '\\' && f[1] == 'N')
		return nt_stmt_bind_null(s, i);
	if (kind == NT_CH_INT)
		return nt_stmt_bind_int(s, i, (int64_t)strtoll(f, NULL, 10));
	n = nt_ch_tsv_unescape(f, n);
	f[n] = 0;
	if (kind == NT_CH_BLOB)
		return nt_stmt_bind_blob(s, i, f, n);
	return nt_stmt_bind_text(s, i, f);
}

/* Rows (TabSeparated, columns of t in order) into table t of st, one line at a time. */
struct loader {
	const struct nt_ch_table *t;
	struct nt_store *st;
	struct nt_stmt *s;
	uint64_t rows;
	char *err;
};

static int load_line(void *ctx, char *line, size_t len)
{
	struct loader *l = ctx;
	const struct nt_ch_table *t = l->t;
	char *f = line, *end = line + len;

	for (size_t i = 0; i < t->ncols; i++) {
		char *tab = i + 1 < t->ncols ? memchr(f, '\t', (size_t)(end - f)) : end;
		if (!tab) {
			snprintf(l->err, NT_ERRLEN, "ClickHouse table %s: a row with too few columns; is the database "
				 "of another nettape version?", t->name);
			return -1;
		}
		*tab = 0;
		bind_field(l->s, (int)i + 1, f, (size_t)(tab - f), t->kinds[i]);
		f = tab + 1;
	}
	if (nt_stmt_step(l->s) == NT_STORE_ERROR) {
		snprintf(l->err, NT_ERRLEN, "load %s: %s", t->name, nt_store_errmsg(l->st));
		return -1;
	}
	nt_stmt_reset(l->s);
	l->rows++;
	return 0;
}

static struct nt_stmt *insert_stmt(struct nt_store *st, const struct nt_ch_table *t, char *err)
{
	struct nt_chbuf sql = { 0 };
	struct nt_stmt *s = NULL;
	int r = 0;

	r |= ADD(&sql, "INSERT OR IGNORE INTO ");
	r |= ADD(&sql, t->name);
	r |= ADD(&sql, " (");
	for (size_t i = 0; i < t->ncols; i++) {
		r |= ADD(&sql, t->cols[i]);
		r |= ADD(&sql, i + 1 < t->ncols ? ", " : ") VALUES (");
	}
	for (size_t i = 0; i < t->ncols; i++)
		r |= ADD(&sql, i + 1 < t->ncols ? "?, " : "?)");
	if (r)
		snprintf(err, NT_ERRLEN, "out of memory");
	else
		s = nt_store_prepare(st, sql.p, err);
	nt_chbuf_free(&sql);
	return s;
}

int nt_ch_copy_into(struct nt_ch *ch, const char *table, const char *where, struct nt_store *st, uint64_t *rows,
		    char *err)
{
	const struct nt_ch_table *t = nt_ch_table(table, err);
	struct nt_chbuf sql = { 0 };
	struct loader l = { 0 };
	int ret = -1;

	if (!t)
		return -1;
	if (ADD(&sql, "SELECT "))
		goto oom;
	for (size_t i = 0; i < t->ncols; i++)
		if (ADD(&sql, t->cols[i]) || ADD(&sql, i + 1 < t->ncols ? ", " : " FROM "))
			goto oom;
	if (ADD(&sql, t->name) || ((t->flags & NT_CH_T_VERSION) && ADD(&sql, " FINAL")))
		goto oom;
	if (where && (ADD(&sql, " WHERE ") || ADD(&sql, where)))
		goto oom;
	/* The order SQLite's import inserted them in, so that rowids and ties come out the same. */
	if (t->flags & NT_CH_T_BATCH) {
		if (ADD(&sql, " ORDER BY chunk_id, batch, batch_row"))
			goto oom;
	} else if (ADD(&sql, " ORDER BY ") || ADD(&sql, t->order_by)) {
		goto oom;
	}
	if (ADD(&sql, " FORMAT TabSeparated"))
		goto oom;
	l.t = t;
	l.st = st;
	l.err = err;
	if (!(l.s = insert_stmt(st, t, err)))
		goto out;
	if (nt_store_exec(st, "BEGIN", "begin", err))
		goto out;
	if (nt_ch_query_lines(ch, sql.p, load_line, &l, err)) {
		char ignored[NT_ERRLEN];
		nt_store_exec(st, "ROLLBACK", "rollback", ignored);
		goto out;
	}
	if (nt_store_exec(st, "COMMIT", "commit", err))
		goto out;
	if (rows)
		*rows = l.rows;
	ret = 0;
	goto out;
oom:
	snprintf(err, NT_ERRLEN, "out of memory");
out:
	nt_stmt_finalize(l.s);
	nt_chbuf_free(&sql);
	return ret;
}

/* s as a ClickHouse string literal (into b). */
static int literal(struct nt_chbuf *b, const char *s)
{
	if (ADD(b, "'"))
		return -1;
	for (; *s; s++) {
		if ((*s == '\'' || *s == '\\') && ADD(b, "\\"))
			return -1;
		if (nt_chbuf_add(b, s, 1))
			return -1;
	}
	return ADD(b, "'");
}

/* The host_id that host names (see nt_ch_load_slice). */
static int resolve_host(struct nt_ch *ch, const char *host, uint64_t *id, char *err)
{
	struct nt_chbuf sql = { 0 }, body = { 0 };
	char name[256] = "", boot[128] = "";
	int ret = -1;
	size_t rows = 0;

	if (host) {
		const char *sl = strchr(host, '/');
		snprintf(name, sizeof(name), "%.*s", (int)(sl ? (size_t)(sl - host) : strlen(host)), host);
		if (sl)
			snprintf(boot, sizeof(boot), "%s", sl + 1);
	}
	if (ADD(&sql, "SELECT host_id, hostname, boot_id FROM hosts FINAL WHERE 1"))
		goto oom;
	if (name[0] && (ADD(&sql, " AND hostname = ") || literal(&sql, name)))
		goto oom;
	if (boot[0] && (ADD(&sql, " AND startsWith(boot_id, ") || literal(&sql, boot) || ADD(&sql, ")")))
		goto oom;
	if (ADD(&sql, " ORDER BY hostname, boot_id LIMIT 6 FORMAT TabSeparated"))
		goto oom;
	if (nt_ch_query(ch, sql.p, &body, err))
		goto out;
	for (char *p = body.p; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
		rows++;
	if (!rows) {
		snprintf(err, NT_ERRLEN, "%s%s%s%s is not in %s; 'nettape query clickhouse://%s --run fleet-hosts' lists "
			 "the hosts", host ? "host '" : "no host", host ? host : "", host ? "'" : "", "", nt_ch_where(ch),
			 nt_ch_where(ch));
		goto out;
	}
	if (rows > 1) {
		char list[200] = "";
		size_t off = 0;
		char *p = body.p;
		for (size_t i = 0; i < rows && i < 3 && off < sizeof(list); i++) {
			char *l = p, *nl = strchr(p, '\n');
			char *t1 = strchr(l, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
			if (t1 && t2 && nl)
				off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%.*s/%.8s", i ? ", " : "",
							(int)(t2 - t1 - 1), t1 + 1, t2 + 1);
			p = nl ? nl + 1 : p;
		}
		snprintf(err, NT_ERRLEN, "%s matches %s%zu boots in %s (%s%s); give --host NAME or NAME/BOOT-ID-PREFIX",
			 host ? host : "the database", rows > 5 ? "more than " : "", rows > 5 ? (size_t)5 : rows,
			 nt_ch_where(ch), list, rows > 3 ? ", ..." : "");
		goto out;
	}
	*id = strtoull(body.p, NULL, 10);
	ret = 0;
	goto out;
oom:
	snprintf(err, NT_ERRLEN, "out of memory");
out:
	nt_chbuf_free(&sql);
	nt_chbuf_free(&body);
	return ret;
}

static int query_i64s(struct nt_ch *ch, const char *sql, int64_t *v, int n, char *err)
{
	struct nt_chbuf body = { 0 };
	char *p;

	if (nt_ch_query(ch, sql, &body, err))
		return -1;
	p = body.p;
	for (int i = 0; i < n; i++) {
		v[i] = p && *p && strncmp(p, "\\N", 2) ? strtoll(p, &p, 10) : 0;
		if (p && !strncmp(p, "\\N", 2))
			p += 2;
		if (p && *p == '\t')
			p++;
	}
	nt_chbuf_free(&body);
	return 0;
}

int nt_ch_data_range(struct nt_ch *ch, const char *host, int64_t *first, int64_t *last, char *err)
{
	uint64_t id;
	char sql[512];
	int64_t v[4];

	*first = *last = 0;
	if (resolve_host(ch, host, &id, err))
		return -1;
	/* As nt_data_range() reads a SQLite database. */
	snprintf(sql, sizeof(sql),
		 "SELECT least(ifNull(min(first_ts), toInt64(9223372036854775807)), ifNull(min(created_ts), toInt64(9223372036854775807))),"
		 " ifNull(max(last_ts), toInt64(0)) FROM chunks FINAL WHERE host_id = %" PRIu64 " FORMAT TabSeparated", id);
	if (query_i64s(ch, sql, v, 2, err))
		return -1;
	snprintf(sql, sizeof(sql), "SELECT ifNull(min(from_ts), toInt64(9223372036854775807)), ifNull(max(to_ts), toInt64(0)) FROM losses"
		 " WHERE host_id = %" PRIu64 " FORMAT TabSeparated", id);
	if (query_i64s(ch, sql, v + 2, 2, err))
		return -1;
	*first = v[0] < v[2] ? v[0] : v[2];
	*last = v[1] > v[3] ? v[1] : v[3];
	if (*first == INT64_MAX)
		*first = 0;
	if (*last < *first)
		*last = *first;
	return 0;
}

static const char *const event_tables[] = {
	"drops", "retransmits", "cong", "states", "samples", "resets", "stalls", "buffers", "listens", "packets",
};
static const char *const host_tables[] = {
	"hosts", "processes", "cgroups", "netns", "interfaces", "config", "drop_reasons", "symbols",
};

int nt_ch_load_slice(struct nt_ch *ch, const char *host, int64_t from, int64_t to, struct nt_store **out, char *err)
{
	struct nt_store *st = NULL;
	uint64_t id;
	char w[1024], chunks_w[512];
	int64_t range[2];

	*out = NULL;
	if (resolve_host(ch, host, &id, err))
		return -1;
	if (nt_store_open_memory(&st, err))
		return -1;
	if (nt_store_exec(st, "PRAGMA synchronous = OFF", "pragma", err))
		goto fail;
	/* Chunks overlapping the window; every chunk without events too (its creation time is data). */
	if (from || to)
		snprintf(chunks_w, sizeof(chunks_w),
			 "host_id = %" PRIu64 " AND (first_ts IS NULL OR (last_ts >= %lld AND first_ts <= %lld))", id,
			 (long long)from, (long long)(to ? to : INT64_MAX));
	else
		snprintf(chunks_w, sizeof(chunks_w), "host_id = %" PRIu64, id);
	for (size_t i = 0; i < sizeof(host_tables) / sizeof(host_tables[0]); i++) {
		snprintf(w, sizeof(w), "host_id = %" PRIu64, id);
		if (nt_ch_copy_into(ch, host_tables[i], w, st, NULL, err))
			goto fail;
	}
	if (nt_ch_copy_into(ch, "chunks", chunks_w, st, NULL, err))
		goto fail;
	range[0] = nt_store_int(st, "SELECT min(first_ts) FROM chunks", 0);
	range[1] = nt_store_int(st, "SELECT max(last_ts) FROM chunks", 0);
	if (from || to)
		snprintf(w, sizeof(w), "host_id = %" PRIu64 " AND (first_ts IS NULL OR (last_ts >= %lld AND first_ts <= %lld))",
			 id, (long long)range[0], (long long)range[1]);
	else
		snprintf(w, sizeof(w), "host_id = %" PRIu64, id);
	if (nt_ch_copy_into(ch, "connections", w, st, NULL, err))
		goto fail;
	/* Events: a range read on (host_id, ts), then the chunks. */
	for (size_t i = 0; i < sizeof(event_tables) / sizeof(event_tables[0]); i++) {
		if (from || to)
			snprintf(w, sizeof(w), "host_id = %" PRIu64 " AND ts BETWEEN %lld AND %lld AND chunk_id IN "
				 "(SELECT chunk_id FROM chunks FINAL WHERE %s)", id, (long long)range[0],
				 (long long)range[1], chunks_w);
		else
			snprintf(w, sizeof(w), "host_id = %" PRIu64, id);
		if (nt_ch_copy_into(ch, event_tables[i], w, st, NULL, err))
			goto fail;
	}
	if (from || to)
		snprintf(w, sizeof(w), "host_id = %" PRIu64 " AND chunk_id IN (SELECT chunk_id FROM chunks FINAL WHERE %s)",
			 id, chunks_w);
	else
		snprintf(w, sizeof(w), "host_id = %" PRIu64, id);
	if (nt_ch_copy_into(ch, "damage", w, st, NULL, err))
		goto fail;
	if (!(from || to))
		snprintf(w, sizeof(w), "host_id = %" PRIu64, id);
	else
		snprintf(w, sizeof(w), "host_id = %" PRIu64 " AND (chunk_id IS NULL OR chunk_id IN "
			 "(SELECT chunk_id FROM chunks FINAL WHERE %s))", id, chunks_w);
	if (nt_ch_copy_into(ch, "losses", w, st, NULL, err) || nt_ch_copy_into(ch, "pins", w, st, NULL, err))
		goto fail;
	/* As the SQLite import leaves its database. */
	if (nt_store_exec(st, "PRAGMA analysis_limit = 1000; ANALYZE", "analyze", err))
		goto fail;
	*out = st;
	return 0;
fail:
	nt_store_close(st);
	return -1;
}

static int col_kind(const char *type)
{
	if (!strncmp(type, "Nullable(", 9))
		type += 9;
	if (!strncmp(type, "Int", 3) || !strncmp(type, "UInt", 4))
		return 'i';
	if (!strncmp(type, "Float", 5) || !strncmp(type, "Decimal", 7))
		return 'f';
	return 't';
}

int nt_ch_query_into(struct nt_ch *ch, const char *sql, struct nt_store *st, char *err)
{
	struct nt_chbuf q = { 0 }, body = { 0 }, ddl = { 0 };
	struct nt_stmt *s = NULL;
	size_t len = strlen(sql), ncols = 0;
	char **names = NULL, *kinds = NULL, *p, *nl;
	int ret = -1;

	while (len && strchr(" \t\r\n;", sql[len - 1]))
		len--;
	if (!len) {
		snprintf(err, NT_ERRLEN, "empty SQL; give a statement such as \"SELECT * FROM hosts\"");
		return -1;
	}
	if (nt_chbuf_add(&q, sql, len) || ADD(&q, "\nFORMAT TabSeparatedWithNamesAndTypes"))
		goto oom;
	if (nt_ch_query(ch, q.p, &body, err))
		goto out;
	/* Two header lines: names, then types. */
	p = body.p;
	nl = p ? strchr(p, '\n') : NULL;
	if (!nl || !strchr(nl + 1, '\n')) {
		snprintf(err, NT_ERRLEN, "ClickHouse at %s returned no result table; 'nettape query' runs SELECT statements",
			 nt_ch_where(ch));
		goto out;
	}
	*nl = 0;
	for (char *f = p;; ) {
		char *tab = strchr(f, '\t');
		char **nn = realloc(names, (ncols + 1) * sizeof(*names));
		if (!nn)
			goto oom;
		names = nn;
		if (tab)
			*tab = 0;
		names[ncols++] = f;
		if (!tab)
			break;
		f = tab + 1;
	}
	kinds = calloc(ncols, 1);
	if (!kinds)
		goto oom;
	p = nl + 1;
	nl = strchr(p, '\n');
	*nl = 0;
	for (size_t i = 0; i < ncols; i++) {
		char *tab = strchr(p, '\t');
		if (tab)
			*tab = 0;
		kinds[i] = (char)col_kind(p);
		p = tab ? tab + 1 : p + strlen(p);
	}
	if (ADD(&ddl, "CREATE TABLE result ("))
		goto oom;
	for (size_t i = 0; i < ncols; i++) {
		char qn[512], *o = qn;
		size_t n = nt_ch_tsv_unescape(names[i], strlen(names[i]));
		names[i][n] = 0;
		*o++ = '"';
		for (const char *c = names[i]; *c && o < qn + sizeof(qn) - 24; c++) {
			if (*c == '"')
				*o++ = '"';
			*o++ = *c;
		}
		/* Two columns of one name (count() twice): SQLite wants them distinct. */
		for (size_t k = 0; k < i; k++)
			if (!strcmp(names[k], names[i])) {
				o += snprintf(o, 16, "_%zu", i + 1);
				break;
			}
		*o++ = '"';
		*o = 0;
		if (ADD(&ddl, qn) || ADD(&ddl, kinds[i] == 'i' ? " INTEGER" : kinds[i] == 'f' ? " REAL" : " TEXT") ||
		    ADD(&ddl, i + 1 < ncols ? ", " : ")"))
			goto oom;
	}
	if (nt_store_exec(st, ddl.p, "result table", err))
		goto out;
	ddl.n = 0;
	if (ADD(&ddl, "INSERT INTO result VALUES ("))
		goto oom;
	for (size_t i = 0; i < ncols; i++)
		if (ADD(&ddl, i + 1 < ncols ? "?, " : "?)"))
			goto oom;
	if (!(s = nt_store_prepare(st, ddl.p, err)) || nt_store_exec(st, "BEGIN", "begin", err))
		goto out;
	for (p = nl + 1; p < body.p + body.n;) {
		char *end = strchr(p, '\n');
		if (!end)
			end = body.p + body.n;
		*end = 0;
		char *f = p;
		for (size_t i = 0; i < ncols; i++) {
			char *tab = strchr(f, '\t');
			size_t n;
			if (tab)
				*tab = 0;
			n = strlen(f);
			if (n == 2 && f[0] == '\\' && f[1] == 'N') {
				nt_stmt_bind_null(s, (int)i + 1);
			} else if (kinds[i] == 'f') {
				nt_stmt_bind_double(s, (int)i + 1, strtod(f, NULL));
			} else {
				char *e;
				long long v;
				errno = 0;
				v = strtoll(f, &e, 10);
				if (kinds[i] == 'i' && !errno && !*e && e != f) {
					nt_stmt_bind_int(s, (int)i + 1, v);
				} else {
					n = nt_ch_tsv_unescape(f, n);
					f[n] = 0;
					nt_stmt_bind_text(s, (int)i + 1, f);
				}
			}
			f = tab ? tab + 1 : f + strlen(f);
		}
		if (nt_stmt_step(s) == NT_STORE_ERROR) {
			snprintf(err, NT_ERRLEN, "result row: %s", nt_store_errmsg(st));
			goto out;
		}
		nt_stmt_reset(s);
		p = end + 1;
	}
	if (nt_store_exec(st, "COMMIT", "commit", err))
		goto out;
	ret = 0;
	goto out;
oom:
	snprintf(err, NT_ERRLEN, "out of memory");
out:
	nt_stmt_finalize(s);
	free(names);
	free(kinds);
	nt_chbuf_free(&q);
	nt_chbuf_free(&body);
	nt_chbuf_free(&ddl);
	return ret;
}

#else

int nt_ch_query_into(struct nt_ch *ch, const char *sql, struct nt_store *st, char *err)
{
	(void)ch; (void)sql; (void)st;
	snprintf(err, NT_ERRLEN, "built without libcurl");
	return -1;
}

int nt_ch_copy_into(struct nt_ch *ch, const char *table, const char *where, struct nt_store *st, uint64_t *rows,
		    char *err)
{
	(void)ch; (void)table; (void)where; (void)st; (void)rows;
	snprintf(err, NT_ERRLEN, "built without libcurl");
	return -1;
}
int nt_ch_load_slice(struct nt_ch *ch, const char *host, int64_t from, int64_t to, struct nt_store **out, char *err)
{
	(void)ch; (void)host; (void)from; (void)to;
	*out = NULL;
	snprintf(err, NT_ERRLEN, "built without libcurl");
	return -1;
}
int nt_ch_data_range(struct nt_ch *ch, const char *host, int64_t *first, int64_t *last, char *err)
{
	(void)ch; (void)host;
	*first = *last = 0;
	snprintf(err, NT_ERRLEN, "built without libcurl");
	return -1;
}

#endif
