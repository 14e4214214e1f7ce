/* store.h: the database behind a small interface, used by detectors, incidents, reports and commands instead of sqlite3 (SQLite is the first implementation). */
#ifndef NETTAPE_STORE_H
#define NETTAPE_STORE_H

/*
 * The seam between the analysis and the engine that holds the rows. Everything
 * above store/ reads and writes through these calls; only store/ includes
 * <sqlite3.h>. The SQL dialect is SQLite's (the schema is store/schema.c's);
 * another engine (ClickHouse, issue 14) either speaks it through its own
 * implementation of these calls or fills an in-memory store with the slice a
 * report needs, so that the detectors and the incident code are one code path.
 *
 * Invariants:
 * - struct nt_store and struct nt_stmt are opaque; a statement belongs to the
 *   store that prepared it and is finalized before the store is closed.
 * - nt_stmt_step() returns NT_STORE_ROW (a row to read), NT_STORE_DONE, or
 *   NT_STORE_ERROR; columns are read only after NT_STORE_ROW, numbered from 0.
 * - Text returned by nt_col_text() lives until the next step, reset or
 *   finalize of that statement.
 * - Error strings are one line (NT_ERRLEN), name the problem and the fix, and
 *   do not start with the program name.
 */

#include <stddef.h>
#include <stdint.h>

#include "util/errlen.h"

struct nt_store;
struct nt_stmt;

enum nt_store_mode {
	NT_STORE_READ = 0,  /* existing database, read only */
	NT_STORE_WRITE = 1, /* create if missing (schema, migrations), or open an existing one */
};

enum { NT_STORE_ERROR = -1, NT_STORE_DONE = 0, NT_STORE_ROW = 1 };

/* Column types as nt_col_type() reports them. */
enum nt_col_kind { NT_COL_INT = 1, NT_COL_FLOAT = 2, NT_COL_TEXT = 3, NT_COL_BLOB = 4, NT_COL_NULL = 5 };

/* Opens a nettape database (checks application_id / user_version, creates
 * and migrates in NT_STORE_WRITE). 0 and *out, or -1 with err. */
int nt_store_open(const char *path, enum nt_store_mode mode, struct nt_store **out, char *err);
/* Whether path is a database file of this engine (for commands that take a
 * database or tapes): 1 when its first 16 bytes are the SQLite header
 * "SQLite format 3\0", 0 when not (a directory, a shorter or another file),
 * -errno when a regular file cannot be opened or read. Whether it is a
 * nettape database is nt_store_open()'s check (application_id, user_version). */
int nt_store_detect(const char *path);
/* An empty in-memory store with the current schema (for slices and tests). */
int nt_store_open_memory(struct nt_store **out, char *err);
/* Closes st (NULL is fine). 0, or -1 when the engine could not close it cleanly
 * (a statement left unfinalized). */
int nt_store_close(struct nt_store *st);

/* Runs sql (several statements allowed). 0, or -1 with err "<what>: <message>";
 * err may be NULL where a failure needs no message (a ROLLBACK on a failure path). */
int nt_store_exec(struct nt_store *st, const char *sql, const char *what, char *err);
/* First column of the first row of sql as an integer (dflt when no row, NULL or error). */
int64_t nt_store_int(struct nt_store *st, const char *sql, int64_t dflt);
/* The engine's last error message (for composing one-line errors). */
const char *nt_store_errmsg(struct nt_store *st);
/* The last error as a negative errno: -ENOMEM when the engine ran out of
 * memory, -EIO for anything else. */
int nt_store_errno(struct nt_store *st);
/* Rows changed by the last statement; rowid of the last insert. */
int64_t nt_store_changes(struct nt_store *st);
int64_t nt_store_last_id(struct nt_store *st);
/* Whether table has column (schema checks for older databases). */
int nt_store_has_column(struct nt_store *st, const char *table, const char *column);

/* Prepares one statement; NULL with err "SQL error: ..." (err may be NULL:
 * then nt_store_errmsg() says why). The caller finalizes it. */
