/* cmd_query.c: 'nettape query DB "SQL"' and canned queries; a table on a terminal, CSV or JSON on request. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/canned.h"
#include "cmd/commands.h"
#include "store/clickhouse.h"
#include "store/db.h"
#include "store/store.h"
#include "report/report.h"

#define MAXW 60
#define MAX_TABLE_ROWS 10000 /* a terminal table; csv and json stream everything */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nettape query DB \"SQL\" [--format table|csv|json]\n"
		"       nettape query DB --run NAME [--format ...]\n"
		"       nettape query DB --list\n"
		"       nettape query clickhouse://HOST[:PORT][/DB] \"SQL\" | --run NAME | --list\n\n"
		"Runs read-only SQL against an imported database (tables and views: docs/SCHEMA.md).\n"
		"Times are in ns since the epoch (columns ts); the v_* views add ISO-8601 text; iso(ts)\n"
		"converts any of them.\n"
		"On a clickhouse:// database the SQL is ClickHouse's (tables: docs/CLICKHOUSE.md) and the\n"
		"canned queries are the fleet's (--list on the URL shows them); the output options are the same.\n\n"
		"Options:\n"
		"  --run NAME           run a canned query (--list shows them)\n"
		"  --list               list the canned queries with what they answer\n"
		"  -f, --format FMT     table (default; cells cut at %d characters, at most 10000 rows),\n"
		"                       csv or json (every row)\n"
		"  -h, --help           this help\n\n"
		"Examples:\n"
		"  nettape query incident.db --list\n"
		"  nettape query incident.db --run zero-window\n"
		"  nettape query incident.db \"SELECT reason, count(*) FROM v_drops GROUP BY reason\"\n"
		"  nettape query incident.db --run drops --format csv > drops.csv\n"
		"  nettape query clickhouse://ch1:8123/nettape --run fleet-zero-window\n"
		"  nettape query clickhouse://ch1:8123/nettape \"SELECT count() FROM samples\" --format json\n", MAXW);
}

struct rows {
	char **cell; /* ncols * nrows, row-major */
	size_t ncols, nrows, cap;
};

static int rows_add(struct rows *r, sqlite3_stmt *s)
{
	if (r->nrows == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 64;
		char **n = realloc(r->cell, ncap * r->ncols * sizeof(*n));
		if (!n)
			return -1;
		r->cell = n;
		r->cap = ncap;
	}
	for (size_t i = 0; i < r->ncols; i++) {
		const char *t = (const char *)sqlite3_column_text(s, (int)i);
		if (sqlite3_column_type(s, (int)i) == SQLITE_BLOB)
			t = "<blob>";
		r->cell[r->nrows * r->ncols + i] = strdup(t ? t : "");
	}
	r->nrows++;
	return 0;
}

/* Display width of UTF-8 text (code points), up to max. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void cell_out(const char *s, size_t w, int right)
{
	size_t n = width(s);

	if (n > MAXW) {
		/* cut on a code point boundary */
		size_t cp = 0;
		const char *p = s;
		for (; *p && cp < MAXW - 1; p++)
			cp += ((unsigned char)*p & 0xc0) != 0x80;
		while (((unsigned char)*p & 0xc0) == 0x80)
			p++;
		printf("%.*s~", (int)(p - s), s);
		n = MAXW;
	} else if (right) {
		printf("%*s%s", (int)(w - n), "", s);
		return;
	} else {
		fputs(s, stdout);
	}
	printf("%*s", (int)(w - n), "");
}

static int numeric(const char *s)
{
	char *end;

	if (!*s)
		return 1;
	strtod(s, &end);
	return !*end;
}

