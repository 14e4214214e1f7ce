/* cmd_import.c: 'nettape import TAPE... -o DB': tapes of one or many hosts into one SQLite database. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "store/db.h"
#include "import/clock.h"
#include "import/import.h"
#include "pcap/pcap_import.h"
#include "report/report.h"
#include "store/host_clock.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nettape import TAPE|CAPTURE... -o DB [--clock-offset HOST=+-DUR]... [--quiet]\n\n"
		"Imports tapes (tape directories or single chunk files, of one or many hosts) into one\n"
		"SQLite database (docs/SCHEMA.md). Importing a chunk twice adds nothing; a chunk imported\n"
		"while it was being written continues where the last import stopped.\n"
		"Packet captures (pcap or pcapng, recognised by their magic number; Ethernet, Linux cooked\n"
		"or raw IP; TCP over IPv4/IPv6) go through the same detectors: connections, zero-window\n"
		"episodes, retransmissions, RTT and resets are derived from the packets alone\n"
		"(docs/DETECTORS.md, \"From packets\"). A capture imported twice adds nothing.\n\n"
		"Several hosts: the two ends of a connection recorded on two hosts are paired (mirrored\n"
		"4-tuple, checked against the handshake, FIN/ACK, reset and drop/retransmit edges) and every\n"
		"host's clock is aligned to a reference host from them (a segment arrives after it was sent:\n"
		"each edge bounds the offset, many connections narrow it). Each host's offset, its error bound\n"
		"and the number of pairs are printed, stored (hosts.clock_*) and added to every time of that\n"
		"host; a host that shares no connection with the others stays \"unaligned\" (its own clock).\n\n"
		"Options:\n"
		"  -o, --output DB     database file to create or add to (required)\n"
		"  -q, --quiet         no progress bar and no summary line\n"
		"      --batch N       events per transaction (default 500000)\n"
		"      --clock-offset HOST=+-DUR\n"
		"                      add DUR to every time of HOST (e.g. db1=-300ms, web1=+2.5s) instead of the\n"
		"                      estimate, like editcap -t; remembered in DB; HOST=auto estimates again.\n"
		"                      Repeat for several hosts; DUR: us, ms, s, m, h\n"
		"  -h, --help          this help\n\n"
		"Examples:\n"
		"  nettape import /var/lib/nettape -o incident.db\n"
		"  nettape import web1-tape/ db1-tape/ -o both-hosts.db\n"
		"  nettape import web1-tape/ db1-tape/ -o both.db --clock-offset db1=-300ms\n"
		"  nettape import tape/chunk-00000007.ntc -o one-chunk.db\n"
		"  nettape import client.pcapng server.pcap -o captures.db && nettape report captures.db\n");
}

struct ui {
	int bar;
	struct timespec start;
};

static double elapsed(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void on_progress(void *ctx, uint64_t done, uint64_t total, uint64_t events)
{
	struct ui *u = ctx;
	int width = 30, fill = total ? (int)((double)done / (double)total * width) : width;
	double s = elapsed(&u->start);

	if (!u->bar)
		return;
	if (fill > width)
		fill = width;
	fprintf(stderr, "\rimport [%.*s%*s] %3.0f%%  %llu events  %.0f events/s ", fill,
		"##############################", width - fill, "", total ? 100.0 * (double)done / (double)total : 100.0,
		(unsigned long long)events, s > 0 ? (double)events / s : 0.0);
	fflush(stderr);
}

static void on_warn(void *ctx, const char *line)
{
	struct ui *u = ctx;

	if (u->bar)
		fputc('\n', stderr);
	fprintf(stderr, "nettape import: warning: %s\n", line);
}

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "batch", required_argument, NULL, 'b' },
		{ "clock-offset", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *out = NULL;
	int quiet = 0, c, ret = 1;
	struct nt_import_opts io = { 0 };
	struct nt_import_stats st;
	struct nt_pcap_stats ps;
	const char **tapes = NULL, **caps = NULL;
	size_t ntapes = 0, ncaps = 0;
	struct ui u = { 0 };
	struct nt_clock_override ov[16];
	size_t nov = 0;
	char err[NT_ERRLEN];
	sqlite3 *db = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'q': quiet = 1; break;
		case 'b': {
			char *end;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (*end || !v) {
				fprintf(stderr, "nettape import: --batch '%s' is not a positive number\n", optarg);
				return 2;
			}
			io.batch_events = v;
			break;
		}
		case 'C':
			if (nov == sizeof(ov) / sizeof(ov[0]) || nt_clock_override_parse(optarg, &ov[nov])) {
				fprintf(stderr, "nettape import: --clock-offset '%s': %s\n", optarg,
					nov == sizeof(ov) / sizeof(ov[0]) ? "at most 16 hosts"
					: "want HOST=+-DUR (e.g. db1=-300ms, web1=+2.5s) or HOST=auto");
				return 2;
			}
			nov++;
			break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "nettape import: see 'nettape import --help'\n");
			return 2;
		}
	}
	if (!out || optind >= argc) {
		fprintf(stderr, "nettape import: %s; usage: nettape import TAPE... -o DB\n",
			!out ? "missing -o DB (the database to write)" : "missing TAPE (a tape directory or chunk file)");
		return 2;
	}
	tapes = calloc((size_t)(argc - optind), sizeof(*tapes));
	caps = calloc((size_t)(argc - optind), sizeof(*caps));
	if (!tapes || !caps) {
		fprintf(stderr, "nettape import: out of memory\n");
		free(tapes);
		free(caps);
		return 1;
	}
	for (int i = optind; i < argc; i++) {
		if (nt_pcap_is_capture(argv[i]))
			caps[ncaps++] = argv[i];
		else
			tapes[ntapes++] = argv[i];
	}
	memset(&st, 0, sizeof(st));
	memset(&ps, 0, sizeof(ps));
	clock_gettime(CLOCK_MONOTONIC, &u.start);
	u.bar = !quiet && isatty(STDERR_FILENO);
	io.progress = on_progress;
	io.warn = on_warn;
	io.ctx = &u;
	if (nt_db_open(out, NT_DB_WRITE, &db, err)) {
		fprintf(stderr, "nettape import: %s\n", err);
		free(tapes);
		free(caps);
		return 1;
	}
	if (ntapes && nt_import(db, tapes, ntapes, &io, &st, err)) {
		if (u.bar)
			fputc('\n', stderr);
		fprintf(stderr, "nettape import: %s\n", err);
		goto out;
	}
	if (ncaps && nt_pcap_import(db, caps, ncaps, &io, &ps, err)) {
		if (u.bar)
			fputc('\n', stderr);
		fprintf(stderr, "nettape import: %s\n", err);
		goto out;
	}
	if (u.bar)
		fputc('\n', stderr);
	struct nt_clock_stats cs;
	if (nt_clock_align(nt_store_of_sqlite(db), ov, nov, &cs, err)) {
		fprintf(stderr, "nettape import: %s\n", err);
		goto out;
	}
	if (!quiet && cs.hosts > 1) {
		struct nt_host_clock hc[16];
		long nh = nt_host_clocks(nt_store_of_sqlite(db), hc, sizeof(hc) / sizeof(hc[0]));
		char line[400];
		fprintf(stderr, "nettape import: %zu connection%s paired across hosts (%zu edges used), %zu candidate%s"
			" rejected; clocks:\n", cs.pairs, cs.pairs == 1 ? "" : "s", cs.edges, cs.rejected,
			cs.rejected == 1 ? "" : "s");
		for (long i = 0; i < nh && i < (long)(sizeof(hc) / sizeof(hc[0])); i++)
			fprintf(stderr, "  %s\n", nt_clock_line(&hc[i], line, sizeof(line)));
	}
	if (!quiet && ntapes) {
		double s = elapsed(&u.start);
		fprintf(stderr, "nettape import: %llu events from %llu chunk%s into %s in %.2f s (%.0f events/s)",
			(unsigned long long)st.events, (unsigned long long)st.chunks_imported,
			st.chunks_imported == 1 ? "" : "s", out, s, s > 0 ? (double)st.events / s : 0.0);
		if (st.chunks_skipped)
			fprintf(stderr, "; %llu chunk%s already imported", (unsigned long long)st.chunks_skipped,
				st.chunks_skipped == 1 ? "" : "s");
		fputc('\n', stderr);
	}
	if (!quiet && ncaps) {
		fprintf(stderr, "nettape import: %llu TCP segments of %llu packets, %llu connections, %llu derived events "
			"from %llu capture%s into %s",
			(unsigned long long)ps.tcp, (unsigned long long)ps.packets, (unsigned long long)ps.connections,
			(unsigned long long)ps.events, (unsigned long long)ps.imported, ps.imported == 1 ? "" : "s", out);
		if (ps.skipped)
			fprintf(stderr, "; %llu capture%s already imported", (unsigned long long)ps.skipped,
				ps.skipped == 1 ? "" : "s");
		fputc('\n', stderr);
	}
	ret = st.chunks_failed || ps.failed ? 1 : 0;
out:
	free(tapes);
	free(caps);
	if (sqlite3_close(db) != SQLITE_OK && !ret) {
		fprintf(stderr, "nettape import: closing %s: %s\n", out, sqlite3_errmsg(db));
		ret = 1;
	}
	return ret;
}
