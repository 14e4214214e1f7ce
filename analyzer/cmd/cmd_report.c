/* cmd_report.c: 'nettape report DB': detectors, correlation into incidents, and the report in text, markdown, JSON or HTML. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "store/conn_select.h"
#include "store/clickhouse.h"
#include "store/db.h"
#include "store/store.h"
#include "detect/detect.h"
#include "incident/incident.h"
#include "report/report.h"
#include "util/selection.h"
#include "util/timefmt.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nettape report DB [--from T] [--to T] [--conn C] [--pid PID] [--all]\n"
		"                         [--format text|markdown|json|html] [-o FILE] [--set NAME=VALUE]...\n"
		"       nettape report clickhouse://HOST[:PORT][/DB] [--host NAME[/BOOT]] [options as above]\n\n"
		"Runs the detectors (docs/DETECTORS.md) over an imported database, groups their findings\n"
		"into incidents by process, connection and time, ranks them by impact and prints each with\n"
		"its evidence, likely cause and a fix hint. Times are UTC.\n"
		"From a ClickHouse database (docs/CLICKHOUSE.md) the report is one host's: its chunks that\n"
		"overlap --from/--to are read into memory and the same detectors run on them, so the report\n"
		"is the one an SQLite import of the same chunks gives.\n\n"
		"Options:\n"
		NT_SELECT_HELP
		"                        report: a bare number is the conn_id of 'nettape query DB\n"
		"                        --run connections'; the other forms must name one connection\n"
		"  --pid PID            connections owned by one process\n"
		"  --host NAME[/BOOT]   clickhouse:// only: the host (a boot id prefix picks one of several\n"
		"                       boots); may be left out when the database holds one host\n"
		"  -f, --format FMT     text (default), markdown, json (docs/SCHEMA.md \"Report JSON\"), html\n"
		"                       (one self-contained file with SVG timeline charts)\n"
		"  -o, --output FILE    write to FILE instead of standard output\n"
		"  -a, --all            also list the notes: findings whose impact is below\n"
		"                       incident.min_impact (default 2; JSON always lists them under \"notes\")\n"
		"  --set NAME=VALUE     change a detector threshold (repeatable)\n"
		"  --list-options       list the thresholds with their values and exit\n"
		"  -h, --help           this help\n\n"
		"Examples:\n"
		"  nettape report incident.db\n"
		"  nettape report incident.db --from 02:00 --to 02:15 --format markdown\n"
		"  nettape report incident.db --pid 4242 --format json | jq '.incidents[0].cause'\n"
		"  nettape report incident.db --format html -o report.html\n"
		"  nettape report incident.db --set zero_window.min_total_ms=20 --set rtt.factor=2\n"
		"  nettape report clickhouse://ch1:8123/nettape --host web1 --from 02:00 --to 02:15\n");
}

static int parse_i64(const char *s, int64_t *v)
{
	char *end;

	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (errno || *end || end == s || x <= 0)
		return -1;
	*v = x;
	return 0;
}

/* --conn for a database: a bare number is a conn_id (as report has always
 * read it); any other form of the shared grammar must match one connection. */
