/* ch_schema.c: the ClickHouse schema of a nettape database, one definition: columns from the SQLite schema, engines and keys here; DDL and docs/CLICKHOUSE.md are made from it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/clickhouse.h"
#include "store/store.h"

/*
 * The portable subset: what the ClickHouse server of Debian 12 (18.16)
 * accepts. Timestamps stay UInt64/Int64 nanoseconds (no DateTime64), no codecs,
 * no TTL, no skip indexes; NULL where SQLite allows it (Nullable). Event
 * tables are MergeTree, partitioned by the UTC day of ts and sorted by
 * (host_id, ts), so one host's time range is a range read. Tables whose rows
 * an import replaces (a connection's counters grow while its chunks arrive)
 * are ReplacingMergeTree(version), read with FINAL.
 * Changing a table incompatibly bumps NT_CH_SCHEMA_VERSION.
 */

#define EV (NT_CH_T_HOST | NT_CH_T_BATCH | NT_CH_T_DAY)
#define REPL NT_CH_T_VERSION

static struct nt_ch_table tables[] = {
	{ "hosts", "one row per boot of a machine; host_id = nt_ch_host_id(hostname, boot_id)", REPL, "host_id", NULL, 0, NULL, NULL, NULL },
	{ "chunks", "chunk files imported: identity (recording_id, seq), time range, how far a .partial was read",
	  REPL, "(host_id, chunk_id)", NULL, 0, NULL, NULL, NULL },
	{ "damage", "places a chunk was damaged", NT_CH_T_HOST | NT_CH_T_BATCH, "(host_id, chunk_id)", NULL, 0, NULL, NULL, NULL },
	{ "processes", "processes from the chunks' metadata", REPL, "(host_id, pid)", NULL, 0, NULL, NULL, NULL },
	{ "cgroups", "cgroups and their containers", REPL, "(host_id, cgroup)", NULL, 0, NULL, NULL, NULL },
	{ "netns", "network namespaces", REPL, "(host_id, inode)", NULL, 0, NULL, NULL, NULL },
	{ "interfaces", "interfaces per namespace", REPL, "(host_id, netns, ifindex)", NULL, 0, NULL, NULL, NULL },
	{ "drop_reasons", "drop-reason names (reason_id numbered per host)", NT_CH_T_HOST | REPL, "(host_id, reason_id)", NULL, 0, NULL, NULL, NULL },
	{ "symbols", "kernel symbols of drop locations (sym_id numbered per host)", NT_CH_T_HOST | REPL,
	  "(host_id, sym_id)", NULL, 0, NULL, NULL, NULL },
	{ "connections", "one row per connection (conn_id numbered per host), counters as of the last import",
	  REPL, "(host_id, conn_id)", NULL, 0, NULL, NULL, NULL },
	{ "drops", "skb drops", EV, "(host_id, ts)", NULL, 0, NULL, NULL, NULL },
	{ "retransmits", "retransmitted segments", EV, "(host_id, ts)", NULL, 0, NULL, NULL, NULL },
	{ "cong", "congestion-state transitions", EV, "(host_id, ts)", NULL, 0, NULL, NULL, NULL },
	{ "states", "TCP state transitions", EV, "(host_id, ts)", NULL, 0, NULL, NULL, NULL },
	{ "samples", "window/RTT samples and zero-window edges", EV, "(host_id, ts)",
	  /* every column of a sample row but conn_id (import.c's ev_sample) */
	  "ts_boot kind ca_state srtt_us rcv_wnd snd_wnd snd_cwnd rcv_queue snd_queue bytes_acked", 0, NULL, NULL, NULL },
	{ "resets", "resets sent and received", EV, "(host_id, ts)", NULL, 0, NULL, NULL, NULL },
	{ "stalls", "read stalls and slow responses", EV, "(host_id, ts)", NULL, 0, NULL, NULL, NULL },
	{ "buffers", "buffer-limit events", EV, "(host_id, ts)", NULL, 0, NULL, NULL, NULL },
	{ "listens", "listen-queue samples", EV, "(host_id, ts)", NULL, 0, NULL, NULL, NULL },
	{ "losses", "events the recorder lost (ring buffer full)", NT_CH_T_BATCH, "(host_id)", NULL, 0, NULL, NULL, NULL },
	{ "pins", "trigger pins", NT_CH_T_BATCH, "(host_id)", NULL, 0, NULL, NULL, NULL },
	{ "packets", "packet snippets", EV, "(host_id, ts)", NULL, 0, NULL, NULL, NULL },
	{ "config", "recorder configuration per host", REPL, "(host_id, key)", NULL, 0, NULL, NULL, NULL },
};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

