/* cmd_pcap.c: 'nettape pcap' writes a tape's packet snippets as pcapng (or classic pcap) for Wireshark. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bundle/anonymize.h"
#include "cmd/commands.h"
#include "store/store.h"
#include "incident/incident.h"
#include "pcap/pcap_db.h"
#include "pcap/pcap_export.h"
#include "pcap/pcapng_writer.h"
#include "util/selection.h"
#include "tape.h"

static void pcap_usage(FILE *f)
{
	fprintf(f,
		"Usage: nettape pcap TAPE...|DB -o FILE [--conn C] [--from T] [--to T] [-F pcapng|pcap]\n"
		"\n"
		"Write the packet snippets recorded in one or more tapes, or the packets table of one\n"
		"database made by 'nettape import' (from tapes or captures; recognised by its SQLite\n"
		"header), to a capture file that Wireshark and tshark open. Times are the recorded\n"
		"wall-clock times (ns); packets are written in time order.\n"
		"\n"
		"Options:\n"
		"  -o, --output FILE    capture file to write ('-' = standard output)\n"
		"  -F, --format FMT     pcapng (default; one interface per netns/ifindex/link type,\n"
		"                       with names and direction flags) or pcap (classic, ns\n"
		"                       timestamps; default when FILE ends in .pcap)\n"
		NT_SELECT_HELP
		"  -h, --help           this help\n"
		"\n"
		"Examples:\n"
		"  nettape pcap /var/lib/nettape -o all.pcapng\n"
		"  nettape pcap /var/lib/nettape --conn 198.18.0.2:443 \\\n"
		"      --from 2026-11-22T02:03:00Z --to 2026-11-22T02:08:00Z -o stall.pcapng\n"
		"  nettape pcap host-a/ host-b/ --conn 0x3039 -F pcap -o conn.pcap\n"
		"  nettape pcap incident.db --conn 198.18.0.2:443 -o conn.pcapng\n"
		"  nettape pcap /var/lib/nettape -o - | tshark -r - -Y tcp.analysis.zero_window\n"
		"\n"
		"Exit status: 0 ok (also when no packet matched: an empty capture and a warning),\n"
		"1 a tape or the database could not be read or the file not written, 2 usage error\n"
		"(also a database given together with tapes or another database).\n");
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

int cmd_pcap(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'F' },
		{ "conn",   required_argument, NULL, 'c' },
		{ "from",   required_argument, NULL, 'f' },
		{ "to",     required_argument, NULL, 't' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *fmt_arg = NULL, *from_arg = NULL, *to_arg = NULL;
	int64_t from_ns = 0, to_ns = 0;
	struct conn_filter cf;
	int opt;

	memset(&cf, 0, sizeof(cf));

	optind = 1;
	opterr = 0; /* one error line, ours */
	while ((opt = getopt_long(argc, argv, ":o:F:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o': out = optarg; break;
		case 'F': fmt_arg = optarg; break;
		case 'f': from_arg = optarg; break;
		case 't': to_arg = optarg; break;
		case 'c':
			if (conn_filter_add(&cf, optarg)) {
				fprintf(stderr, "nettape pcap: bad --conn '%s'; use a socket cookie (cookie:12345), "
					"a port, ADDR:PORT, ADDR, :PORT, [V6]:PORT or A-B (at most %d)\n", optarg,
					NT_CONN_MAX_ALT);
				conn_filter_free(&cf);
				return 2;
			}
			break;
		case 'h': pcap_usage(stdout); return 0;
		case ':':
			fprintf(stderr, "nettape pcap: option '%s' needs a value; run 'nettape pcap "
				"--help' for the options\n", argv[optind - 1]);
			return 2;
		default:
			if (optopt)
				fprintf(stderr, "nettape pcap: unknown option '-%c'; run 'nettape pcap "
					"--help' for the options\n", optopt);
			else
				fprintf(stderr, "nettape pcap: unknown option '%s'; run 'nettape pcap "
					"--help' for the options\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "nettape pcap: no tape or database given; usage: nettape pcap "
			"TAPE...|DB -o FILE\n");
		return 2;
	}
	if (!out) {
		fprintf(stderr, "nettape pcap: no output file; add -o FILE (or -o - for stdout)\n");
		return 2;
	}
	enum pcap_out_format fmt = ends_with(out, ".pcap") ? PCAP_OUT_PCAP : PCAP_OUT_PCAPNG;
	if (fmt_arg) {
		if (!strcmp(fmt_arg, "pcapng"))
			fmt = PCAP_OUT_PCAPNG;
		else if (!strcmp(fmt_arg, "pcap"))
			fmt = PCAP_OUT_PCAP;
		else {
			fprintf(stderr, "nettape pcap: unknown format '%s'; use -F pcapng or -F pcap\n",
				fmt_arg);
			return 2;
		}
	}
	/* One database, or tapes (directories and chunk files). */
	const char *const *paths = (const char *const *)(argv + optind);
	size_t npaths = (size_t)(argc - optind);
	const char *dbpath = NULL;
	for (size_t i = 0; i < npaths; i++) {
		int d = nt_store_detect(paths[i]);
		if (d < 0) {
			fprintf(stderr, "nettape pcap: cannot read %s: %s; check the file and its "
				"permissions\n", paths[i], strerror(-d));
			conn_filter_free(&cf);
			return 1;
		}
		if (d > 0 && npaths > 1) {
			fprintf(stderr, "nettape pcap: %s is a database: give one database or tapes, "
				"not both (run 'nettape pcap' once per database)\n", paths[i]);
			conn_filter_free(&cf);
			return 2;
		}
		if (d > 0)
			dbpath = paths[i];
	}

	int ret = 1, err = 0, r = 0;
	char *tmp = NULL, dberr[NT_ERRLEN];
	FILE *f = NULL;
	struct nt_pcap_export c;
	memset(&c, 0, sizeof(c));
	struct tape_reader_opts ro = { .skip_meta = 0 };
	struct tape_reader *rd = NULL;
	struct nt_store *db = NULL;
	struct nt_pcap_db_stats dbst;
	memset(&dbst, 0, sizeof(dbst));
	if (dbpath) {
		if (nt_store_open(dbpath, NT_STORE_READ, &db, dberr)) {
			fprintf(stderr, "nettape pcap: %s\n", dberr);
			goto cleanup;
		}
	}
	if (from_arg || to_arg) {
		int64_t first = 0, last = 0;

		if (db)
			nt_data_range(db, &first, &last);
		else
			nt_tape_span(paths, npaths, &first, &last);
		if (nt_select_window(from_arg, to_arg, first, last, &from_ns, &to_ns, dberr)) {
			fprintf(stderr, "nettape pcap: %s\n", dberr);
			ret = 2;
			goto cleanup;
		}
		/* 0 is an open end: a window before the epoch selects nothing */
		if (from_ns < 0)
			from_ns = 0;
		if (to_arg && to_ns <= 0)
			to_ns = 1;
		ro.from_ns = (uint64_t)from_ns;
		ro.to_ns = (uint64_t)to_ns;
	}
	if (!dbpath) {
		/* With --conn, a first pass learns the connection's cookies and tuple from
		 * its events, so that packets stored before those events match too. */
		if (cf.active)
			nt_pcap_learn_conn(paths, npaths, &ro, &cf);
		rd = tape_reader__open(paths, npaths, &ro, &err);
		if (!rd) {
			if (!err)
				err = -errno;
			fprintf(stderr, "nettape pcap: cannot read %s: %s; check that it is a tape "
				"directory, chunk file or database\n", npaths == 1 ? paths[0] : "the tapes",
				tape_strerror(err));
			goto cleanup;
		}
	}

	if (!strcmp(out, "-")) {
		f = stdout;
	} else {
		size_t n = strlen(out) + 16;
		tmp = malloc(n);
		if (!tmp) {
			fprintf(stderr, "nettape pcap: out of memory\n");
			goto cleanup;
		}
		snprintf(tmp, n, "%s.partial", out);
		f = fopen(tmp, "wb");
		if (!f) {
			fprintf(stderr, "nettape pcap: cannot create %s: %s; check the directory exists "
				"and is writable\n", tmp, strerror(errno));
			free(tmp);
			tmp = NULL;
			goto cleanup;
		}
	}
	struct utsname un;
	char os[200] = "";
	if (!uname(&un))
		snprintf(os, sizeof(os), "%s %s", un.sysname, un.release);
	/* snaplen 0 = the writer's 262144: the tapes' snaplens may differ from each
	 * other and from a snippet's length; caplen < orig_len marks the cut */
	c.w = pcapng_writer__open(f, fmt, 0, "nettape " NETTAPE_VERSION, os, NULL);
	if (!c.w) {
		fprintf(stderr, "nettape pcap: cannot write %s: %s\n", out, strerror(errno));
		goto cleanup;
	}

	if (db) {
		err = nt_pcap_db_write(db, c.w, &cf, (uint64_t)from_ns, (uint64_t)to_ns, &dbst, dberr);
		if (err && dberr[0]) {
			fprintf(stderr, "nettape pcap: %s: %s\n", dbpath, dberr);
			goto cleanup;
		}
		c.skipped_linktype = dbst.skipped_linktype;
		c.short_records = dbst.malformed;
	} else {
		r = nt_pcap_export_tape(&c, rd, &cf, (uint64_t)from_ns, (uint64_t)to_ns, &err);
		if (r < 0) {
			fprintf(stderr, "nettape pcap: reading the tape failed: %s\n", tape_strerror(r));
			goto cleanup;
		}
		if (!tape_reader__nsources(rd)) {
			const struct tape_damage *d = tape_reader__damage(rd, 0);
			fprintf(stderr, "nettape pcap: cannot read %s: %s; check that it is a tape "
				"directory, chunk file or database\n", d ? d->path : paths[0],
				d ? d->reason : "no chunk found");
			goto cleanup;
		}
	}
	if (!err)
		err = pcapng_writer__finish(c.w);
	if (err) {
		fprintf(stderr, "nettape pcap: writing %s failed: %s; check free space\n", out,
			strerror(-err));
		goto cleanup;
	}
	if (f != stdout) {
		FILE *ff = f;
		f = NULL;
		if (fclose(ff) != 0) {
			fprintf(stderr, "nettape pcap: writing %s failed: %s\n", out, strerror(errno));
			goto cleanup;
		}
		if (rename(tmp, out) != 0) {
			fprintf(stderr, "nettape pcap: cannot rename %s to %s: %s\n", tmp, out,
				strerror(errno));
			goto cleanup;
		}
		free(tmp);
		tmp = NULL;
	}

	for (size_t i = 0; rd && i < tape_reader__ndamage(rd); i++) {
		const struct tape_damage *d = tape_reader__damage(rd, i);
		fprintf(stderr, "nettape pcap: warning: %s at offset %" PRIu64 ": %s (%" PRIu64
			" bytes skipped)\n", d->path, d->offset, d->reason, d->lost_bytes);
	}
	if (c.skipped_linktype)
		fprintf(stderr, "nettape pcap: warning: %" PRIu64 " packets of another link type "
			"left out (classic pcap holds one link type); use -F pcapng to keep them\n",
			c.skipped_linktype);
	if (c.short_records)
		fprintf(stderr, "nettape pcap: warning: %" PRIu64 " malformed packet %s skipped\n",
			c.short_records, db ? "rows" : "records");
	uint64_t n = pcapng_writer__npackets(c.w);
	if (!n && db && !dbst.rows)
		fprintf(stderr, "nettape pcap: warning: %s holds no packets (the recorder keeps "
			"snippets only around triggers); wrote an empty capture\n", dbpath);
	else if (!n)
		fprintf(stderr, "nettape pcap: warning: no packet snippets matched%s; wrote an empty "
			"capture (the recorder keeps snippets only around triggers: check "
			"--from/--to/--conn)\n", (from_ns || to_ns || cf.active) ? " the selection" : "");
	ret = 0;
cleanup:
	if (f && f != stdout)
		fclose(f);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	pcapng_writer__free(c.w);
	nt_pcap_export__release(&c);
	tape_reader__free(rd);
	nt_store_close(db);
	conn_filter_free(&cf);
	return ret;
}