static int resolve_conn(sqlite3 *db, const char *arg, int64_t *conn_id, char *err)
{
	struct conn_filter cf;
	int64_t ids[6];
	size_t n = 0;
	int r;

	if (!parse_i64(arg, conn_id))
		return 0;
	if (conn_filter_parse(arg, &cf)) {
		snprintf(err, NT_ERRLEN, "bad --conn '%s'; use a conn_id, cookie:N, :PORT, ADDR, ADDR:PORT, "
			 "[V6]:PORT or A-B", arg);
		return -EINVAL;
	}
	r = nt_store_conns_matching(nt_store_of_sqlite(db), &cf, ids, 6, &n, err);
	conn_filter_free(&cf);
	if (r)
		return r;
	if (n == 1) {
		*conn_id = ids[0];
		return 0;
	}
	if (!n) {
		snprintf(err, NT_ERRLEN, "--conn '%s' matches no connection; see 'nettape query DB --run connections'",
			 arg);
	} else {
		char list[128] = "";
		size_t off = 0;

		for (size_t i = 0; i < n && i < 5; i++)
			off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%lld", i ? ", " : "", (long long)ids[i]);
		snprintf(err, NT_ERRLEN, "--conn '%s' matches %zu connections (conn_id %s%s); give one conn_id", arg,
			 n, list, n > 5 ? ", ..." : "");
	}
	return -EINVAL;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "conn", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "set", required_argument, NULL, 's' },
		{ "list-options", no_argument, NULL, 'L' },
		{ "all", no_argument, NULL, 'a' },
		{ "host", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *from = NULL, *to = NULL, *conn = NULL, *fmt = "text", *outpath = NULL, *host = NULL;
	struct nt_store *slice = NULL;
	struct nt_filter flt = { 0 };
	struct nt_detect_opts dopts;
	struct nt_analysis an;
	char err[NT_ERRLEN] = "";
	sqlite3 *db = NULL;
	FILE *out = stdout;
	int c, ret = 1, rc, show_notes = 0;
	int64_t v;

	nt_detect_opts_default(&dopts);
	optind = 1;
	while ((c = getopt_long(argc, argv, "af:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'F': from = optarg; break;
		case 'T': to = optarg; break;
		case 'c': conn = optarg; break;
		case 'p':
			if (parse_i64(optarg, &v) || v > UINT32_MAX) {
				fprintf(stderr, "nettape report: --pid '%s' is not a process id\n", optarg);
				return 2;
			}
			flt.pid = (uint32_t)v;
			break;
		case 'a': show_notes = 1; break;
		case 'H': host = optarg; break;
		case 'f': fmt = optarg; break;
		case 'o': outpath = optarg; break;
		case 's':
			if (nt_detect_opts_set(&dopts, optarg, err)) {
				fprintf(stderr, "nettape report: %s\n", err);
				return 2;
			}
			break;
		case 'L': nt_detect_opts_print(stdout, &dopts); return 0;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "nettape report: see 'nettape report --help'\n");
			return 2;
		}
	}
	if (strcmp(fmt, "text") && strcmp(fmt, "markdown") && strcmp(fmt, "md") && strcmp(fmt, "json") &&
	    strcmp(fmt, "html")) {
		fprintf(stderr, "nettape report: unknown --format '%s'; use text, markdown, json or html\n", fmt);
		return 2;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "nettape report: %s; usage: nettape report DB [options]\n",
			optind >= argc ? "missing DB (a database made by 'nettape import')" : "one DB only");
		return 2;
	}
	if (nt_ch_is_url(argv[optind])) {
		/* The fleet store: this host's slice into memory, then the one code path below. */
		struct nt_ch *ch = NULL;
		int64_t first, last;

		if (nt_ch_open(argv[optind], NT_CH_READ, &ch, err) || nt_ch_data_range(ch, host, &first, &last, err)) {
			fprintf(stderr, "nettape report: %s\n", err);
			nt_ch_close(ch);
			return 1;
		}
		if (nt_select_window(from, to, first, last, &flt.from, &flt.to, err)) {
			fprintf(stderr, "nettape report: %s\n", err);
			nt_ch_close(ch);
			return 2;
		}
		rc = nt_ch_load_slice(ch, host, from ? flt.from : 0, to ? flt.to : 0, &slice, err);
		nt_ch_close(ch);
		if (rc) {
			fprintf(stderr, "nettape report: %s\n", err);
			return 1;
		}
		db = nt_store_sqlite(slice);
		if ((from || to) && nt_store_int(slice, "SELECT count(*) FROM chunks", 0) == 0) {
			char t1[40], t2[40];
			fprintf(stderr, "nettape report: warning: no chunk of this host overlaps --from/--to; its data spans "
				"%s .. %s\n", nt_time_iso(first, t1, sizeof(t1)), nt_time_iso(last, t2, sizeof(t2)));
		}
	} else if (host) {
		fprintf(stderr, "nettape report: --host selects a host of a clickhouse:// database; an SQLite database "
			"is reported whole (filter with --pid or --conn)\n");
		return 2;
	} else if (nt_db_open(argv[optind], NT_DB_READ, &db, err)) {
		fprintf(stderr, "nettape report: %s\n", err);
		return 1;
	}
	if (!slice) { /* a slice's window was resolved against the whole host's data above */
		int64_t first, last;

		nt_data_range(db, &first, &last);
		if (nt_select_window(from, to, first, last, &flt.from, &flt.to, err)) {
			fprintf(stderr, "nettape report: %s\n", err);
			ret = 2;
			goto out;
		}
	}
	if (conn && (rc = resolve_conn(db, conn, &flt.conn_id, err))) {
		fprintf(stderr, "nettape report: %s\n", err);
		ret = rc == -EINVAL ? 2 : 1;
		goto out;
	}
	if (nt_analyze(db, &flt, &dopts, &an, err)) {
		fprintf(stderr, "nettape report: %s\n", err);
		goto out;
	}
	an.show_notes = show_notes;
	if (outpath && !(out = fopen(outpath, "w"))) {
		fprintf(stderr, "nettape report: cannot write %s: %s\n", outpath, strerror(errno));
		nt_analysis_free(&an);
		goto out;
	}
	if (!strcmp(fmt, "json"))
		rc = nt_report_json(out, &an, err);
	else if (!strcmp(fmt, "markdown") || !strcmp(fmt, "md"))
		rc = nt_report_markdown(out, &an, err);
	else if (!strcmp(fmt, "html"))
		rc = nt_report_html(out, db, &an, err);
	else
		rc = nt_report_text(out, &an, err);
	nt_analysis_free(&an);
	if (fflush(out) || rc) {
		fprintf(stderr, "nettape report: %s\n", rc ? err : strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (out != stdout && out && fclose(out) && !ret) {
		fprintf(stderr, "nettape report: writing %s: %s\n", outpath, strerror(errno));
		ret = 1;
	}
	sqlite3_close(db);
	return ret;
}
