/* cmd_replay.c: 'nettape replay': the recorded events in stored order, optionally paced and filtered, as text or JSON lines. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/commands.h"
#include "util/errlen.h"
#include "names.h"
#include "util/selection.h"
#include "tape.h"
#include "util/record_fmt.h"
#include "util/timefmt.h"

/*
 * Output (docs/REPLAY.md is the reference):
 * text:  one line per record, in the style of the BCC tools:
 *        TIME(UTC) TYPE PID/COMM LOCAL > REMOTE key=value...
 * --json: one JSON object per line: common keys (ts, time_ns, boot_ns, type,
 *        tape, host, pid, comm, cookie, netns, tuple) + keys per type.
 * Damage found while reading is reported on stderr, one line each, with
 * the chunk path and byte offset, where it happens in the stream.
 * Exit: 0 (also after Ctrl-C or a closed pipe, and with damage warnings),
 * 1 when no tape can be opened, nothing in it is readable, or reading
 * fails, 2 usage.
 */

#define REPLAY_MAX_PID 16

static volatile sig_atomic_t g_replay_stop;

static void replay_on_signal(int sig)
{
	(void)sig;
	g_replay_stop = 1;
}

struct replay_opts {
	int json;
	double speed;                /* 0 = as fast as possible */
	int64_t from_ns, to_ns;      /* realtime; 0 = unbounded */
	struct conn_filter conn;     /* selection.h */
	uint32_t pids[REPLAY_MAX_PID];
	int npid;
	int types_set;
	uint8_t type_on[0x300];      /* by record type (0x0000-0x02ff) */
};

static void replay_usage(FILE *f)
{
	fprintf(f,
		"Usage: nettape replay TAPE... [OPTIONS]\n\n"
		"Print the records of one or more tapes in recorded order, one line per event,\n"
		"like the live BCC tools (tcpdrop, tcpretrans, tcpstates, tcplife) would have.\n"
		"TAPE is a tape directory or a single chunk file. Several tapes are merged by time.\n\n"
		"Options:\n"
		"  --fast              as fast as possible (the default, like tcpdump -r)\n"
		"  --speed X           pace at X times the original speed (1 = real time)\n"
		NT_SELECT_HELP
		"  --pid P             owner pid (repeat for OR)\n"
		"  --type LIST         record types, comma separated: drop,retrans,cong,state,sample,\n"
		"                      reset,stall,buffer,listen,loss,pin,packet (default: all of\n"
		"                      these), metadata types (process,symbol,...) on request, 'all'\n"
		"  --json              JSON lines (shape in docs/REPLAY.md)\n"
		"  -h, --help          this help\n\n"
		"Examples:\n"
		"  nettape replay /var/lib/nettape\n"
		"  nettape replay tape/ --type drop,retrans --conn 198.18.0.1:443\n"
		"  nettape replay tape/ --speed 1 --from 02:03 --to 02:07\n"
		"  nettape replay tape/ --json | jq 'select(.type==\"drop\") | .reason'\n");
}

/* ------------------------------------------------------------------ */
/* Option parsing.                                                    */
/* ------------------------------------------------------------------ */

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int type_from_name(const char *name)
{
	for (int t = 0x0001; t < 0x0300; t++) {
		const char *n = nt_rec_type_name((uint16_t)t);

		if (strcmp(n, "unknown") && !strcmp(n, name))
			return t;
	}
	return -1;
}

static int parse_types(const char *list, struct replay_opts *o)
{
	char *copy = strdup(list), *save = NULL, *tok;
	int err = 0;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int t;

		if (!strcmp(tok, "all")) {
			memset(o->type_on, 1, sizeof(o->type_on));
			continue;
		}
		t = type_from_name(tok);
		if (t < 0) {
			fprintf(stderr, "nettape replay: unknown record type '%s' (see --help)\n", tok);
			err = -1;
			break;
		}
		o->type_on[t] = 1;
	}
	free(copy);
	o->types_set = 1;
	return err;
}

/* ------------------------------------------------------------------ */
/* Filters.                                                           */
/* ------------------------------------------------------------------ */

static int default_type(uint16_t t)
{
	return nt_rec_is_event(t) || t == NT_REC_LOSS || t == NT_REC_PIN || t == NT_REC_PACKET;
}

