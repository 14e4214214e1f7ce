/* clickhouse.h: a nettape database in ClickHouse over its HTTP interface (libcurl): connecting, queries, batched inserts, the schema (docs/CLICKHOUSE.md). */
#ifndef NETTAPE_CLICKHOUSE_H
#define NETTAPE_CLICKHOUSE_H

/*
 * Invariants:
 * - A URL reads clickhouse://HOST[:PORT][/DATABASE] (port 8123, database
 *   "nettape" by default); every query runs with that database as the
 *   default, so SQL names tables without a database.
 * - The ClickHouse tables mirror the SQLite schema (store/schema.c): the same
 *   tables and columns in the same order, plus host_id on event tables,
 *   `batch` on the rows an import writes per chunk, and `version` on tables
 *   whose rows are replaced (store/ch_schema.c; docs/CLICKHOUSE.md is checked
 *   against it by the clickhouse.schema_doc test).
 * - Ids: host_id is nt_ch_host_id(hostname, boot_id), the same on every
 *   importer; chunk_id, conn_id, reason_id and sym_id are numbered per host.
 * - Libraries never print: every error is one line in err (NT_ERRLEN) naming
 *   the problem and the fix.
 * - When built without libcurl (NETTAPE_HAVE_CURL undefined), nt_ch_open()
 *   fails with a message saying so; everything else is unreachable.
 */

#include <stddef.h>
#include <stdint.h>

#include "util/errlen.h"

struct nt_ch;
struct nt_store;

/* A growable byte buffer (always NUL-terminated after n bytes). */
struct nt_chbuf {
	char *p;
	size_t n, cap;
};
int nt_chbuf_reserve(struct nt_chbuf *b, size_t more);
int nt_chbuf_add(struct nt_chbuf *b, const void *p, size_t n);
void nt_chbuf_free(struct nt_chbuf *b);

/* The current ClickHouse schema version (nettape_meta.schema_version). */
#define NT_CH_SCHEMA_VERSION 1

/* Whether s is a clickhouse:// URL. */
int nt_ch_is_url(const char *s);

enum nt_ch_mode {
	NT_CH_READ = 0,  /* the database must hold a nettape schema of this version */
	NT_CH_WRITE = 1, /* create the tables when the database has none */
};

/* Connects to url (one request: the server's version), checks the database
 * and its schema (creating the tables in NT_CH_WRITE). Returns 0 and *out
 * (caller frees with nt_ch_close()), or -1 with err. */
int nt_ch_open(const char *url, enum nt_ch_mode mode, struct nt_ch **out, char *err);
void nt_ch_close(struct nt_ch *ch); /* NULL is fine */

/* "HOST:PORT/DATABASE" for messages; the server version ("18.16.1"). */
const char *nt_ch_where(const struct nt_ch *ch);
const char *nt_ch_server_version(const struct nt_ch *ch);
const char *nt_ch_database(const struct nt_ch *ch);

/* Whether request bodies are gzip-compressed: "auto" (the default) compresses
 * unless the server is on loopback, where compressing costs more than it saves. */
void nt_ch_set_gzip(struct nt_ch *ch, int on);

/* Runs sql; the response body goes to out (appended; may be NULL to drop it).
 * Returns 0, or -1 with err "ClickHouse at WHERE: <server message>". */
int nt_ch_query(struct nt_ch *ch, const char *sql, struct nt_chbuf *out, char *err);

/* Runs sql and hands the answer (a 200 one) to fn line by line, without its newline, in a
 * writable buffer valid during the call; a large result is never held whole. fn returns 0, or
 * non-zero to stop (having filled err itself). Returns 0 or -1 with err. */
int nt_ch_query_lines(struct nt_ch *ch, const char *sql, int (*fn)(void *ctx, char *line, size_t n), void *ctx,
		      char *err);

/* Sends data (rows in the format named by query, e.g. "INSERT INTO t (a, b)
 * FORMAT TabSeparated") as one request, gzip-compressed when enabled.
 * Returns 0 or -1 with err. */
int nt_ch_insert(struct nt_ch *ch, const char *query, const char *data, size_t len, char *err);

/* Bytes sent in request bodies so far (after compression) and before it. */
void nt_ch_bytes_sent(const struct nt_ch *ch, uint64_t *wire, uint64_t *raw);

/* --- TabSeparated ---------------------------------------------------------- */

/* Unescapes a TabSeparated field in place; returns its new length. */
size_t nt_ch_tsv_unescape(char *s, size_t n);

/* --- the schema (store/ch_schema.c) ---------------------------------------- */

/* The host id of a boot on every importer (FNV-1a 64 of hostname, NUL,
 * boot_id; top bit cleared so that SQLite stores it as a positive integer). */
uint64_t nt_ch_host_id(const char *hostname, const char *boot_id);

enum nt_ch_col_kind { NT_CH_INT = 1, NT_CH_TEXT = 2, NT_CH_BLOB = 3 };

