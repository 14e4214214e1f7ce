/* db.c: opens or creates a nettape database and checks that it is one (application_id, user_version). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "store/db.h"
#include "util/timefmt.h"

int nt_db_exec(sqlite3 *db, const char *sql, const char *what, char *err)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, NT_ERRLEN, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}

sqlite3_stmt *nt_db_prepare(sqlite3 *db, const char *sql, char *err)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, NT_ERRLEN, "SQL error: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

int64_t nt_db_int(sqlite3 *db, const char *sql, int64_t dflt)
{
	sqlite3_stmt *st = NULL;
	int64_t v = dflt;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return dflt;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void fn_iso(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char buf[64];

	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	nt_time_iso(sqlite3_value_int64(argv[0]), buf, sizeof(buf));
	sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

void nt_db_functions(sqlite3 *db)
{
	sqlite3_create_function(db, "iso", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_iso, NULL, NULL);
}

static int create_schema(sqlite3 *db, char *err)
{
	char sql[128];

	/* Larger pages: fewer B-tree splits on the append-only bulk load. */
	if (nt_db_exec(db, "PRAGMA page_size = 16384", "create schema", err) ||
	    nt_db_exec(db, "BEGIN", "create schema", err) ||
	    nt_db_exec(db, nt_schema_tables, "create schema", err) ||
	    nt_db_exec(db, nt_schema_views, "create schema views", err))
		goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = %d;",
		 NT_DB_APP_ID, NT_DB_USER_VERSION);
	if (nt_db_exec(db, sql, "create schema", err) || nt_db_exec(db, "COMMIT", "create schema", err))
		goto fail;
	return 0;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Adds the columns and views a database of this version may lack (it was
 * created by an older nettape of the same schema version). */
static int upgrade_schema(sqlite3 *db, const char *path, char *err)
{
	char sql[256];
	int n = 0;

	/* Tables added since (all CREATE TABLE IF NOT EXISTS: the existing ones are untouched). */
	if (nt_db_exec(db, nt_schema_tables, "upgrade schema", err))
		return -1;
	for (const struct nt_schema_column *c = nt_schema_added_columns; c->table; c++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'", c->table,
			 c->column);
		if (nt_db_int(db, sql, 1))
			continue;
		if (!n++ && nt_db_exec(db, "BEGIN", "upgrade schema", err))
			return -1;
		snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s", c->table, c->column, c->decl);
		if (nt_db_exec(db, sql, "upgrade schema", err))
			goto fail;
	}
	if (!n)
		return 0;
	if (nt_db_exec(db, nt_schema_views, "upgrade schema views", err) || nt_db_exec(db, "COMMIT", "upgrade schema", err))
		goto fail;
	return 0;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	snprintf(err + strlen(err), NT_ERRLEN - strlen(err), " (adding columns to %s; re-import into a new database)", path);
	return -1;
}

int nt_db_open(const char *path, enum nt_db_mode mode, sqlite3 **out, char *err)
{
	sqlite3 *db = NULL;
	struct stat stb;
	int exists = stat(path, &stb) == 0;
	/* One connection per thread: no SQLite mutexes on the bulk path. */
	int flags = (mode == NT_DB_WRITE ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY) |
		    SQLITE_OPEN_NOMUTEX;
	int64_t app, ver, nobj;

	*out = NULL;
	if (!exists && mode == NT_DB_READ) {
		snprintf(err, NT_ERRLEN, "%s: %s; create it with 'nettape import TAPE -o %s'",
			 path, strerror(errno), path);
		return -1;
	}
	if (exists && S_ISDIR(stb.st_mode)) {
		snprintf(err, NT_ERRLEN, "%s is a directory, not a database file; give a file name (a tape goes before -o)", path);
		return -1;
	}
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		snprintf(err, NT_ERRLEN, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 5000);
	sqlite3_extended_result_codes(db, 1);
	/* The first read fails with SQLITE_NOTADB on a file that is not SQLite at all. */
	app = nt_db_int(db, "PRAGMA application_id", -1);
	if (app == -1) {
		snprintf(err, NT_ERRLEN, "%s is not an SQLite database (%s); give a database made by 'nettape import'",
			 path, sqlite3_errmsg(db));
		goto fail;
	}
	ver = nt_db_int(db, "PRAGMA user_version", 0);
	nobj = nt_db_int(db, "SELECT count(*) FROM sqlite_schema", 0);
	if (app == 0 && ver == 0 && nobj == 0) {
		if (mode == NT_DB_READ) {
			snprintf(err, NT_ERRLEN, "%s is empty; import a tape first with 'nettape import TAPE -o %s'",
				 path, path);
			goto fail;
		}
		if (create_schema(db, err))
			goto fail;
	} else if (app != NT_DB_APP_ID) {
		snprintf(err, NT_ERRLEN, "%s belongs to another application (application_id 0x%08llx, nettape uses 0x%08x); %s",
			 path, (unsigned long long)app, NT_DB_APP_ID,
			 mode == NT_DB_WRITE ? "choose another output file" : "give a database made by 'nettape import'");
		goto fail;
	} else if (ver != NT_DB_USER_VERSION) {
		snprintf(err, NT_ERRLEN, "%s has schema version %lld but this nettape uses version %d; "
			 "re-import the tapes into a new database", path, (long long)ver, NT_DB_USER_VERSION);
		goto fail;
	}
	if (mode == NT_DB_WRITE && upgrade_schema(db, path, err))
		goto fail;
	nt_db_functions(db);
	*out = db;
	return 0;
fail:
	sqlite3_close(db);
	return -1;
}