static int want_record(struct replay_opts *o, const struct tape_record *rec)
{
	const struct nt_conn *c;
	int i;

	if (o->types_set) {
		if (rec->type >= sizeof(o->type_on) || !o->type_on[rec->type])
			return 0;
	} else if (!default_type(rec->type)) {
		return 0;
	}
	if (o->conn.active) {
		uint64_t cookie = nt_record_cookie(rec);

		c = nt_record_conn(rec);
		if (c) {
			if (!conn_filter_match_conn(&o->conn, c))
				return 0;
		} else if (rec->type == NT_REC_PACKET && rec->len >= sizeof(struct nt_rec_packet)) {
			const struct nt_rec_packet *pk = rec->data;
			struct nt_packet p;
			size_t caplen = rec->len - sizeof(*pk);

			(void)nt_packet_parse(pk->linktype, (const uint8_t *)(pk + 1), caplen, caplen, &p);
			if (!conn_filter_match_packet(&o->conn, cookie, &p))
				return 0;
		} else if (!cookie || !conn_filter_has_cookie(&o->conn, cookie)) {
			return 0;
		}
	}
	if (o->npid) {
		c = nt_record_conn(rec);
		if (!c)
			return 0;
		for (i = 0; i < o->npid; i++)
			if (c->pid == o->pids[i])
				break;
		if (i == o->npid)
			return 0;
	}
	if (o->from_ns || o->to_ns) {
		int64_t rt = (int64_t)tape_record_realtime(rec);

		if (o->from_ns && rt < o->from_ns)
			return 0;
		if (o->to_ns && rt > o->to_ns)
			return 0;
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* Main loop.                                                         */
/* ------------------------------------------------------------------ */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Sleeps until mono time `until`, in short steps so Ctrl-C is prompt. */
static void pace_until(uint64_t until)
{
	for (;;) {
		uint64_t now = mono_ns();
		uint64_t step;
		struct timespec ts;

		if (g_replay_stop || now >= until)
			return;
		step = until - now;
		if (step > 100000000ull)
			step = 100000000ull;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)step;
		nanosleep(&ts, NULL);
	}
}

static void report_damage(const struct tape_reader *r, size_t *seen)
{
	size_t n = tape_reader__ndamage(r);

	for (; *seen < n; (*seen)++) {
		const struct tape_damage *d = tape_reader__damage(r, *seen);

		fprintf(stderr, "nettape replay: warning: %s: offset %" PRIu64 ": %s; %" PRIu64
			" bytes skipped\n", d->path, d->offset,
			d->reason[0] ? d->reason : tape_strerror(d->err), d->lost_bytes);
	}
}

int cmd_replay(int argc, char **argv)
{
	enum { O_FAST = 256, O_SPEED, O_FROM, O_TO, O_CONN, O_PID, O_TYPE, O_JSON };
	static const struct option lopts[] = {
		{ "fast", no_argument, NULL, O_FAST },
		{ "speed", required_argument, NULL, O_SPEED },
		{ "from", required_argument, NULL, O_FROM },
		{ "to", required_argument, NULL, O_TO },
		{ "conn", required_argument, NULL, O_CONN },
		{ "pid", required_argument, NULL, O_PID },
		{ "type", required_argument, NULL, O_TYPE },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct replay_opts *o = calloc(1, sizeof(*o));
	const char *from_s = NULL, *to_s = NULL;
	struct tape_reader_opts ropts = { .skip_meta = 0 };
	struct tape_reader *r = NULL;
	struct sigaction sa = { 0 }, old_int, old_term, old_pipe;
	struct nt_line *l = NULL;
	uint64_t first_rt = 0, start_mono = 0, shown = 0, nread = 0;
	size_t seen_damage = 0, ntapes;
	int c, err = 0, ret = 0;
	char *end;

	if (!o || !(l = malloc(sizeof(*l)))) {
		fprintf(stderr, "nettape replay: out of memory\n");
		free(o);
		return 1;
	}
	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case O_FAST:
			o->speed = 0;
			break;
		case O_SPEED:
			errno = 0;
			o->speed = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(o->speed > 0) || o->speed > 1e6) {
				fprintf(stderr, "nettape replay: --speed wants a number > 0, got '%s'\n", optarg);
				ret = 2;
				goto out;
			}
			break;
		case O_FROM:
			from_s = optarg;
			break;
		case O_TO:
			to_s = optarg;
			break;
		case O_CONN:
			if (conn_filter_add(&o->conn, optarg)) {
				fprintf(stderr, "nettape replay: bad --conn '%s'; use a socket cookie (cookie:12345), "
					"a port, ADDR:PORT, ADDR, :PORT, [V6]:PORT or A-B (at most %d)\n", optarg,
					NT_CONN_MAX_ALT);
				ret = 2;
				goto out;
			}
			break;
		case O_PID: {
			uint64_t v;

			if (o->npid == REPLAY_MAX_PID || parse_u64(optarg, &v) || v > 0xffffffffu) {
				fprintf(stderr, "nettape replay: bad --pid '%s'\n", optarg);
				ret = 2;
				goto out;
			}
			o->pids[o->npid++] = (uint32_t)v;
			break;
		}
		case O_TYPE:
			if (parse_types(optarg, o)) {
				ret = 2;
				goto out;
			}
			break;
		case O_JSON:
			o->json = 1;
			break;
		case 'h':
			replay_usage(stdout);
			goto out;
		default:
			fprintf(stderr, "Run 'nettape replay --help' for the options.\n");
			ret = 2;
			goto out;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "nettape replay: no tape given\n");
		replay_usage(stderr);
		ret = 2;
		goto out;
	}
	if (from_s || to_s) {
		int64_t first, last;
		char msg[NT_ERRLEN];

		nt_tape_span((const char *const *)(argv + optind), (size_t)(argc - optind), &first, &last);
		if (nt_select_window(from_s, to_s, first, last, &o->from_ns, &o->to_ns, msg)) {
			fprintf(stderr, "nettape replay: %s\n", msg);
			ret = 2;
			goto out;
		}
		ropts.from_ns = o->from_ns > 0 ? (uint64_t)o->from_ns : 0;
		ropts.to_ns = o->to_ns > 0 ? (uint64_t)o->to_ns : 0;
	}

	r = tape_reader__open((const char *const *)(argv + optind), (size_t)(argc - optind), &ropts, &err);
	if (!r) {
		fprintf(stderr, "nettape replay: %s: %s\n", argv[optind],
			tape_strerror(err ? err : -errno));
		ret = 1;
		goto out;
	}
	ntapes = (size_t)(argc - optind);

	sa.sa_handler = replay_on_signal;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old_pipe);
	g_replay_stop = 0;

	while (!g_replay_stop) {
		struct tape_record rec;
		int n = tape_reader__next(r, &rec);

		report_damage(r, &seen_damage);
		if (n == 0)
			break;
		if (n < 0) {
			fprintf(stderr, "nettape replay: reading failed: %s\n", tape_strerror(n));
			ret = 1;
			break;
		}
		nread++;
		if (rec.len < nt_rec_min_size(rec.type))
			continue; /* the reader zero-fills short known records; be safe anyway */
		if (!want_record(o, &rec))
			continue;
		if (o->speed > 0) {
			uint64_t rt = tape_record_realtime(&rec);

			if (!shown) {
				first_rt = rt;
				start_mono = mono_ns();
			} else if (rt > first_rt) {
				fflush(stdout);
				pace_until(start_mono + (uint64_t)((double)(rt - first_rt) / o->speed));
				if (g_replay_stop)
					break;
			}
		}
		nt_record_format(l, &rec, o->json, ntapes > 1);
		if (fwrite(l->buf, 1, l->n, stdout) != l->n)
			break; /* EPIPE: the reader of our output went away; not an error */
		shown++;
	}
	if (!nread && seen_damage && ret == 0) {
		/* Nothing readable at all: not a tape (the warnings said where). */
		fprintf(stderr, "nettape replay: no readable record in the given tape(s)\n");
		ret = 1;
	}
	if (fflush(stdout) == EOF && errno != EPIPE && ret == 0) {
		fprintf(stderr, "nettape replay: writing output: %s\n", strerror(errno));
		ret = 1;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
out:
	tape_reader__free(r);
	free(l);
	if (o)
		conn_filter_free(&o->conn);
	free(o);
	return ret;
}
