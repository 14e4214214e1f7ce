/* cmd_bundle.c: 'nettape bundle' packs a time/connection slice of a tape (bundle_slice.c), its report and a README into one tar file. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bundle/anonymize.h"
#include "bundle/bundle_slice.h"
#include "cmd/commands.h"
#include "store/store.h"
#include "import/import.h"
#include "incident/incident.h"
#include "pcap/pcap_export.h"
#include "report/report.h"
#include "util/selection.h"
#include "tape.h"
#include "bundle/tar_writer.h"
#include "util/timefmt.h"

static void bundle_usage(FILE *f)
{
	fprintf(f,
		"Usage: nettape bundle TAPE --from T --to T [--conn C] [--anonymize] -o FILE\n"
		"\n"
		"Cut a time (and optionally connection) slice out of a tape and pack it, with its\n"
		"report and a README, into one tar file to attach to a bug. The slice is itself a\n"
		"valid tape carrying only the metadata its records refer to. Layout and the\n"
		"anonymization rules: docs/BUNDLE.md.\n"
		"\n"
		"Options:\n"
		"  -o, --output FILE    tar file to write (members under BASENAME/, see below)\n"
		NT_SELECT_HELP
		"      --anonymize      pseudonymise addresses, ports >= 1024, host name, boot id,\n"
		"                       process names and command lines, cgroups, containers,\n"
		"                       netns and interface names; zero packet payloads\n"
		"      --no-report      do not run 'nettape import' + 'report' on the slice\n"
		"  -h, --help           this help\n"
		"\n"
		"The archive holds BASENAME/README.txt, BASENAME/report.txt,\n"
		"BASENAME/packets.pcapng (when there are packet snippets) and\n"
		"BASENAME/tape/chunk-*.ntc, where BASENAME is FILE's name without .tar.\n"
		"\n"
		"Examples:\n"
		"  nettape bundle /var/lib/nettape --from 2026-11-22T02:03:00Z \\\n"
		"      --to 2026-11-22T02:08:00Z -o incident.tar\n"
		"  nettape bundle /var/lib/nettape --from 1763776980 --to 1763777280 \\\n"
		"      --conn 198.18.0.2:443 --anonymize -o stall-anon.tar\n"
		"  tar xf incident.tar && cat incident/report.txt\n"
		"  nettape import incident/tape -o incident.db && nettape report incident.db -f html \\\n"
		"      -o incident.html\n"
		"\n"
		"Exit status: 0 ok (also for an empty window: a warning), 1 the tape could not be\n"
		"read or the bundle not written, 2 usage error.\n");
}

/* ---- files ---- */