/* One ClickHouse table of the schema. */
struct nt_ch_table {
	const char *name;
	const char *doc;       /* one line for docs/CLICKHOUSE.md */
	unsigned flags;        /* NT_CH_T_* */
	const char *order_by;  /* sorting key */
	/* Columns SQLite allows NULL in that the importer always fills (space-separated): plain
	 * types here, which ClickHouse stores and parses at half the cost of Nullable. */
	const char *filled;
	/* Filled by nt_ch_schema_columns(): the SQLite table's columns. */
	size_t ncols;
	const char *const *cols;
	const enum nt_ch_col_kind *kinds;
	const char *const *types; /* ClickHouse types */
};
enum {
	NT_CH_T_HOST = 1,     /* a leading host_id UInt64 the SQLite table does not have */
	NT_CH_T_BATCH = 2,    /* a trailing batch UInt64: which import batch wrote the row */
	NT_CH_T_VERSION = 4,  /* ReplacingMergeTree(version): the newest row of a key wins (read with FINAL) */
	NT_CH_T_DAY = 8,      /* PARTITION BY day of ts */
};

/* The tables of the schema, derived once from the SQLite schema (columns,
 * types) and store/ch_schema.c (engines, keys). Returns the array and its
 * length, or NULL with err. Valid for the life of the process (freed by
 * nt_ch_schema_free(), which tests call for a clean leak check). */
const struct nt_ch_table *nt_ch_schema(size_t *n, char *err);
const struct nt_ch_table *nt_ch_table(const char *name, char *err);
void nt_ch_schema_free(void);

/* The CREATE TABLE statement of t (IF NOT EXISTS), for the 18.16 subset. */
int nt_ch_table_ddl(const struct nt_ch_table *t, struct nt_chbuf *out);
/* The schema as the tables of docs/CLICKHOUSE.md (between its BEGIN/END markers). */
int nt_ch_schema_markdown(struct nt_chbuf *out, char *err);
/* The whole DDL (every table and nettape_meta), one statement per line group. */
int nt_ch_schema_ddl(struct nt_chbuf *out, char *err);

/* "INSERT INTO t (every column, in the order this nettape writes them) FORMAT RowBinary" for
 * table t of the schema or ingest_log: the order of the server's columns does not matter (a
 * column added by a migration sits at the end). 0, or -1 with err (unknown table, too long). */
int nt_ch_insert_sql(const char *table, char *out, size_t len, char *err);

/* Checks the schema of the open database (called by nt_ch_open()): the version, and the columns
 * the SQLite schema added since the tables were made (NT_CH_WRITE adds them with ALTER TABLE
 * ADD COLUMN; NT_CH_READ says how to add them). */
int nt_ch_schema_ensure(struct nt_ch *ch, enum nt_ch_mode mode, char *err);

/* --- reading into a local store (store/ch_slice.c) -------------------------- */

/* Copies the rows of ClickHouse table t matching where (SQL over its
 * columns; NULL for all; FINAL for tables with versions) into the same table
 * of st (INSERT OR IGNORE, in the SQLite column order). *rows (may be NULL)
 * gets the number of rows read. 0 or -1 with err. */
int nt_ch_copy_into(struct nt_ch *ch, const char *table, const char *where, struct nt_store *st,
		    uint64_t *rows, char *err);

/* The slice a report needs: one host (hostname, or hostname/BOOT-ID-PREFIX
 * when the name has several boots; NULL when the database holds one host),
 * the chunks overlapping [from, to] (0 = open), their events and the host's
 * connections, processes and names, into a new in-memory store with the
 * SQLite schema. Returns 0 and *out (caller closes with nt_store_close()),
 * or -1 with err (no such host, several boots, ...). */
int nt_ch_load_slice(struct nt_ch *ch, const char *host, int64_t from, int64_t to, struct nt_store **out,
		     char *err);

/* Runs a query (one SELECT; a trailing ';' is fine, no FORMAT clause) and
 * stores its result as table `result` of st, typed from ClickHouse's types
 * (integers INTEGER, floats REAL, the rest TEXT; NULL kept), in the order
 * the server returned it, so that the SQLite printers show it.
 * 0 or -1 with err. */
int nt_ch_query_into(struct nt_ch *ch, const char *sql, struct nt_store *st, char *err);

/* The canned fleet queries ('nettape query clickhouse://... --run NAME'). */
struct nt_ch_canned {
	const char *name, *help, *sql;
};
extern const struct nt_ch_canned nt_ch_canned_queries[];
extern const size_t nt_ch_canned_count;
const struct nt_ch_canned *nt_ch_canned_find(const char *name);

/* min(first_ts), max(last_ts) over the chunks of host (as nt_ch_load_slice
 * reads host); 0 and 0 when there are none. 0 or -1 with err. */
int nt_ch_data_range(struct nt_ch *ch, const char *host, int64_t *first, int64_t *last, char *err);

#endif