struct nt_stmt *nt_store_prepare(struct nt_store *st, const char *sql, char *err);
/* The first statement of sql, for a caller that takes SQL from the user and
 * accepts one statement only ('nettape query'): 0 and *out (NULL when sql
 * holds no statement, only spaces or comments) with *tail where the first
 * statement ended, or -1 with err as nt_store_prepare() (may be NULL). */
int nt_store_prepare_tail(struct nt_store *st, const char *sql, struct nt_stmt **out, const char **tail, char *err);
int nt_stmt_step(struct nt_stmt *s);
void nt_stmt_reset(struct nt_stmt *s);      /* back to before the first step; bindings are kept */
void nt_stmt_clear_bindings(struct nt_stmt *s); /* every parameter back to NULL */
void nt_stmt_finalize(struct nt_stmt *s);   /* NULL is fine */

/* Parameters, numbered from 1 as in SQL; a name (":from") gives its number or 0.
 * The binders return 0, or -1 (index out of range, out of memory). */
int nt_stmt_param(struct nt_stmt *s, const char *name);
int nt_stmt_param_count(struct nt_stmt *s);
int nt_stmt_bind_int(struct nt_stmt *s, int i, int64_t v);
int nt_stmt_bind_double(struct nt_stmt *s, int i, double v);
int nt_stmt_bind_text(struct nt_stmt *s, int i, const char *v); /* copied; NULL binds NULL */
int nt_stmt_bind_textn(struct nt_stmt *s, int i, const char *v, size_t n); /* n bytes of v, copied */
int nt_stmt_bind_blob(struct nt_stmt *s, int i, const void *p, size_t n); /* copied */
int nt_stmt_bind_null(struct nt_stmt *s, int i);

int nt_col_count(struct nt_stmt *s);
const char *nt_col_name(struct nt_stmt *s, int i);
enum nt_col_kind nt_col_type(struct nt_stmt *s, int i);
int64_t nt_col_int(struct nt_stmt *s, int i);
double nt_col_double(struct nt_stmt *s, int i);
const char *nt_col_text(struct nt_stmt *s, int i); /* NULL for NULL */
const void *nt_col_blob(struct nt_stmt *s, int i, size_t *n);

/* Bulk loading. */

/* Trades durability for speed on st from now on (no fsync, a large page
 * cache, temporary data in memory): for a load that can be redone, as an
 * import can. 0, or -1 with err "set pragmas: ...". */
int nt_store_bulk(struct nt_store *st, char *err);

/* Drops (build = 0) or creates (build = 1) the secondary indexes of the
 * schema: a bulk load drops them first and builds them once at the end.
 * Small partial indexes (samples_edges) are not dropped but made before the
 * load: maintained during it they cost less than the scan that builds them.
 * 0, or -1 with err (may be NULL, as for nt_store_exec()). */
int nt_store_indexes(struct nt_store *st, int build, char *err);
/* Refreshes the query planner's statistics after a bulk load. 0, or -1 with
 * err "analyze: ...". */
int nt_store_analyze(struct nt_store *st, char *err);

/*
 * A feed: rows of integers kept by the caller that SQL reads as a table, so
 * that "INSERT INTO samples SELECT * FROM name" writes a whole batch in one
 * step, with no bind per column (which costs more than the insert itself on
 * the bulk path). Columns are named c0, c1, ...; the column null_col reads
 * NULL where its value is negative (-1: none).
 */
struct nt_feed {
	const int64_t *rows; /* n rows of ncols values, row after row */
	unsigned n, ncols;
	int null_col;
};
/* Makes the table name (ncols columns) known to st. 0, or -1 with err. */
int nt_store_feed_register(struct nt_store *st, const char *name, unsigned ncols, char *err);
/* The rows the next statements of this thread read from every feed table;
 * f must stay valid (and unchanged) until those statements are done. */
void nt_store_feed_set(const struct nt_feed *f);

#endif
