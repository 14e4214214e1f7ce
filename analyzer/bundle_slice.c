/* cmd_bundle.c: 'nettape bundle' packs a time/connection slice of a tape, its report and a README into one tar file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "anonymize.h"
#include "commands.h"
#include "db.h"
#include "selection.h"
#include "tape.h"
#include "tar_writer.h"
#include "timefmt.h"

extern char **environ;

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

/* The slice is made in passes over the window of the tape (the records are
 * never held in memory, only the metadata they refer to): learn (with --conn),
 * select (counts, references, first clock pair), write (the same selection,
 * anonymized, into a temporary tape), pack. */
struct bundle {
	struct tape_meta *meta;       /* original metadata the slice refers to */
	struct tape_meta *ameta;      /* its anonymized copy (with --anonymize) */
	struct anon *anon;
	struct conn_filter cf;
	uint64_t cur_boot, cur_real;  /* clock pair handed to the writer */
	uint64_t nevents, npackets, nloss, npins, nclocks;
	int counting;                 /* bundle_keep() counts (the select pass only) */
	int have_first;
	uint64_t first_boot, first_real; /* the first selected record's clock pair */
	struct tape_header hdr;       /* the source's first chunk header */
	/* settings */
	const char *tape_path, *out;
	uint64_t from_ns, to_ns;
	int no_report;
	/* the slice's header fields (pseudonyms with --anonymize) */
	char hostname[256];
	const char *boot_id, *cmdline;
	char tmp[1024];               /* temporary directory, "" when none (short: paths are made from it) */
	int have_pcap;                /* tmp/packets.pcapng was made */
	char tape_dir[PATH_MAX];
};

/* ---- metadata the slice refers to, copied from the source's tables ---- */

static int add_meta(struct bundle *b, uint16_t type, const void *hdr, size_t hlen,
		    const char *s1, size_t l1, const char *s2, size_t l2)
{
	size_t len = hlen + l1 + l2;
	if (len > 65000)
		return -E2BIG;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, hdr, hlen);
	if (l1)
		memcpy(buf + hlen, s1, l1);
	if (l2)
		memcpy(buf + hlen + l1, s2, l2);
	int err = tape_meta__add(b->meta, type, buf, (uint32_t)len);
	free(buf);
	return err;
}

static int ref_cgroup(struct bundle *b, const struct tape_meta *m, uint64_t id)
{
	if (!id || tape_meta__cgroup_path(b->meta, id) || tape_meta__container(b->meta, id))
		return 0;
	const char *path = tape_meta__cgroup_path(m, id), *ctr = tape_meta__container(m, id);
	if (!path && !ctr)
		return 0;
	size_t pl = path ? strlen(path) : 0, cl = ctr ? strlen(ctr) : 0;
	if (pl > 0xffff || cl > 0xffff)
		return 0;
	struct nt_rec_cgroup cg = { .id = id, .path_len = (uint16_t)pl, .container_len = (uint16_t)cl };
	return add_meta(b, NT_REC_CGROUP, &cg, sizeof(cg), path, pl, ctr, cl);
}

static int ref_process(struct bundle *b, const struct tape_meta *m, uint32_t pid)
{
	if (!pid || tape_meta__process(b->meta, pid, NULL))
		return 0;
	const char *cmd = NULL;
	const struct nt_rec_process *p = tape_meta__process(m, pid, &cmd);
	if (!p)
		return 0;
	struct nt_rec_process pr = *p;
	int err = add_meta(b, NT_REC_PROCESS, &pr, sizeof(pr), cmd, cmd ? strlen(cmd) : 0, NULL, 0);
	if (!err)
		err = ref_cgroup(b, m, pr.cgroup);
	return err;
}

static int ref_netns(struct bundle *b, const struct tape_meta *m, uint32_t inode)
{
	if (!inode || tape_meta__netns_name(b->meta, inode))
		return 0;
	const char *name = tape_meta__netns_name(m, inode);
	if (!name)
		return 0;
	struct nt_rec_netns ns = { .inode = inode };
	return add_meta(b, NT_REC_NETNS, &ns, sizeof(ns), name, strlen(name), NULL, 0);
}

