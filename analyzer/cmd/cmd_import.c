/* cmd_import.c: 'nettape import TAPE... -o DB': tapes of one or many hosts into one SQLite database. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "store/store.h"
#include "import/clock.h"
#include "import/import.h"
#include "import/import_ch.h"
#include "store/clickhouse.h"
#include "pcap/pcap_import.h"
#include "report/report.h"
#include "store/host_clock.h"
#include "util/timefmt.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nettape import TAPE|CAPTURE... -o DB [--clock-offset HOST=+-DUR]... [--quiet]\n"
		"       nettape import TAPE... --into clickhouse://HOST[:PORT][/DATABASE] [--gzip on|off|auto]\n"
		"       nettape import --follow DIR... --into clickhouse://... [--interval DURATION]\n\n"
		"Imports tapes (tape directories or single chunk files, of one or many hosts) into one\n"
		"SQLite database (docs/SCHEMA.md). Importing a chunk twice adds nothing; a chunk imported\n"
		"while it was being written continues where the last import stopped.\n"
		"Packet captures (pcap or pcapng, recognised by their magic number; Ethernet, Linux cooked\n"
		"or raw IP; TCP over IPv4/IPv6) go through the same detectors: connections, zero-window\n"
		"episodes, retransmissions, RTT and resets are derived from the packets alone\n"
		"(docs/DETECTORS.md, \"From packets\"). A capture imported twice adds nothing.\n\n"
		"Several hosts: the two ends of a connection recorded on two hosts are paired (mirrored\n"
		"4-tuple and the handshake's initial sequence numbers, crosswise; without them checked\n"
		"against the handshake, FIN/ACK, reset and drop/retransmit edges) and every host's clock is\n"
		"aligned to a reference host from them (a segment arrives after it was sent, data is\n"
		"received before it is acknowledged: each edge bounds the offset, many connections narrow\n"
		"it). Each host's offset, its error bound and the number of pairs are printed, stored\n"
		"(hosts.clock_*) and added to every time of that host; a host that shares no connection with\n"
		"the others stays \"unaligned\" (its own clock). The ClickHouse import does not align.\n\n"
		"With --into, the tapes go into a ClickHouse database over its HTTP interface instead\n"
		"(docs/CLICKHOUSE.md): the same tables, partitioned by day and sorted by host and time, for\n"
		"a fleet. The database must exist; nettape creates its tables. Idempotent per chunk too.\n\n"
		"Options:\n"
		"  -o, --output DB     database file to create or add to (required without --into)\n"
		"      --into URL      a ClickHouse database: clickhouse://[USER:PASSWORD@]HOST[:PORT][/DB]\n"
		"                      (port 8123, database nettape by default)\n"
		"      --gzip WHEN     compress request bodies: auto (default: unless the server is on\n"
		"                      loopback), on, off\n"
		"      --follow        with --into: keep importing each chunk as it closes, and the growing\n"
		"                      one every --interval, until SIGINT/SIGTERM (restart-safe)\n"
		"      --interval D    --follow's pause between rounds (default 5s; s, m, h)\n"
		"      --print-ddl     print the ClickHouse tables' DDL (for the shards of a cluster) and exit\n"
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
		"  nettape import client.pcapng server.pcap -o captures.db && nettape report captures.db\n"
		"  nettape import web1-tape/ db1-tape/ --into clickhouse://127.0.0.1:8123/nettape\n"
		"  nettape import --follow /var/lib/nettape --into clickhouse://ch1.example:8123/nettape\n");
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
		{ "into", required_argument, NULL, 'I' },
		{ "gzip", required_argument, NULL, 'G' },
		{ "follow", no_argument, NULL, 'W' },
		{ "interval", required_argument, NULL, 'N' },
		{ "print-ddl", no_argument, NULL, 'P' },
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
	struct nt_store *db = NULL;
	struct cmd_import_ch_opts cho = { .gzip = -1, .interval_ns = 5000000000LL };

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
		case 'I': cho.url = optarg; break;
		case 'G':
			if (!strcmp(optarg, "auto") || !strcmp(optarg, "on") || !strcmp(optarg, "off")) {
				cho.gzip = !strcmp(optarg, "auto") ? -1 : !strcmp(optarg, "on");
				break;
			}
			fprintf(stderr, "nettape import: --gzip '%s': use auto, on or off\n", optarg);
			return 2;
		case 'W': cho.follow = 1; break;
		case 'P': {
			/* The ClickHouse tables, for shards a cluster's Distributed tables point at. */
			struct nt_chbuf ddl = { 0 };
			if (nt_ch_schema_ddl(&ddl, err)) {
				fprintf(stderr, "nettape import: %s\n", err);
				return 1;
			}
			fwrite(ddl.p, 1, ddl.n, stdout);
			nt_chbuf_free(&ddl);
			return 0;
		}
		case 'N':
			if (nt_dur_parse(optarg, &cho.interval_ns) || cho.interval_ns <= 0) {
				fprintf(stderr, "nettape import: --interval '%s' is not a duration (e.g. 5s, 1m)\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "nettape import: see 'nettape import --help'\n");
			return 2;
		}
	}
	if (cho.url || cho.follow) {
		if (!cho.url || out || optind >= argc) {
			fprintf(stderr, "nettape import: %s; usage: nettape import [--follow] TAPE... --into clickhouse://HOST:PORT/DB\n",
				!cho.url ? "--follow needs --into URL (a ClickHouse database)"
				: out ? "give either -o DB or --into URL, not both" : "missing TAPE (a tape directory or chunk file)");
			return 2;
		}
		if (nov) {
			fprintf(stderr, "nettape import: --clock-offset applies to an SQLite database (-o DB); the ClickHouse "
				"import does not pair hosts or align clocks yet\n");
			return 2;
		}
		if (!nt_ch_is_url(cho.url)) {
			fprintf(stderr, "nettape import: --into '%s' is not a clickhouse:// URL; write "
				"clickhouse://HOST[:PORT][/DATABASE] (an SQLite file goes after -o)\n", cho.url);
			return 2;
		}
		for (int i = optind; i < argc; i++)
			if (nt_pcap_is_capture(argv[i])) {
				fprintf(stderr, "nettape import: %s is a packet capture; captures go into SQLite only "
					"(-o DB), not --into ClickHouse\n", argv[i]);
				return 2;
			}
		cho.quiet = quiet;
		cho.batch = io.batch_events;
		return cmd_import_clickhouse((const char *const *)(argv + optind), (size_t)(argc - optind), &cho);
	}
	if (out && nt_ch_is_url(out)) {
		fprintf(stderr, "nettape import: -o takes a SQLite file; for ClickHouse write --into %s\n", out);
		return 2;
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
	if (nt_store_open(out, NT_STORE_WRITE, &db, err)) {
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
	if (nt_clock_align(db, ov, nov, &cs, err)) {
		fprintf(stderr, "nettape import: %s\n", err);
		goto out;
	}
	if (!quiet && cs.hosts > 1) {
		struct nt_host_clock hc[16];
		long nh = nt_host_clocks(db, hc, sizeof(hc) / sizeof(hc[0]));
		char line[400];
		fprintf(stderr, "nettape import: %zu connection%s paired across hosts (%zu by sequence numbers; %zu edges"
			" used, %zu from data), %zu candidate%s rejected, %zu tuple%s with other sequence numbers;"
			" clocks:\n", cs.pairs, cs.pairs == 1 ? "" : "s", cs.isn_pairs, cs.edges, cs.data_edges,
			cs.rejected, cs.rejected == 1 ? "" : "s", cs.isn_rejected, cs.isn_rejected == 1 ? "" : "s");
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
	if (nt_store_close(db) != 0 && !ret) {
		fprintf(stderr, "nettape import: closing %s: %s\n", out, nt_store_errmsg(db));
		ret = 1;
	}
	return ret;
}
