/* db.h: opening, creating and checking a nettape SQLite database (application_id, user_version, schema); store/ only: everything else uses store.h. */
#ifndef NETTAPE_DB_H
#define NETTAPE_DB_H

/*
 * Invariants:
 * - A nettape database has PRAGMA application_id = NT_DB_APP_ID and
 *   PRAGMA user_version = NT_DB_USER_VERSION; nt_db_open() refuses anything
 *   else with a one-line message in err.
 * - Error strings are one line, name the problem and the fix, and do not
 *   start with the program name (the caller adds "nettape CMD: ").
 */

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define NT_DB_APP_ID 0x4e544150 /* "NTAP" */
#define NT_DB_USER_VERSION 1
#include "util/errlen.h"

extern const char nt_schema_tables[];
extern const char nt_schema_indexes[];
extern const char nt_schema_drop_indexes[];
extern const char nt_schema_views[];

/* A column added to a version-1 table after release (see schema.c). */
struct nt_schema_column {
	const char *table, *column, *decl;
};
/* Terminated by an entry with table NULL. */
extern const struct nt_schema_column nt_schema_added_columns[];

enum nt_db_mode {
	NT_DB_READ = 0,   /* existing database, read only */
	NT_DB_WRITE = 1,  /* create if missing, or open an existing nettape database */
};

/* Opens path. NT_DB_WRITE creates the file and the schema when it is new,
 * and adds columns and views introduced since (nt_schema_added_columns).
 * Returns 0 and *out (caller closes with sqlite3_close()), or -1 with a
 * one-line message in err. */
int nt_db_open(const char *path, enum nt_db_mode mode, sqlite3 **out, char *err);

/* Runs sql (several statements allowed). Returns 0, or -1 with err filled
 * ("<what>: <sqlite message>"). */
int nt_db_exec(sqlite3 *db, const char *sql, const char *what, char *err);

/* Prepares sql; returns NULL with err filled. */
sqlite3_stmt *nt_db_prepare(sqlite3 *db, const char *sql, char *err);

/* First column of the first row of sql as an integer (dflt when no row). */
int64_t nt_db_int(sqlite3 *db, const char *sql, int64_t dflt);

/* Registers helper SQL functions on db: iso(ts_ns) -> ISO-8601 UTC text
 * with milliseconds. */
void nt_db_functions(sqlite3 *db);

#endif