static int ref_iface(struct bundle *b, const struct tape_meta *m, uint32_t netns, uint32_t ifindex)
{
	int err = ref_netns(b, m, netns);
	if (err || !ifindex || tape_meta__iface_name(b->meta, netns, ifindex))
		return err;
	const char *name = tape_meta__iface_name(m, netns, ifindex);
	if (!name)
		return 0;
	struct nt_rec_iface fi = { .netns = netns, .ifindex = ifindex };
	return add_meta(b, NT_REC_IFACE, &fi, sizeof(fi), name, strlen(name), NULL, 0);
}

static int ref_conn(struct bundle *b, const struct tape_meta *m, const struct nt_conn *c);

static int ref_socket(struct bundle *b, const struct tape_meta *m, uint64_t cookie)
{
	if (!cookie || tape_meta__socket(b->meta, cookie))
		return 0;
	const struct nt_ev_state *so = tape_meta__socket(m, cookie);
	if (!so)
		return 0;
	struct nt_ev_state st = *so;
	int err = tape_meta__add(b->meta, NT_REC_SOCKET, &st, sizeof(st));
	if (!err)
		err = ref_conn(b, m, &st.c);
	return err;
}

static int ref_conn(struct bundle *b, const struct tape_meta *m, const struct nt_conn *c)
{
	int err = ref_process(b, m, c->pid);
	if (!err)
		err = ref_cgroup(b, m, c->cgroup);
	if (!err)
		err = ref_netns(b, m, c->netns);
	if (!err)
		err = ref_socket(b, m, c->cookie);
	return err;
}

static int ref_symbol(struct bundle *b, const struct tape_meta *m, uint64_t addr)
{
	uint64_t off = 0;
	const char *name = tape_meta__symbol(m, addr, &off);
	if (!name)
		return 0;
	uint64_t base = addr - off, boff;
	const char *have = tape_meta__symbol(b->meta, base, &boff);
	if (have && boff == 0)
		return 0;
	struct nt_rec_symbol sy = { .addr = base };
	return add_meta(b, NT_REC_SYMBOL, &sy, sizeof(sy), name, strlen(name), NULL, 0);
}

static int ref_record(struct bundle *b, const struct tape_record *rec)
{
	const struct tape_meta *m = rec->src ? rec->src->meta : NULL;
	if (!m)
		return 0;
	if (rec->type == NT_REC_PACKET) {
		struct nt_rec_packet pk;
		memcpy(&pk, rec->data, sizeof(pk));
		int err = ref_iface(b, m, pk.netns, pk.ifindex);
		if (!err)
			err = ref_socket(b, m, pk.cookie);
		return err;
	}
	struct nt_conn c;
	memcpy(&c, rec->data, sizeof(c));
	int err = ref_conn(b, m, &c);
	if (!err && rec->type == NT_REC_DROP) {
		struct nt_ev_drop d;
		memcpy(&d, rec->data, sizeof(d));
		err = ref_symbol(b, m, d.location);
		if (!err)
			err = ref_iface(b, m, c.netns, d.ifindex);
	}
	return err;
}

static int copy_enum_cb(void *ctx, uint16_t type, const void *data, uint32_t len)
{
	struct bundle *b = ctx;
	if (type == NT_REC_ENUM_NAME || (type == NT_REC_CONFIG && !b->anon))
		return tape_meta__add(b->meta, type, data, len);
	return 0;
}

static int anon_lookup(void *ctx, uint64_t addr, uint64_t *sym)
{
	const struct tape_meta *m = ctx;
	uint64_t off;
	if (!tape_meta__symbol(m, addr, &off))
		return -ENOENT;
	*sym = addr - off;
	return 0;
}