static void rm_tree(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char p[PATH_MAX];
			if (snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= (int)sizeof(p))
				continue;
			struct stat st;
			if (lstat(p, &st))
				continue;
			if (S_ISDIR(st.st_mode) && depth > 0)
				rm_tree(p, depth - 1);
			else
				unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

/* Writes tmp/packets.pcapng (pcap_export.c) when the slice has packets.
 * Returns 1 when the file was made. */
static int make_pcap(const char *tmp, const char *tape_dir, uint64_t npackets)
{
	char cap[PATH_MAX];
	const char *paths[1] = { tape_dir };

	if (!npackets)
		return 0;
	snprintf(cap, sizeof(cap), "%s/packets.pcapng", tmp);
	return nt_pcap_export_file(paths, 1, cap, NULL) == 0;
}

/* Imports the slice into tmp/slice.db and writes its text report (the
 * library functions behind 'nettape import' and 'nettape report').
 * 0, or -1 with a one-line message in err (NT_ERRLEN bytes). */
static int slice_report(const char *db_path, const char *tape_dir, const char *rep, char *err)
{
	const char *paths[1] = { tape_dir };
	struct nt_import_opts io = { 0 };
	struct nt_import_stats st;
	struct nt_filter flt = { 0 };
	struct nt_detect_opts dopts;
	struct nt_analysis an;
	struct nt_store *db = NULL;
	FILE *f = NULL;
	int rc = -1;

	memset(&st, 0, sizeof(st));
	if (nt_store_open(db_path, NT_STORE_WRITE, &db, err))
		goto cleanup;
	if (nt_import(db, paths, 1, &io, &st, err))
		goto cleanup;
	if (st.chunks_failed) {
		snprintf(err, NT_ERRLEN, "'nettape import' could not read %" PRIu64 " chunk(s) of the slice",
			 st.chunks_failed);
		goto cleanup;
	}
	nt_detect_opts_default(&dopts);
	if (nt_analyze(db, &flt, &dopts, &an, err))
		goto cleanup;
	f = fopen(rep, "w");
	if (!f) {
		snprintf(err, NT_ERRLEN, "cannot write %.300s: %s", rep, strerror(errno));
		nt_analysis_free(&an);
		goto cleanup;
	}
	rc = nt_report_text(f, &an, err) ? -1 : 0;
	nt_analysis_free(&an);
	if (fclose(f) && !rc) {
		snprintf(err, NT_ERRLEN, "writing %.300s: %s", rep, strerror(errno));
		rc = -1;
	}
cleanup:
	nt_store_close(db);
	return rc;
}

/* Produces tmp/report.txt: the report of the slice, or a note saying why not. */
static void make_report(const char *tmp, const char *tape_dir, int skip)
{
	char db[PATH_MAX], rep[PATH_MAX], note[NT_ERRLEN + 64] = "", err[NT_ERRLEN] = "";
	FILE *f;

	snprintf(db, sizeof(db), "%s/slice.db", tmp);
	snprintf(rep, sizeof(rep), "%s/report.txt", tmp);
	if (skip)
		snprintf(note, sizeof(note), "No report: the bundle was made with --no-report.\n");
	else if (!slice_report(db, tape_dir, rep, err))
		return;
	else
		snprintf(note, sizeof(note), "No report: making it from the slice failed: %s\n",
			 err[0] ? err : "(no message)");
	f = fopen(rep, "w");
	if (!f)
		return;
	fprintf(f, "%sMake it from the extracted bundle with:\n"
		   "  nettape import tape -o bundle.db && nettape report bundle.db\n", note);
	fclose(f);
}

static const char *base_name(const char *path, char *buf, size_t len)
{
	const char *s = strrchr(path, '/');
	s = s ? s + 1 : path;
	snprintf(buf, len, "%s", s);
	size_t n = strlen(buf);
	if (n > 4 && !strcmp(buf + n - 4, ".tar"))
		buf[n - 4] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == ' ' || *p == '\\' || (unsigned char)*p < 0x20)
			*p = '_';
	if (!buf[0] || !strcmp(buf, ".") || !strcmp(buf, ".."))
		snprintf(buf, len, "nettape-bundle");
	return buf;
}