static void print_table(sqlite3_stmt *s, struct rows *r)
{
	size_t *w = calloc(r->ncols, sizeof(*w));
	int *right = calloc(r->ncols, sizeof(*right));

	if (!w || !right)
		goto out;
	for (size_t c = 0; c < r->ncols; c++) {
		w[c] = width(sqlite3_column_name(s, (int)c));
		right[c] = r->nrows > 0;
		for (size_t i = 0; i < r->nrows; i++) {
			const char *t = r->cell[i * r->ncols + c];
			size_t n = width(t);
			if (n > w[c])
				w[c] = n > MAXW ? MAXW : n;
			if (!numeric(t))
				right[c] = 0;
		}
	}
	for (size_t c = 0; c < r->ncols; c++) {
		cell_out(sqlite3_column_name(s, (int)c), w[c], right[c]);
		fputs(c + 1 < r->ncols ? "  " : "\n", stdout);
	}
	for (size_t c = 0; c < r->ncols; c++) {
		for (size_t k = 0; k < w[c]; k++)
			putchar('-');
		fputs(c + 1 < r->ncols ? "  " : "\n", stdout);
	}
	for (size_t i = 0; i < r->nrows; i++)
		for (size_t c = 0; c < r->ncols; c++) {
			cell_out(r->cell[i * r->ncols + c], w[c], right[c]);
			fputs(c + 1 < r->ncols ? "  " : "\n", stdout);
		}
	printf("(%zu row%s)\n", r->nrows, r->nrows == 1 ? "" : "s");
out:
	free(w);
	free(right);
}

static void csv_field(const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static void json_value(sqlite3_stmt *s, int i)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_NULL: fputs("null", stdout); break;
	case SQLITE_INTEGER: printf("%lld", (long long)sqlite3_column_int64(s, i)); break;
	case SQLITE_FLOAT: printf("%.17g", sqlite3_column_double(s, i)); break;
	case SQLITE_BLOB: {
		const unsigned char *b = sqlite3_column_blob(s, i);
		int n = sqlite3_column_bytes(s, i);
		putchar('"');
		for (int k = 0; k < n; k++)
			printf("%02x", b[k]);
		putchar('"');
		break;
	}
	default: nt_json_str(stdout, (const char *)sqlite3_column_text(s, i));
	}
}

static int run(sqlite3 *db, const char *sql, const char *fmt)
{
	sqlite3_stmt *s = NULL;
	const char *tail = NULL;
	struct rows r = { 0 };
	int rc, ret = 1, truncated = 0;
	size_t n = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &s, &tail) != SQLITE_OK) {
		fprintf(stderr, "nettape query: SQL error: %s; see docs/SCHEMA.md for tables and views\n", sqlite3_errmsg(db));
		return 1;
	}
	if (!s) {
		fprintf(stderr, "nettape query: empty SQL; give a statement such as \"SELECT * FROM v_connections\"\n");
		return 2;
	}
	if (tail && strspn(tail, " \t\r\n;") != strlen(tail)) {
		fprintf(stderr, "nettape query: one statement at a time, please (text after the first ';')\n");
		sqlite3_finalize(s);
		return 2;
	}
	r.ncols = (size_t)sqlite3_column_count(s);
	if (!strcmp(fmt, "csv")) {
		for (size_t c = 0; c < r.ncols; c++) {
			csv_field(sqlite3_column_name(s, (int)c));
			putchar(c + 1 < r.ncols ? ',' : '\n');
		}
	} else if (!strcmp(fmt, "json")) {
		putchar('[');
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!strcmp(fmt, "csv")) {
			for (size_t c = 0; c < r.ncols; c++) {
				const char *t = (const char *)sqlite3_column_text(s, (int)c);
				csv_field(t ? t : "");
				putchar(c + 1 < r.ncols ? ',' : '\n');
			}
		} else if (!strcmp(fmt, "json")) {
			fputs(n ? ",\n {" : "\n {", stdout);
			for (size_t c = 0; c < r.ncols; c++) {
				nt_json_str(stdout, sqlite3_column_name(s, (int)c));
				fputs(": ", stdout);
				json_value(s, (int)c);
				if (c + 1 < r.ncols)
					fputs(", ", stdout);
			}
			putchar('}');
		} else if (r.nrows >= MAX_TABLE_ROWS) {
			truncated = 1;
			rc = SQLITE_DONE;
			break;
		} else if (rows_add(&r, s)) {
			fprintf(stderr, "nettape query: out of memory; use --format csv for large results\n");
			goto out;
		}
		n++;
	}
	if (rc != SQLITE_DONE) {
		if (!strcmp(fmt, "json"))
			putchar('\n');
		fflush(stdout);
		fprintf(stderr, "nettape query: SQL error: %s\n", sqlite3_errmsg(db));
		goto out;
	}
	if (!strcmp(fmt, "json"))
		fputs(n ? "\n]\n" : "]\n", stdout);
	else if (strcmp(fmt, "csv")) {
		print_table(s, &r);
		if (truncated)
			printf("(only the first %d rows are shown; add LIMIT/OFFSET or use --format csv for all)\n",
			       MAX_TABLE_ROWS);
	}
	ret = 0;