static int anon_meta_cb(void *ctx, uint16_t type, const void *data, uint32_t len)
{
	struct bundle *b = ctx;
	const void *out;
	uint32_t olen;
	int r = anon_record(b->anon, type, data, len, anon_lookup, b->meta, &out, &olen);
	if (r <= 0)
		return r;
	return tape_meta__add(b->ameta, type, out, olen);
}

/* ---- writer clock: the original (boottime, realtime) of the record being written ---- */

static uint64_t bundle_now(void *ctx)
{
	return ((struct bundle *)ctx)->cur_boot;
}

static uint64_t bundle_real(void *ctx)
{
	return ((struct bundle *)ctx)->cur_real;
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

static char *read_small_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(max + 1);
	size_t n = buf ? fread(buf, 1, max, f) : 0;
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

/* Runs this program with args, stdout to out_path and stderr to err_path.
 * Returns the exit status, or -1 when it could not run. */
static int run_self(char *const args[], const char *out_path, const char *err_path)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	posix_spawn_file_actions_t fa;
	if (posix_spawn_file_actions_init(&fa))
		return -1;
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	char *argv[16];
	int i = 0;
	argv[i++] = exe;
	for (int j = 0; args[j] && i < 15; j++)
		argv[i++] = args[j];
	argv[i] = NULL;
	pid_t pid;
	int rc = posix_spawn(&pid, exe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return -1;
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* First line of a log, for the note in report.txt. */
static void first_line(const char *path, char *buf, size_t len)
{
	size_t n = 0;
	char *s = read_small_file(path, 4096, &n);
	buf[0] = '\0';
	if (!s)
		return;
	char *nl = strchr(s, '\n');
	if (nl)
		*nl = '\0';
	snprintf(buf, len, "%s", s);
	free(s);
}

/* Writes tmp/packets.pcapng with 'nettape pcap' when the slice has packets.
 * Returns 1 when the file was made. */
static int make_pcap(const char *tmp, const char *tape_dir, uint64_t npackets)
{
	char cap[PATH_MAX], log[PATH_MAX];
	if (!npackets)
		return 0;
	snprintf(cap, sizeof(cap), "%s/packets.pcapng", tmp);
	snprintf(log, sizeof(log), "%s/pcap.log", tmp);
	char *args[] = { "pcap", (char *)tape_dir, "-o", cap, NULL };
	return run_self(args, log, log) == 0;
}

/* Produces tmp/report.txt by running 'nettape import' and 'nettape report' on the slice. */
static void make_report(const char *tmp, const char *tape_dir, int skip)
{
	char db[PATH_MAX], rep[PATH_MAX], log[PATH_MAX], note[1024] = "";
	snprintf(db, sizeof(db), "%s/slice.db", tmp);
	snprintf(rep, sizeof(rep), "%s/report.txt", tmp);
	snprintf(log, sizeof(log), "%s/analyzer.log", tmp);
	if (skip) {
		snprintf(note, sizeof(note), "No report: the bundle was made with --no-report.\n");
	} else {
		char *imp[] = { "import", (char *)tape_dir, "-o", db, NULL };
		int rc = run_self(imp, log, log);
		if (rc != 0) {
			char l[512];
			first_line(log, l, sizeof(l));
			snprintf(note, sizeof(note),
				 "No report: 'nettape import' on the slice failed (exit %d): %s\n", rc,
				 l[0] ? l : "(no message)");
		} else {
			char *rp[] = { "report", db, NULL };
			rc = run_self(rp, rep, log);
			if (rc == 0)
				return;
			char l[512];
			first_line(log, l, sizeof(l));
			snprintf(note, sizeof(note),
				 "No report: 'nettape report' on the slice failed (exit %d): %s\n", rc,
				 l[0] ? l : "(no message)");
		}
	}
	FILE *f = fopen(rep, "w");
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
	conn_filter_format(&b->cf, b->anon, filt, sizeof(filt));
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
static int bundle_learn(struct bundle *b, const struct tape_reader_opts *ro)
{
	const char *const paths[1] = { b->tape_path };
	struct tape_record rec;
	int err = 0, r;
	struct tape_reader *rd = tape_reader__open(paths, 1, ro, &err);
	if (!rd)
		return err ? err : -errno;
	while ((r = tape_reader__next(rd, &rec)) > 0) {
		if (!(nt_rec_is_event(rec.type) || rec.type == NT_REC_SOCKET) ||
		    rec.len < sizeof(struct nt_conn))
			continue;
		struct nt_conn c;
		memcpy(&c, rec.data, sizeof(c));
		uint64_t t = tape_record_realtime(&rec);
		if (rec.type == NT_REC_SOCKET || (t >= b->from_ns && t <= b->to_ns))
			conn_filter_match_conn(&b->cf, &c);
	}
	tape_reader__free(rd);
	return r < 0 ? r : 0;
}

/* Whether a record belongs to the slice (and counts it). */
static int bundle_keep(struct bundle *b, const struct tape_record *rec)
{
	int keep = 0;
	if (nt_rec_is_meta(rec->type)) {
		/* tables are carried only where the slice refers to them (ref_record);
		 * the window's losses, pins and clock pairs go in as they are */
		if (rec->type == NT_REC_LOSS) {
			keep = 1;
			b->nloss += (uint64_t)b->counting;
		} else if (rec->type == NT_REC_PIN && rec->len >= sizeof(struct nt_rec_pin)) {
			struct nt_rec_pin pin;
			memcpy(&pin, rec->data, sizeof(pin));
			keep = !pin.cookie || conn_filter_has_cookie(&b->cf, pin.cookie);
			b->npins += (uint64_t)(keep && b->counting);
		} else if (rec->type == NT_REC_CLOCK) {
			keep = 1;
			b->nclocks += (uint64_t)b->counting;
		}
	} else if (nt_rec_is_event(rec->type) && nt_rec_min_size(rec->type) &&
		   rec->len >= sizeof(struct nt_conn)) {
		struct nt_conn c;
		memcpy(&c, rec->data, sizeof(c));
		keep = conn_filter_match_conn(&b->cf, &c);
		b->nevents += (uint64_t)(keep && b->counting);
	} else if (rec->type == NT_REC_PACKET && rec->len >= sizeof(struct nt_rec_packet)) {
		struct nt_rec_packet pk;
		struct nt_packet pi;
		uint32_t caplen = rec->len - (uint32_t)sizeof(pk);

		memcpy(&pk, rec->data, sizeof(pk));
		if (b->cf.active)
			(void)nt_packet_parse(pk.linktype, (const uint8_t *)rec->data + sizeof(pk), caplen, caplen, &pi);
		keep = !b->cf.active || conn_filter_match_packet(&b->cf, pk.cookie, &pi);
		b->npackets += (uint64_t)(keep && b->counting);
	}
	/* unknown record types are left out: the slice only carries what it can vouch for */
	return keep;
}

/* Whether a record read from the tape is in the slice; *real receives its wall-clock time. */
static int in_slice(struct bundle *b, const struct tape_record *rec, uint64_t *real)
{
	*real = tape_record_realtime(rec);
	if (*real < b->from_ns || *real > b->to_ns)
		return 0;
	if (rec->flags & TAPE_REC_F_SHORT)
		return 0; /* an older/shorter layout: the zero-filled copy is not the original */
	return bundle_keep(b, rec);
}

/* Pass 1: counts the records of the slice and collects the metadata they
 * refer to. Returns 0 or -1 (a one-line error printed). */
static int bundle_select(struct bundle *b, struct tape_reader *rd)
{
	struct tape_record rec;
	uint64_t t;
	int err, r;
	b->counting = 1;
	while ((r = tape_reader__next(rd, &rec)) > 0) {
		if (!in_slice(b, &rec, &t))
			continue;
		if (!b->have_first) {
			b->have_first = 1;
			b->first_boot = rec.ts;
			b->first_real = t;
		}
		if (!nt_rec_is_meta(rec.type) && (err = ref_record(b, &rec))) {
			fprintf(stderr, "nettape bundle: %s\n", tape_strerror(err));
			return -1;
		}
	}
	b->counting = 0;
	if (r < 0) {
		fprintf(stderr, "nettape bundle: reading %s failed: %s\n", b->tape_path,
			tape_strerror(r));
		return -1;
	}
	if (!tape_reader__nsources(rd)) {
		const struct tape_damage *d = tape_reader__damage(rd, 0);
		fprintf(stderr, "nettape bundle: cannot read %s: %s; check that it is a tape "
			"directory or chunk file\n", d ? d->path : b->tape_path,
			d ? d->reason : "no chunk found");
		return -1;
	}
	b->hdr = tape_reader__source(rd, 0)->hdr;
	for (size_t i = 0; i < tape_reader__nsources(rd); i++) {
		const struct tape_source *s = tape_reader__source(rd, i);
		if (s && (err = tape_meta__foreach(s->meta, copy_enum_cb, b))) {
			fprintf(stderr, "nettape bundle: %s\n", tape_strerror(err));
			return -1;
		}
	}
	for (size_t i = 0; i < tape_reader__ndamage(rd); i++) {
		const struct tape_damage *d = tape_reader__damage(rd, i);
		fprintf(stderr, "nettape bundle: warning: %s at offset %" PRIu64 ": %s (%" PRIu64
			" bytes skipped)\n", d->path, d->offset, d->reason, d->lost_bytes);
	}
	if (!b->nevents && !b->npackets)
		fprintf(stderr, "nettape bundle: warning: no events or packets between --from and "
			"--to%s; the bundle holds an empty slice\n", b->cf.active ? " for --conn" : "");
	return 0;
}

/* Appends one record of the slice to w, anonymized with --anonymize.
 * Returns 0 or -1 (a one-line error printed). */
static int write_record(struct bundle *b, struct tape_writer *w, const struct tape_record *rec,
			uint64_t real)
{
	const void *data = rec->data;
	uint32_t len = rec->len;
	int err;
	b->cur_boot = rec->ts;
	b->cur_real = real;
	if (b->anon) {
		int r = anon_record(b->anon, rec->type, data, len, anon_lookup,
				    rec->src ? rec->src->meta : NULL, &data, &len);
		if (r < 0) {
			fprintf(stderr, "nettape bundle: anonymizing a %s record failed: %s\n",
				nt_rec_type_name(rec->type), strerror(-r));
			return -1;
		}
		if (r == 0)
			return 0;
	}
	if (rec->type == NT_REC_LOSS) {
		struct nt_rec_loss l;
		memcpy(&l, data, sizeof(l));
		err = tape_writer__loss(w, l.rec_type, l.cpu, l.count, l.from_ns, l.to_ns);
	} else {
		err = tape_writer__append(w, rec->type, rec->ts, data, len);
	}
	if (err) {
		fprintf(stderr, "nettape bundle: writing the slice failed: %s; check free space in "
			"%s\n", tape_strerror(err), b->tmp);
		return -1;
	}
	return 0;
}

/* Pass 2: reads the window again and writes the same selection as a tape into
 * b->tape_dir (a new temporary directory). Returns 0 or -1 (a one-line error printed). */
static int bundle_write_slice(struct bundle *b, const struct tape_reader_opts *ro)
{
	const struct tape_header *h = &b->hdr;
	int err = 0;
	const char *tdir = getenv("TMPDIR");
	if (!tdir || !*tdir)
		tdir = "/tmp";
	int n = snprintf(b->tmp, sizeof(b->tmp), "%s/nettape-bundle-XXXXXX", tdir);
	int toolong = n < 0 || n >= (int)sizeof(b->tmp);
	if (toolong || !mkdtemp(b->tmp)) {
		fprintf(stderr, "nettape bundle: cannot create a temporary directory in %s: %s; set "
			"TMPDIR to a writable directory\n", tdir, strerror(toolong ? ENAMETOOLONG : errno));
		b->tmp[0] = '\0';
		return -1;
	}
	snprintf(b->tape_dir, sizeof(b->tape_dir), "%s/tape", b->tmp);

	snprintf(b->hostname, sizeof(b->hostname), "%s", h->hostname);
	b->boot_id = h->boot_id;
	b->cmdline = h->cmdline;
	if (b->anon) {
		const char *hn = anon_name(b->anon, ANON_HOST, h->hostname, strlen(h->hostname));
		b->boot_id = anon_name(b->anon, ANON_BOOT_ID, h->boot_id, strlen(h->boot_id));
		b->cmdline = "(removed by nettape bundle --anonymize)";
		if (!hn || !b->boot_id || (err = tape_meta__foreach(b->meta, anon_meta_cb, b))) {
			fprintf(stderr, "nettape bundle: anonymizing the metadata failed: %s\n",
				err ? tape_strerror(err) : strerror(errno));
			return -1;
		}
		snprintf(b->hostname, sizeof(b->hostname), "%s", hn);
	}
	b->cur_boot = b->have_first ? b->first_boot : h->created_boot_ns;
	b->cur_real = b->have_first ? b->first_real : h->created_real_ns;
	struct tape_writer_opts wo = {
		.dir = b->tape_dir,
		.chunk_size = 256ull << 20,
		.chunk_time_ns = 1000000000ull * 3600 * 24 * 365 * 10, /* never by time */
		/* zstd level: the writer's default 3. Measured on a 128 MB slice of events:
		 * level 12 compresses no better (x8.45 vs x8.62) at 1/100 of the speed. */
		.hostname = b->hostname,
		.boot_id = b->boot_id,
		.kernel = h->kernel,
		.version = h->version,
		.cmdline = b->cmdline,
		.snaplen = h->snaplen,
		.hdr_flags = h->flags | (b->anon ? TAPE_HDR_F_ANONYMIZED | TAPE_HDR_F_REDACT_PAYLOAD : 0),
		.meta = b->anon ? b->ameta : b->meta,
		.cb_ctx = b,
		.now_ns = bundle_now,
		.realtime_ns = bundle_real,
	};
	struct tape_writer *w = tape_writer__open(&wo);
	if (!w) {
		fprintf(stderr, "nettape bundle: cannot write the slice in %s: %s\n", b->tape_dir,
			strerror(errno));
		return -1;
	}
	const char *const paths[1] = { b->tape_path };
	struct tape_reader *rd = tape_reader__open(paths, 1, ro, &err);
	if (!rd) {
		fprintf(stderr, "nettape bundle: cannot read %s again: %s\n", b->tape_path,
			tape_strerror(err ? err : -errno));
		tape_writer__close(w);
		return -1;
	}
	struct tape_record rec;
	uint64_t t;
	int r, failed = 0;
	while (!failed && (r = tape_reader__next(rd, &rec)) > 0)
		if (in_slice(b, &rec, &t) && write_record(b, w, &rec, t))
			failed = 1;
	if (!failed && r < 0) {
		fprintf(stderr, "nettape bundle: reading %s failed: %s\n", b->tape_path,
			tape_strerror(r));
		failed = 1;
	}
	tape_reader__free(rd);
	if (failed) {
		tape_writer__close(w);
		return -1;
	}
	err = tape_writer__close(w);
	if (err) {
		fprintf(stderr, "nettape bundle: writing the slice failed: %s; check free space in %s\n",
			tape_strerror(err), b->tmp);
		return -1;
	}
	return 0;
}

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
	if (bundle_select(&b, rd))
		goto cleanup;
	tape_reader__free(rd); /* its tables were copied where the slice refers to them */
	rd = NULL;
	if (bundle_write_slice(&b, &ro))
		goto cleanup;
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