static int write_readme(struct bundle *b, FILE *f, const struct tape_header *h,
			const char *tape_path, uint64_t from, uint64_t to, const char *top,
			const char *hostname)
{
	char t1[64], t2[64], now[64], filt[256];
	nt_time_iso_ns((int64_t)from, t1, sizeof(t1));
	nt_time_iso_ns((int64_t)to, t2, sizeof(t2));
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	nt_time_iso_ns((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, now, sizeof(now));
	conn_filter_format(&b->cf, b->anon ? anon_endpoint : NULL, b->anon, filt, sizeof(filt));
	fprintf(f, "nettape bundle\n==============\n\n");
	fprintf(f, "A slice of a nettape tape, made by 'nettape bundle' (nettape %s) at %s.\n\n",
		NETTAPE_VERSION, now);
	fprintf(f, "Window:      %s .. %s (UTC, inclusive)\n", t1, t2);
	fprintf(f, "Connection:  %s\n", filt);
	fprintf(f, "Host:        %s%s\n", hostname, b->anon ? " (pseudonym)" : "");
	fprintf(f, "Kernel:      %s\n", h->kernel[0] ? h->kernel : "?");
	fprintf(f, "Recorder:    %s\n", h->version[0] ? h->version : "?");
	if (!b->anon) {
		fprintf(f, "Source tape: %s, recording ", tape_path);
		for (int i = 0; i < 16; i++)
			fprintf(f, "%02x", h->recording_id[i]);
		fprintf(f, "\n");
	}
	fprintf(f, "Records:     %" PRIu64 " events, %" PRIu64 " packet snippets, %" PRIu64
		" loss records, %" PRIu64 " trigger pins\n",
		b->nevents, b->npackets, b->nloss, b->npins);
	fprintf(f, "Metadata:    %zu processes, %zu cgroups, %zu netns, %zu interfaces, %zu sockets, "
		"%zu symbols, %zu enum names\n",
		tape_meta__count(b->meta, NT_REC_PROCESS), tape_meta__count(b->meta, NT_REC_CGROUP),
		tape_meta__count(b->meta, NT_REC_NETNS), tape_meta__count(b->meta, NT_REC_IFACE),
		tape_meta__count(b->meta, NT_REC_SOCKET), tape_meta__count(b->meta, NT_REC_SYMBOL),
		tape_meta__count(b->meta, NT_REC_ENUM_NAME));
	if (b->anon)
		fprintf(f, "\nANONYMIZED. IP addresses, ports from 1024 up, MAC addresses, the host name,\n"
			   "boot id, recorder command line, process names and command lines, cgroup\n"
			   "paths, container ids, netns and interface names are replaced by consistent\n"
			   "pseudonyms (the same original -> the same pseudonym within this bundle; the\n"
			   "mapping is not stored anywhere). Ports below 1024 are kept. Packet snippets\n"
			   "keep only IP/TCP headers (payload zeroed). Kernel text addresses are moved\n"
			   "to a fake range (symbol names kept). Recorder settings are left out.\n");
	fprintf(f, "\nContents:\n"
		   "  %s/README.txt      this file\n"
		   "  %s/report.txt      'nettape report' of the slice (or why there is none)\n",
		top, top);
	if (b->have_pcap)
		fprintf(f, "  %s/packets.pcapng  the packet snippets, for Wireshark ('nettape pcap')\n",
			top);
	fprintf(f, "  %s/tape/           the slice: a nettape tape (chunk-*.ntc)\n", top);
	const char *file = strrchr(b->out, '/');
	file = file ? file + 1 : b->out;
	fprintf(f, "\nUse:\n"
		   "  tar xf %s && cd %s\n"
		   "  nettape info tape && nettape verify tape\n"
		   "  nettape import tape -o bundle.db && nettape report bundle.db\n"
		   "  nettape pcap tape -o bundle.pcapng     # packet snippets for Wireshark\n",
		file, top);
	return ferror(f) ? -EIO : 0;
}

/* Pass 0 (with --conn): learns the connection's cookies and tuple, so that
 * records stored before the first event that names them still match.
 * Returns 0 or a negative code. */

/* Writes the archive: BASENAME/README.txt, BASENAME/report.txt,
 * BASENAME/tape/chunk-*.ntc, as OUT.partial renamed to OUT.
 * Returns 0 or -1 (a one-line error printed; no partial file left). */
static int bundle_pack(struct bundle *b, const struct tape_header *h)
{
	char top[256], name[PATH_MAX], path[PATH_MAX], partial[PATH_MAX];
	char *readme = NULL, **chunks = NULL;
	size_t readme_len = 0;
	int nchunks = 0, err = 0, ret = -1;
	struct tar_writer *tw = NULL;
	FILE *rm = NULL;

	base_name(b->out, top, sizeof(top));
	snprintf(partial, sizeof(partial), "%s.partial", b->out);
	FILE *tf = fopen(partial, "wb");
	if (!tf) {
		fprintf(stderr, "nettape bundle: cannot create %s: %s; check the directory exists and "
			"is writable\n", partial, strerror(errno));
		return -1;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	tw = tar_writer__open(tf, (uint64_t)now.tv_sec);
	rm = open_memstream(&readme, &readme_len);
	if (!tw || !rm) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = write_readme(b, rm, h, b->tape_path, b->from_ns, b->to_ns, top, b->hostname);
	if (fclose(rm) && !err)
		err = -ENOMEM;
	rm = NULL;
	if (!err)
		err = tar_writer__add_dir(tw, top, 0755);
	snprintf(name, sizeof(name), "%s/README.txt", top);
	if (!err)
		err = tar_writer__add_mem(tw, name, readme, readme_len, 0644);
	snprintf(name, sizeof(name), "%s/report.txt", top);
	snprintf(path, sizeof(path), "%s/report.txt", b->tmp);
	if (!err)
		err = tar_writer__add_file(tw, name, path, 0644);
	snprintf(name, sizeof(name), "%s/packets.pcapng", top);
	snprintf(path, sizeof(path), "%s/packets.pcapng", b->tmp);
	if (!err && b->have_pcap)
		err = tar_writer__add_file(tw, name, path, 0644);
	snprintf(name, sizeof(name), "%s/tape", top);
	if (!err)
		err = tar_writer__add_dir(tw, name, 0755);
	if (!err && (nchunks = tape_list_chunks(b->tape_dir, &chunks)) < 0) {
		err = nchunks;
		nchunks = 0;
	}
	for (int i = 0; !err && i < nchunks; i++) {
		const char *cb = strrchr(chunks[i], '/');
		snprintf(name, sizeof(name), "%s/tape/%s", top, cb ? cb + 1 : chunks[i]);
		err = tar_writer__add_file(tw, name, chunks[i], 0644);
	}
	if (!err)
		err = tar_writer__finish(tw);
	if (!err) {
		FILE *f = tf;
		tf = NULL;
		if (fclose(f) != 0)
			err = -errno;
	}
	if (!err && rename(partial, b->out) != 0)
		err = -errno;
	if (!err)
		ret = 0;
cleanup:
	if (err)
		fprintf(stderr, "nettape bundle: writing %s failed: %s; check free space\n", b->out,
			tape_strerror(err));
	if (rm)
		fclose(rm);
	free(readme);
	tape_list_free(chunks, nchunks);
	tar_writer__free(tw);
	if (tf)
		fclose(tf);
	if (ret)
		unlink(partial);
	return ret;
}

int cmd_bundle(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output",    required_argument, NULL, 'o' },
		{ "conn",      required_argument, NULL, 'c' },
		{ "from",      required_argument, NULL, 'f' },
		{ "to",        required_argument, NULL, 't' },
		{ "anonymize", no_argument,       NULL, 'a' },
		{ "anonymise", no_argument,       NULL, 'a' },
		{ "no-report", no_argument,       NULL, 'R' },
		{ "help",      no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *from_arg = NULL, *to_arg = NULL;
	int64_t from_ns = 0, to_ns = 0;
	int anonymize = 0, no_report = 0, opt;
	struct conn_filter cf;
	char msg[NT_ERRLEN];

	memset(&cf, 0, sizeof(cf));

	optind = 1;
	opterr = 0; /* one error line, ours */
	while ((opt = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o': out = optarg; break;
		case 'c':
			if (conn_filter_add(&cf, optarg)) {
				fprintf(stderr, "nettape bundle: bad --conn '%s'; use a socket cookie (cookie:12345), "
					"a port, ADDR:PORT, ADDR, :PORT, [V6]:PORT or A-B (at most %d)\n", optarg,
					NT_CONN_MAX_ALT);
				return 2;
			}
			break;
		case 'f': from_arg = optarg; break;
		case 't': to_arg = optarg; break;
		case 'a': anonymize = 1; break;
		case 'R': no_report = 1; break;
		case 'h': bundle_usage(stdout); return 0;
		case ':':
			fprintf(stderr, "nettape bundle: option '%s' needs a value; run 'nettape bundle "
				"--help' for the options\n", argv[optind - 1]);
			return 2;
		default:
			if (optopt)
				fprintf(stderr, "nettape bundle: unknown option '-%c'; run 'nettape bundle "
					"--help' for the options\n", optopt);
			else
				fprintf(stderr, "nettape bundle: unknown option '%s'; run 'nettape bundle "
					"--help' for the options\n", argv[optind - 1]);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "nettape bundle: give exactly one tape; usage: nettape bundle TAPE "
			"--from T --to T -o FILE\n");
		return 2;
	}
	if (!from_arg || !to_arg) {
		fprintf(stderr, "nettape bundle: a bundle needs a window; add --from T and --to T\n");
		return 2;
	}
	{
		const char *tp[1] = { argv[optind] };
		int64_t first, last;

		nt_tape_span(tp, 1, &first, &last);
		if (nt_select_window(from_arg, to_arg, first, last, &from_ns, &to_ns, msg)) {
			fprintf(stderr, "nettape bundle: %s\n", msg);
			return 2;
		}
		if (from_ns < 0)
			from_ns = 0;
		if (to_ns <= 0)
			to_ns = 1; /* a window before the epoch: nothing (0 would be an open end) */
	}
	if (!out) {
		fprintf(stderr, "nettape bundle: no output file; add -o FILE (e.g. -o incident.tar)\n");
		return 2;
	}

	struct bundle b;
	memset(&b, 0, sizeof(b));
	b.tape_path = argv[optind];
	b.out = out;
	b.from_ns = (uint64_t)from_ns;
	b.to_ns = (uint64_t)to_ns;
	b.no_report = no_report;
	b.cf = cf;

	int ret = 1, err = 0;
	const char *const paths[1] = { b.tape_path };
	/* the reader may hand out records a little outside the window: each is checked again */
	struct tape_reader_opts ro = { .from_ns = b.from_ns, .to_ns = b.to_ns, .skip_meta = 0 };
	struct tape_reader *rd = NULL;

	b.meta = tape_meta__new();
	if (!b.meta || (anonymize && (!(b.anon = anon__new()) || !(b.ameta = tape_meta__new())))) {
		fprintf(stderr, "nettape bundle: out of memory\n");
		goto cleanup;
	}
	if (b.cf.active && (err = bundle_learn(&b, &ro)))
		goto read_failed;
	rd = tape_reader__open(paths, 1, &ro, &err);
	if (!rd) {
		err = err ? err : -errno;
		goto read_failed;
	}
	if (bundle_select(&b, rd)) {
		fprintf(stderr, "nettape bundle: %s\n", b.err);
		goto cleanup;
	}
	for (size_t i = 0; i < tape_reader__ndamage(rd); i++) {
		const struct tape_damage *d = tape_reader__damage(rd, i);
		fprintf(stderr, "nettape bundle: warning: %s at offset %" PRIu64 ": %s (%" PRIu64
			" bytes skipped)\n", d->path, d->offset, d->reason, d->lost_bytes);
	}
	if (!b.nevents && !b.npackets)
		fprintf(stderr, "nettape bundle: warning: no events or packets between --from and "
			"--to%s; the bundle holds an empty slice\n", b.cf.active ? " for --conn" : "");
	tape_reader__free(rd); /* its tables were copied where the slice refers to them */
	rd = NULL;
	if (bundle_write_slice(&b, &ro)) {
		fprintf(stderr, "nettape bundle: %s\n", b.err);
		goto cleanup;
	}
	make_report(b.tmp, b.tape_dir, b.no_report);
	b.have_pcap = make_pcap(b.tmp, b.tape_dir, b.npackets);
	if (bundle_pack(&b, &b.hdr))
		goto cleanup;
	struct stat st;
	if (!stat(out, &st))
		fprintf(stderr, "nettape bundle: wrote %s (%lld bytes): %" PRIu64 " events, %" PRIu64
			" packets%s\n", out, (long long)st.st_size, b.nevents, b.npackets,
			b.anon ? ", anonymized" : "");
	ret = 0;
	goto cleanup;

read_failed:
	fprintf(stderr, "nettape bundle: cannot read %s: %s; check that it is a tape directory or "
		"chunk file\n", b.tape_path, tape_strerror(err));
cleanup:
	if (b.tmp[0])
		rm_tree(b.tmp, 1);
	tape_reader__free(rd);
	conn_filter_free(&b.cf);
	anon__free(b.anon);
	tape_meta__free(b.ameta);
	tape_meta__free(b.meta);
	return ret;
}