out:
	for (size_t i = 0; i < r.nrows * r.ncols; i++)
		free(r.cell[i]);
	free(r.cell);
	sqlite3_finalize(s);
	return ret;
}

/* The same printers over a ClickHouse result: it is read into an in-memory store first. */
static int query_clickhouse(int argc, char **argv, const char *name, int list, const char *fmt)
{
	struct nt_ch *ch = NULL;
	struct nt_store *st = NULL;
	const char *sql;
	char err[NT_ERRLEN];
	int ret;

	if (list) {
		for (size_t i = 0; i < nt_ch_canned_count; i++)
			printf("%-22s %s\n", nt_ch_canned_queries[i].name, nt_ch_canned_queries[i].help);
		return 0;
	}
	if (name) {
		const struct nt_ch_canned *q = nt_ch_canned_find(name);
		if (!q) {
			fprintf(stderr, "nettape query: no fleet query '%s'; 'nettape query %s --list' shows them\n", name,
				argv[optind]);
			return 2;
		}
		if (optind + 1 != argc) {
			fprintf(stderr, "nettape query: --run takes no SQL; give either SQL or --run NAME\n");
			return 2;
		}
		sql = q->sql;
	} else if (optind + 2 != argc) {
		fprintf(stderr, "nettape query: %s; usage: nettape query clickhouse://HOST:PORT/DB \"SQL\"\n",
			optind + 1 >= argc ? "missing SQL (or --run NAME, --list)" : "too many arguments (quote the SQL)");
		return 2;
	} else {
		sql = argv[optind + 1];
	}
	if (nt_ch_open(argv[optind], NT_CH_READ, &ch, err) || nt_store_open_memory(&st, err) ||
	    nt_ch_query_into(ch, sql, st, err)) {
		fprintf(stderr, "nettape query: %s\n", err);
		nt_store_close(st);
		nt_ch_close(ch);
		return 1;
	}
	nt_ch_close(ch);
	ret = run(nt_store_sqlite(st), "SELECT * FROM result", fmt);
	nt_store_close(st);
	return ret;
}

int cmd_query(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "run", required_argument, NULL, 'r' },
		{ "list", no_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *fmt = "table", *name = NULL, *sql = NULL;
	int list = 0, c, ret;
	char err[NT_ERRLEN];
	sqlite3 *db = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': name = optarg; break;
		case 'l': list = 1; break;
		case 'f': fmt = optarg; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "nettape query: see 'nettape query --help'\n");
			return 2;
		}
	}
	if (strcmp(fmt, "table") && strcmp(fmt, "csv") && strcmp(fmt, "json")) {
		fprintf(stderr, "nettape query: unknown --format '%s'; use table, csv or json\n", fmt);
		return 2;
	}
	if (list && optind == argc) {
		/* --list works without a database too */
	} else if (optind >= argc) {
		fprintf(stderr, "nettape query: missing DB; usage: nettape query DB \"SQL\" | --run NAME | --list\n");
		return 2;
	}
	if (optind < argc && nt_ch_is_url(argv[optind]))
		return query_clickhouse(argc, argv, name, list, fmt);
	if (list) {
		for (size_t i = 0; i < nt_canned_count; i++)
			printf("%-18s %s\n", nt_canned_queries[i].name, nt_canned_queries[i].help);
		return 0;
	}
	if (name) {
		const struct nt_canned *q = nt_canned_find(name);
		if (!q) {
			fprintf(stderr, "nettape query: no canned query '%s'; 'nettape query --list' shows them\n", name);
			return 2;
		}
		sql = q->sql;
		if (optind + 1 != argc) {
			fprintf(stderr, "nettape query: --run takes no SQL; give either SQL or --run NAME\n");
			return 2;
		}
	} else {
		if (optind + 2 != argc) {
			fprintf(stderr, "nettape query: %s; usage: nettape query DB \"SQL\"\n",
				optind + 1 >= argc ? "missing SQL (or --run NAME, --list)" : "too many arguments (quote the SQL)");
			return 2;
		}
		sql = argv[optind + 1];
	}
	if (nt_db_open(argv[optind], NT_DB_READ, &db, err)) {
		fprintf(stderr, "nettape query: %s\n", err);
		return 1;
	}
	ret = run(db, sql, fmt);
	sqlite3_close(db);
	return ret;
}
