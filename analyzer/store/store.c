/* store.c: the store interface (store.h) on SQLite: a store is an sqlite3 connection, a statement an sqlite3_stmt. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/db.h"
#include "store/store.h"

/* The opaque types are the SQLite handles themselves: no allocation, no copy. */
static sqlite3 *DB(struct nt_store *st) { return (sqlite3 *)(void *)st; }
static sqlite3_stmt *ST(struct nt_stmt *s) { return (sqlite3_stmt *)(void *)s; }


int nt_store_open(const char *path, enum nt_store_mode mode, struct nt_store **out, char *err)
{
	sqlite3 *db = NULL;

	*out = NULL;
	if (nt_db_open(path, mode == NT_STORE_WRITE ? NT_DB_WRITE : NT_DB_READ, &db, err))
		return -1;
	*out = (struct nt_store *)(void *)db;
	return 0;
}

static const char sqlite_magic[16] = "SQLite format 3"; /* and its NUL */

int nt_store_detect(const char *path)
{
	struct stat stb;
	char buf[16];
	ssize_t n;
	int fd;

	if (stat(path, &stb) || !S_ISREG(stb.st_mode))
		return 0; /* the tape reader explains missing paths and directories */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	return n == (ssize_t)sizeof(buf) && !memcmp(buf, sqlite_magic, sizeof(buf));
}

int nt_store_open_memory(struct nt_store **out, char *err)
{
	return nt_store_open(":memory:", NT_STORE_WRITE, out, err);
}

int nt_store_close(struct nt_store *st)
{
	return st && sqlite3_close(DB(st)) != SQLITE_OK ? -1 : 0;
}

int nt_store_exec(struct nt_store *st, const char *sql, const char *what, char *err)
{
	if (!err)
		return sqlite3_exec(DB(st), sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	return nt_db_exec(DB(st), sql, what, err);
}

int nt_store_bulk(struct nt_store *st, char *err)
{
	return nt_store_exec(st, "PRAGMA synchronous = OFF; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;",
			     "set pragmas", err);
}

int nt_store_analyze(struct nt_store *st, char *err)
{
	return nt_store_exec(st, "PRAGMA analysis_limit = 1000; ANALYZE", "analyze", err);
}

int nt_store_indexes(struct nt_store *st, int build, char *err)
{
	return build ? nt_store_exec(st, nt_schema_indexes, "build indexes", err)
		     : nt_store_exec(st, nt_schema_drop_indexes, "drop indexes", err);
}

int64_t nt_store_int(struct nt_store *st, const char *sql, int64_t dflt)
{
	return nt_db_int(DB(st), sql, dflt);
}

const char *nt_store_errmsg(struct nt_store *st) { return sqlite3_errmsg(DB(st)); }
int nt_store_errno(struct nt_store *st) { return sqlite3_errcode(DB(st)) == SQLITE_NOMEM ? -ENOMEM : -EIO; }
int64_t nt_store_changes(struct nt_store *st) { return sqlite3_changes64(DB(st)); }
int64_t nt_store_last_id(struct nt_store *st) { return sqlite3_last_insert_rowid(DB(st)); }

int nt_store_has_column(struct nt_store *st, const char *table, const char *column)
{
	sqlite3_stmt *s = NULL;
	int found = 0;

	if (sqlite3_prepare_v2(DB(st), "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, column, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

int nt_store_prepare_tail(struct nt_store *st, const char *sql, struct nt_stmt **out, const char **tail, char *err)
{
	sqlite3_stmt *s = NULL;

	*out = NULL;
	if (sqlite3_prepare_v2(DB(st), sql, -1, &s, tail) != SQLITE_OK) {
		if (err)
			snprintf(err, NT_ERRLEN, "SQL error: %s", sqlite3_errmsg(DB(st)));
		sqlite3_finalize(s);
		return -1;
	}
	*out = (struct nt_stmt *)(void *)s;
	return 0;
}

struct nt_stmt *nt_store_prepare(struct nt_store *st, const char *sql, char *err)
{
	struct nt_stmt *s = NULL;

	if (nt_store_prepare_tail(st, sql, &s, NULL, err))
		return NULL;
	return s;
}

int nt_stmt_step(struct nt_stmt *s)
{
	int rc = sqlite3_step(ST(s));

	return rc == SQLITE_ROW ? NT_STORE_ROW : rc == SQLITE_DONE ? NT_STORE_DONE : NT_STORE_ERROR;
}

void nt_stmt_reset(struct nt_stmt *s) { sqlite3_reset(ST(s)); }
void nt_stmt_clear_bindings(struct nt_stmt *s) { sqlite3_clear_bindings(ST(s)); }

void nt_stmt_finalize(struct nt_stmt *s)
{
	sqlite3_finalize(ST(s));
}

int nt_stmt_param(struct nt_stmt *s, const char *name) { return sqlite3_bind_parameter_index(ST(s), name); }
int nt_stmt_param_count(struct nt_stmt *s) { return sqlite3_bind_parameter_count(ST(s)); }
int nt_stmt_bind_int(struct nt_stmt *s, int i, int64_t v) { return sqlite3_bind_int64(ST(s), i, v) == SQLITE_OK ? 0 : -1; }
int nt_stmt_bind_double(struct nt_stmt *s, int i, double v) { return sqlite3_bind_double(ST(s), i, v) == SQLITE_OK ? 0 : -1; }
int nt_stmt_bind_null(struct nt_stmt *s, int i) { return sqlite3_bind_null(ST(s), i) == SQLITE_OK ? 0 : -1; }

int nt_stmt_bind_text(struct nt_stmt *s, int i, const char *v)
{
	int rc = v ? sqlite3_bind_text(ST(s), i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(ST(s), i);

	return rc == SQLITE_OK ? 0 : -1;
}

int nt_stmt_bind_textn(struct nt_stmt *s, int i, const char *v, size_t n)
{
	return sqlite3_bind_text64(ST(s), i, v, n, SQLITE_TRANSIENT, SQLITE_UTF8) == SQLITE_OK ? 0 : -1;
}

int nt_stmt_bind_blob(struct nt_stmt *s, int i, const void *p, size_t n)
{
	return sqlite3_bind_blob64(ST(s), i, p, n, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : -1;
}

int nt_col_count(struct nt_stmt *s) { return sqlite3_column_count(ST(s)); }
const char *nt_col_name(struct nt_stmt *s, int i) { return sqlite3_column_name(ST(s), i); }
int64_t nt_col_int(struct nt_stmt *s, int i) { return sqlite3_column_int64(ST(s), i); }
double nt_col_double(struct nt_stmt *s, int i) { return sqlite3_column_double(ST(s), i); }
const char *nt_col_text(struct nt_stmt *s, int i) { return (const char *)sqlite3_column_text(ST(s), i); }

enum nt_col_kind nt_col_type(struct nt_stmt *s, int i)
{
	switch (sqlite3_column_type(ST(s), i)) {
	case SQLITE_INTEGER: return NT_COL_INT;
	case SQLITE_FLOAT: return NT_COL_FLOAT;
	case SQLITE_TEXT: return NT_COL_TEXT;
	case SQLITE_BLOB: return NT_COL_BLOB;
	default: return NT_COL_NULL;
	}
}

const void *nt_col_blob(struct nt_stmt *s, int i, size_t *n)
{
	const void *p = sqlite3_column_blob(ST(s), i);

	*n = (size_t)sqlite3_column_bytes(ST(s), i);
	return p;
}