static int loaded;

uint64_t nt_ch_host_id(const char *hostname, const char *boot_id)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *parts[2] = { hostname ? hostname : "", boot_id ? boot_id : "" };

	for (int k = 0; k < 2; k++) {
		for (const unsigned char *p = (const unsigned char *)parts[k]; *p; p++) {
			h ^= *p;
			h *= 0x100000001b3ULL;
		}
		if (!k) {
			h ^= 0;
			h *= 0x100000001b3ULL;
		}
	}
	h &= INT64_MAX;
	return h ? h : 1;
}

static int filled(const struct nt_ch_table *t, const char *col)
{
	size_t n = strlen(col);

	for (const char *p = t->filled; p && (p = strstr(p, col)); p += n)
		if ((p == t->filled || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
	return 0;
}

static const char *ch_type(const struct nt_ch_table *t, const char *col, const char *decl, int notnull, int pk,
			   enum nt_ch_col_kind *kind)
{
	int nn = notnull || pk || filled(t, col);

	if (!strcmp(col, "host_id"))
		return *kind = NT_CH_INT, "UInt64";
	if (!strncmp(decl, "INTEGER", 7)) {
		*kind = NT_CH_INT;
		if (!strcmp(col, "ts") && nn)
			return "UInt64";
		return nn ? "Int64" : "Nullable(Int64)";
	}
	if (!strncmp(decl, "BLOB", 4))
		return *kind = NT_CH_BLOB, nn ? "String" : "Nullable(String)";
	*kind = NT_CH_TEXT;
	return nn ? "String" : "Nullable(String)";
}

static void free_table(struct nt_ch_table *t)
{
	for (size_t i = 0; i < t->ncols; i++)
		free((char *)t->cols[i]);
	free((void *)t->cols);
	free((void *)t->kinds);
	free((void *)t->types);
	t->cols = NULL;
	t->kinds = NULL;
	t->types = NULL;
	t->ncols = 0;
}

void nt_ch_schema_free(void)
{
	for (size_t i = 0; i < NTABLES; i++)
		free_table(&tables[i]);
	loaded = 0;
}

static int load_columns(struct nt_store *st, struct nt_ch_table *t, char *err)
{
	struct nt_stmt *s = nt_store_prepare(st, "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1) ORDER BY cid",
					     err);
	size_t cap = 64;
	char **cols = calloc(cap, sizeof(*cols));
	enum nt_ch_col_kind *kinds = calloc(cap, sizeof(*kinds));
	const char **types = calloc(cap, sizeof(*types));
	size_t n = 0;

	if (!s || !cols || !kinds || !types)
		goto fail;
	nt_stmt_bind_text(s, 1, t->name);
	while (nt_stmt_step(s) == NT_STORE_ROW && n < cap) {
		cols[n] = strdup(nt_col_text(s, 0));
		if (!cols[n])
			goto fail;
		types[n] = ch_type(t, cols[n], nt_col_text(s, 1) ? nt_col_text(s, 1) : "", (int)nt_col_int(s, 2),
				   (int)nt_col_int(s, 3), &kinds[n]);
		n++;
	}
	nt_stmt_finalize(s);
	if (!n) {
		snprintf(err, NT_ERRLEN, "ClickHouse schema: table %s is not in the SQLite schema", t->name);
		free(cols);
		free(kinds);
		free(types);
		return -1;
	}
	t->cols = (const char *const *)cols;
	t->kinds = kinds;
	t->types = types;
	t->ncols = n;
	return 0;
fail:
	nt_stmt_finalize(s);
	if (cols)
		for (size_t i = 0; i < n; i++)
			free(cols[i]);
	free(cols);
	free(kinds);
	free(types);
	if (!err[0])
		snprintf(err, NT_ERRLEN, "out of memory");
	return -1;
}

const struct nt_ch_table *nt_ch_schema(size_t *n, char *err)
{
	struct nt_store *st = NULL;

	if (!loaded) {
		err[0] = 0;
		if (nt_store_open_memory(&st, err))
			return NULL;
		for (size_t i = 0; i < NTABLES; i++)
			if (load_columns(st, &tables[i], err)) {
				nt_store_close(st);
				nt_ch_schema_free();
				return NULL;
			}
		nt_store_close(st);
		loaded = 1;
	}
	*n = NTABLES;
	return tables;
}

const struct nt_ch_table *nt_ch_table(const char *name, char *err)
{
	size_t n;
	const struct nt_ch_table *t = nt_ch_schema(&n, err);

	for (size_t i = 0; t && i < n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	if (t)
		snprintf(err, NT_ERRLEN, "no ClickHouse table %s in the schema", name);
	return NULL;
}

#define ADD(b, s) nt_chbuf_add((b), (s), strlen(s))

int nt_ch_table_ddl(const struct nt_ch_table *t, struct nt_chbuf *o)
{
	int r = 0;

	r |= ADD(o, "CREATE TABLE IF NOT EXISTS ");
	r |= ADD(o, t->name);
	r |= ADD(o, " (");
	if (t->flags & NT_CH_T_HOST)
		r |= ADD(o, "host_id UInt64, ");
	for (size_t i = 0; i < t->ncols; i++) {
		r |= ADD(o, t->cols[i]);
		r |= ADD(o, " ");
		r |= ADD(o, t->types[i]);
		if (i + 1 < t->ncols)
			r |= ADD(o, ", ");
	}
	if (t->flags & NT_CH_T_BATCH)
		r |= ADD(o, ", batch UInt64, batch_row UInt32");
	if (t->flags & NT_CH_T_VERSION)
		r |= ADD(o, ", version UInt64");
	r |= ADD(o, ") ENGINE = ");
	r |= ADD(o, t->flags & NT_CH_T_VERSION ? "ReplacingMergeTree(version)" : "MergeTree");
	if (t->flags & NT_CH_T_DAY)
		r |= ADD(o, " PARTITION BY toYYYYMMDD(toDateTime(intDiv(ts, 1000000000)))");
	r |= ADD(o, " ORDER BY ");
	r |= ADD(o, t->order_by);
	return r ? -1 : 0;
}

static const char meta_ddl[] = "CREATE TABLE IF NOT EXISTS nettape_meta (key String, value String) ENGINE = TinyLog";
static const char log_ddl[] =
	"CREATE TABLE IF NOT EXISTS ingest_log (host_id UInt64, recording_id String, seq Int64, chunk_id Int64,"
	" batch UInt64, state UInt8, at UInt64) ENGINE = MergeTree ORDER BY (host_id, recording_id, seq)";

int nt_ch_schema_ddl(struct nt_chbuf *o, char *err)
{
	size_t n;
	const struct nt_ch_table *t = nt_ch_schema(&n, err);
	int r = 0;

	if (!t)
		return -1;
	r |= ADD(o, meta_ddl);
	r |= ADD(o, ";\n");
	r |= ADD(o, log_ddl);
	r |= ADD(o, ";\n");
	for (size_t i = 0; i < n; i++) {
		r |= nt_ch_table_ddl(&t[i], o);
		r |= ADD(o, ";\n");
	}
	if (r)
		snprintf(err, NT_ERRLEN, "out of memory");
	return r ? -1 : 0;
}

int nt_ch_schema_markdown(struct nt_chbuf *o, char *err)
{
	size_t n;
	const struct nt_ch_table *t = nt_ch_schema(&n, err);
	int r = 0;

	if (!t)
		return -1;
	r |= ADD(o, "| table | engine | partition | sorting key | extra columns | what |\n");
	r |= ADD(o, "|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < n; i++) {
		char line[1024];
		char extra[128] = "";
		size_t e = 0;

		if (t[i].flags & NT_CH_T_HOST)
			e += (size_t)snprintf(extra + e, sizeof(extra) - e, "host_id (first) ");
		if (t[i].flags & NT_CH_T_BATCH)
			e += (size_t)snprintf(extra + e, sizeof(extra) - e, "batch batch_row ");
		if (t[i].flags & NT_CH_T_VERSION)
			e += (size_t)snprintf(extra + e, sizeof(extra) - e, "version ");
		if (e)
			extra[e - 1] = 0;
		snprintf(line, sizeof(line), "| `%s` | %s | %s | `%s` | %s | %s |\n", t[i].name,
			 t[i].flags & NT_CH_T_VERSION ? "ReplacingMergeTree(version)" : "MergeTree",
			 t[i].flags & NT_CH_T_DAY ? "day of `ts`" : "-", t[i].order_by, e ? extra : "-", t[i].doc);
		r |= ADD(o, line);
	}
	r |= ADD(o, "\nColumns, in order (the SQLite table's columns of docs/SCHEMA.md with these ClickHouse types):\n\n");
	for (size_t i = 0; i < n; i++) {
		r |= ADD(o, "- `");
		r |= ADD(o, t[i].name);
		r |= ADD(o, "`: ");
		if (t[i].flags & NT_CH_T_HOST)
			r |= ADD(o, "host_id UInt64, ");
		for (size_t k = 0; k < t[i].ncols; k++) {
			r |= ADD(o, t[i].cols[k]);
			r |= ADD(o, " ");
			r |= ADD(o, t[i].types[k]);
			if (k + 1 < t[i].ncols)
				r |= ADD(o, ", ");
		}
		if (t[i].flags & NT_CH_T_BATCH)
			r |= ADD(o, ", batch UInt64, batch_row UInt32");
		if (t[i].flags & NT_CH_T_VERSION)
			r |= ADD(o, ", version UInt64");
		r |= ADD(o, "\n");
	}
	if (r)
		snprintf(err, NT_ERRLEN, "out of memory");
	return r ? -1 : 0;
}

int nt_ch_insert_sql(const char *table, char *out, size_t len, char *err)
{
	const struct nt_ch_table *t;
	size_t o;

	if (!strcmp(table, "ingest_log")) {
		snprintf(out, len, "INSERT INTO ingest_log (host_id, recording_id, seq, chunk_id, batch, state, at) FORMAT RowBinary");
		return 0;
	}
	if (!(t = nt_ch_table(table, err)))
		return -1;
	o = (size_t)snprintf(out, len, "INSERT INTO %s (%s", t->name, t->flags & NT_CH_T_HOST ? "host_id, " : "");
	for (size_t i = 0; i < t->ncols && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", t->cols[i], i + 1 < t->ncols ? ", " : "");
	if (o < len)
		o += (size_t)snprintf(out + o, len - o, "%s%s) FORMAT RowBinary",
				      t->flags & NT_CH_T_BATCH ? ", batch, batch_row" : "",
				      t->flags & NT_CH_T_VERSION ? ", version" : "");
	if (o >= len) {
		snprintf(err, NT_ERRLEN, "insert statement of %s too long", t->name);
		return -1;
	}
	return 0;
}

#ifdef NETTAPE_HAVE_CURL
/* Columns of the definition the server's tables lack (the SQLite schema grew): added in
 * NT_CH_WRITE, named in the error in NT_CH_READ. */
static int migrate_columns(struct nt_ch *ch, enum nt_ch_mode mode, char *err)
{
	struct nt_chbuf have = { 0 };
	char sql[512];
	size_t n;
	const struct nt_ch_table *t = nt_ch_schema(&n, err);
	int ret = -1;

	if (!t)
		return -1;
	snprintf(sql, sizeof(sql), "SELECT concat(table, '.', name) FROM system.columns WHERE database = '%s'"
		 " FORMAT TabSeparated", nt_ch_database(ch));
	if (nt_ch_query(ch, sql, &have, err))
		goto out;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < t[i].ncols; k++) {
			char key[192];
			char *p;
			int found = 0;
			size_t kl = (size_t)snprintf(key, sizeof(key), "%s.%s", t[i].name, t[i].cols[k]);
			for (p = have.p; p && (p = strstr(p, key)); p += kl)
				if ((p == have.p || p[-1] == '\n') && (p[kl] == '\n' || !p[kl])) {
					found = 1;
					break;
				}
			if (found)
				continue;
			if (mode == NT_CH_READ) {
				snprintf(err, NT_ERRLEN, "database %s lacks column %s that this nettape reads; "
					 "'nettape import TAPE --into clickhouse://%s' adds it", nt_ch_where(ch), key,
					 nt_ch_where(ch));
				goto out;
			}
			snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s", t[i].name, t[i].cols[k], t[i].types[k]);
			if (nt_ch_query(ch, sql, NULL, err))
				goto out;
		}
	}
	ret = 0;
out:
	nt_chbuf_free(&have);
	return ret;
}

int nt_ch_schema_ensure(struct nt_ch *ch, enum nt_ch_mode mode, char *err)
{
	struct nt_chbuf v = { 0 }, ddl = { 0 };
	char sql[256];
	int ret = -1;
	long have;

	/* Does the database exist, and does it hold a nettape schema? */
	snprintf(sql, sizeof(sql), "SELECT count() FROM system.tables WHERE database = '%s' AND name = 'nettape_meta'",
		 nt_ch_database(ch));
	if (nt_ch_query(ch, sql, &v, err))
		goto out;
	have = strtol(v.p ? v.p : "0", NULL, 10);
	v.n = 0;
	if (!have) {
		snprintf(sql, sizeof(sql), "SELECT count() FROM system.databases WHERE name = '%s'", nt_ch_database(ch));
		if (nt_ch_query(ch, sql, &v, err))
			goto out;
		if (strtol(v.p ? v.p : "0", NULL, 10) == 0) {
			snprintf(err, NT_ERRLEN, "database '%s' does not exist on %.*s; create it (clickhouse-client "
				 "--query 'CREATE DATABASE %s') or fix the URL", nt_ch_database(ch),
				 (int)(strchr(nt_ch_where(ch), '/') - nt_ch_where(ch)), nt_ch_where(ch), nt_ch_database(ch));
			goto out;
		}
		if (mode == NT_CH_READ) {
			snprintf(err, NT_ERRLEN, "database %s holds no nettape tables; import into it first "
				 "(nettape import TAPE --into clickhouse://%s)", nt_ch_where(ch), nt_ch_where(ch));
			goto out;
		}
		if (nt_ch_schema_ddl(&ddl, err))
			goto out;
		for (char *p = ddl.p, *e; p && *p; p = e + 2) {
			e = strstr(p, ";\n");
			if (!e)
				break;
			*e = 0;
			if (nt_ch_query(ch, p, NULL, err))
				goto out;
		}
		snprintf(sql, sizeof(sql), "INSERT INTO nettape_meta VALUES ('schema_version', '%d'), ('application', 'nettape')",
			 NT_CH_SCHEMA_VERSION);
		if (nt_ch_query(ch, sql, NULL, err))
			goto out;
		ret = 0;
		goto out;
	}
	if (nt_ch_query(ch, "SELECT value FROM nettape_meta WHERE key = 'schema_version'", &v, err))
		goto out;
	have = strtol(v.p ? v.p : "0", NULL, 10);
	if (have != NT_CH_SCHEMA_VERSION) {
		snprintf(err, NT_ERRLEN, "database %s holds nettape ClickHouse schema version %ld, this nettape reads "
			 "and writes version %d; use the nettape that wrote it, or import into a new database",
			 nt_ch_where(ch), have, NT_CH_SCHEMA_VERSION);
		goto out;
	}
	if (migrate_columns(ch, mode, err))
		goto out;
	ret = 0;
out:
	nt_chbuf_free(&v);
	nt_chbuf_free(&ddl);
	return ret;
}
#else
int nt_ch_schema_ensure(struct nt_ch *ch, enum nt_ch_mode mode, char *err)
{
	(void)ch;
	(void)mode;
	snprintf(err, NT_ERRLEN, "built without libcurl");
	return -1;
}
#endif
