/* feed.c: feeds (store.h): caller-held rows of integers that SQL reads as an eponymous SQLite virtual table. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"

/* The rows of this thread's next statements (nt_store_feed_set()): set before
 * each step, since a module's aux pointer would outlive a caller's buffer on
 * its stack when a connection registers the feed twice. */
static _Thread_local const struct nt_feed *cur_feed;

struct feed_cursor {
	sqlite3_vtab_cursor base;
	unsigned row;
};

void nt_store_feed_set(const struct nt_feed *f)
{
	cur_feed = f;
}

static int feed_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **err)
{
	unsigned ncols = (unsigned)(uintptr_t)aux;
	char decl[1024] = "CREATE TABLE x(";
	size_t len = strlen(decl);
	sqlite3_vtab *v;
	int rc;

	(void)argc;
	(void)argv;
	(void)err;
	for (unsigned i = 0; i < ncols && len < sizeof(decl) - 16; i++)
		len += (size_t)snprintf(decl + len, sizeof(decl) - len, "%sc%u", i ? "," : "", i);
	snprintf(decl + len, sizeof(decl) - len, ")");
	rc = sqlite3_declare_vtab(db, decl);
	if (rc != SQLITE_OK)
		return rc;
	v = sqlite3_malloc(sizeof(*v));
	if (!v)
		return SQLITE_NOMEM;
	memset(v, 0, sizeof(*v));
	*out = v;
	return SQLITE_OK;
}

static int feed_disconnect(sqlite3_vtab *v)
{
	sqlite3_free(v);
	return SQLITE_OK;
}

static int feed_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
	(void)v;
	info->estimatedCost = 1024;
	info->estimatedRows = 1024;
	return SQLITE_OK;
}

static int feed_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
	struct feed_cursor *c = sqlite3_malloc(sizeof(*c));

	(void)v;
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	*out = &c->base;
	return SQLITE_OK;
}

static int feed_close(sqlite3_vtab_cursor *c)
{
	sqlite3_free(c);
	return SQLITE_OK;
}

static int feed_filter(sqlite3_vtab_cursor *c, int idx, const char *idxs, int argc, sqlite3_value **argv)
{
	(void)idx;
	(void)idxs;
	(void)argc;
	(void)argv;
	((struct feed_cursor *)c)->row = 0;
	return SQLITE_OK;
}

static int feed_next(sqlite3_vtab_cursor *c)
{
	((struct feed_cursor *)c)->row++;
	return SQLITE_OK;
}

static int feed_eof(sqlite3_vtab_cursor *c)
{
	return !cur_feed || ((struct feed_cursor *)c)->row >= cur_feed->n;
}

static int feed_column(sqlite3_vtab_cursor *c, sqlite3_context *ctx, int col)
{
	int64_t v = cur_feed->rows[(size_t)((struct feed_cursor *)c)->row * cur_feed->ncols + (unsigned)col];

	if (col == cur_feed->null_col && v < 0)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_int64(ctx, v);
	return SQLITE_OK;
}

static int feed_rowid(sqlite3_vtab_cursor *c, sqlite3_int64 *rowid)
{
	*rowid = ((struct feed_cursor *)c)->row;
	return SQLITE_OK;
}

static const sqlite3_module feed_module = {
	.xConnect = feed_connect,
	.xBestIndex = feed_best_index,
	.xDisconnect = feed_disconnect,
	.xOpen = feed_open,
	.xClose = feed_close,
	.xFilter = feed_filter,
	.xNext = feed_next,
	.xEof = feed_eof,
	.xColumn = feed_column,
	.xRowid = feed_rowid,
};

int nt_store_feed_register(struct nt_store *st, const char *name, unsigned ncols, char *err)
{
	sqlite3 *db = (sqlite3 *)(void *)st;

	if (sqlite3_create_module(db, name, &feed_module, (void *)(uintptr_t)ncols) != SQLITE_OK) {
		snprintf(err, NT_ERRLEN, "register the feed %s: %s", name, sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}
