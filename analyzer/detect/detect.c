/* detect.c: the detectors' common parts: options and their defaults, findings, the filter, the run order. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "detect/detect.h"

static const char *const fkind_names[NT_F__COUNT] = {
	[NT_F_ZERO_WINDOW] = "zero_window",
	[NT_F_NO_WSCALE] = "no_window_scaling",
	[NT_F_RWND_LIMITED] = "rwnd_limited",
	[NT_F_DROPS] = "drops",
	[NT_F_LISTEN_OVERFLOW] = "listen_overflow",
	[NT_F_SYN_RETRANS] = "syn_retransmits",
	[NT_F_RTO] = "rto",
	[NT_F_FAST_RETRANS] = "fast_retransmits",
	[NT_F_RTT_SPIKE] = "rtt_spike",
	[NT_F_READ_STALL] = "read_stall",
	[NT_F_SLOW_RESPONSE] = "slow_response",
	[NT_F_RESET] = "reset",
	[NT_F_RECORDER_LOSS] = "recorder_loss",
	[NT_F_SPURIOUS] = "spurious_retransmits",
};

const char *nt_fkind_name(enum nt_fkind k)
{
	return (unsigned)k < NT_F__COUNT ? fkind_names[k] : "unknown";
}

struct opt_def {
	const char *name;
	size_t off;
	double dflt;
	const char *help;
};

#define O(field) offsetof(struct nt_detect_opts, field)
static const struct opt_def opt_defs[] = {
	{ "zero_window.min_total_ms", O(zw_min_total_ms), 100, "report a connection side whose zero-window time adds up to this" },
	{ "zero_window.min_episodes", O(zw_min_episodes), 3, "... or that has at least this many episodes" },
	{ "zero_window.min_longest_ms", O(zw_min_longest_ms), 100, "... and one episode at least this long (shorter ones are flow control, not a stall)" },
	{ "window_scaling.report", O(wscale_report), 1, "report connections that did not negotiate window scaling (0 = off)" },
	{ "rwnd_limited.min_share", O(rwnd_min_share), 0.2, "share of a sender's sending time (the kernel's chrono accounting; tapes without it: of its periodic samples) limited by the peer's window" },
	{ "rwnd_limited.min_ms", O(rwnd_min_ms), 500, "... and at least this long in all (kernel accounting)" },
	{ "rwnd_limited.max_window", O(rwnd_max_window), 1048576, "... and, with window scaling negotiated, the peer's window never grew beyond this many bytes (a larger window that still limits is flow control toward a slower reader, not a buffer limit)" },
	{ "rwnd_limited.min_samples", O(rwnd_min_samples), 3, "... or, on tapes without the kernel accounting, at least this many limited samples" },
	{ "drops.min", O(drops_min), 1, "drops of one reason and location on one connection to report" },
	{ "listen.min_syn_retrans", O(listen_min_syn_retrans), 3, "client SYN retransmits to one service to report" },
	{ "rto.min_episodes", O(rto_min_episodes), 1, "retransmission-timeout episodes on a connection to report" },
	{ "fast.min_retrans", O(fast_min_retrans), 10, "fast retransmits on a connection to report" },
	{ "fast.min_episodes", O(fast_min_episodes), 3, "... or this many fast-recovery episodes" },
	{ "spurious.slack", O(spurious_slack), 0.1, "retransmitted segments beyond the D-SACKed ones, as a share of those, still read as spurious" },
	{ "spurious.undone_share", O(spurious_undone_share), 0.75, "... and all of them are spurious when the kernel undid this share of the recovery episodes (at least 3)" },
	{ "rtt.factor", O(rtt_factor), 3, "an RTT spike is srtt >= factor x the connection's median srtt" },
	{ "rtt.min_ms", O(rtt_min_ms), 20, "... and at least this many ms above it" },
	{ "rtt.merge_ms", O(rtt_merge_ms), 2000, "spike samples closer than this form one episode" },
	{ "rtt.min_samples", O(rtt_min_samples), 5, "samples a connection needs for a baseline" },
	{ "stall.read_ms", O(stall_read_ms), 200, "a read stall: data waited this long in the receive queue" },
	{ "stall.response_ms", O(stall_response_ms), 500, "a slow response: request to response took this long" },
	{ "reset.min", O(reset_min), 1, "resets on a connection to report" },
	{ "loss.min", O(loss_min), 1, "events lost by the recorder (per host) to report" },
	{ "incident.gap_s", O(incident_gap_s), 60, "findings of one process closer than this form one incident" },
	{ "incident.min_impact", O(incident_min_impact), 2, "incidents below this impact are listed as notes (shown with --all)" },
};
#undef O
#define NOPTS (sizeof(opt_defs) / sizeof(opt_defs[0]))

void nt_detect_opts_default(struct nt_detect_opts *o)
{
	for (size_t i = 0; i < NOPTS; i++)
		*(double *)((char *)o + opt_defs[i].off) = opt_defs[i].dflt;
}

int nt_detect_opts_set(struct nt_detect_opts *o, const char *kv, char *err)
{
	const char *eq = strchr(kv, '=');
	char *end;
	double v;

	if (!eq) {
		snprintf(err, NT_ERRLEN, "--set '%s': expected NAME=VALUE; 'nettape report --list-options' lists the names", kv);
		return -1;
	}
	for (size_t i = 0; i < NOPTS; i++) {
		if (strlen(opt_defs[i].name) != (size_t)(eq - kv) || strncmp(opt_defs[i].name, kv, (size_t)(eq - kv)))
			continue;
		errno = 0;
		v = strtod(eq + 1, &end);
		if (end == eq + 1 || *end || errno || v < 0) {
			snprintf(err, NT_ERRLEN, "--set %s: '%s' is not a non-negative number", opt_defs[i].name, eq + 1);
			return -1;
		}
		*(double *)((char *)o + opt_defs[i].off) = v;
		return 0;
	}
	snprintf(err, NT_ERRLEN, "--set: unknown detector option '%.*s'; 'nettape report --list-options' lists them",
		 (int)(eq - kv), kv);
	return -1;
}

void nt_detect_opts_print(FILE *f, const struct nt_detect_opts *o)
{
	for (size_t i = 0; i < NOPTS; i++)
		fprintf(f, "%-28s %-8.10g %s\n", opt_defs[i].name, *(const double *)((const char *)o + opt_defs[i].off),
			opt_defs[i].help);
}

void nt_findings_free(struct nt_findings *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}

struct nt_finding *nt_findings_add(struct nt_findings *f, enum nt_fkind k)
{
	if (f->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 32;
		struct nt_finding *v = realloc(f->v, ncap * sizeof(*v));
		if (!v)
			return NULL;
		f->v = v;
		f->cap = ncap;
	}
	struct nt_finding *x = &f->v[f->n++];
	memset(x, 0, sizeof(*x));
	x->kind = k;
	return x;
}

struct nt_stmt *nt_detect_prepare(struct nt_detect_ctx *c, const char *sql)
{
	struct nt_stmt *s = nt_store_prepare(c->st, sql, c->err);
	int i;

	if (!s)
		return NULL;
	if ((i = nt_stmt_param(s, ":from")) && c->filter->from)
		nt_stmt_bind_int(s, i, c->filter->from);
	if ((i = nt_stmt_param(s, ":to")) && c->filter->to)
		nt_stmt_bind_int(s, i, c->filter->to);
	if ((i = nt_stmt_param(s, ":conn")) && c->filter->conn_id)
		nt_stmt_bind_int(s, i, c->filter->conn_id);
	if ((i = nt_stmt_param(s, ":pid")) && c->filter->pid)
		nt_stmt_bind_int(s, i, c->filter->pid);
	return s;
}

int nt_detect_in_zero_window(const struct nt_detect_ctx *c, int64_t conn_id, int64_t ts, int64_t slack_ns)
{
	/* Binary search for the first interval of conn_id, then a short scan. */
	size_t lo = 0, hi = c->nzw;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->zw[mid].conn_id < conn_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < c->nzw && c->zw[i].conn_id == conn_id; i++)
		if (ts >= c->zw[i].start - slack_ns && ts <= c->zw[i].end + slack_ns)
			return 1;
	return 0;
}

int nt_detect_all(struct nt_store *st, const struct nt_filter *f, const struct nt_detect_opts *o,
		  struct nt_findings *out, char *err)
{
	struct nt_detect_ctx c = { .st = st, .filter = f, .opts = o, .out = out, .err = err };
	int (*const run[])(struct nt_detect_ctx *) = {
		nt_detect_zero_window, nt_detect_no_wscale, nt_detect_rwnd_limited, nt_detect_drops,
		nt_detect_listen, nt_detect_retrans, nt_detect_rtt, nt_detect_stalls, nt_detect_resets,
		nt_detect_losses,
	};
	int rc = 0;

	for (size_t i = 0; i < sizeof(run) / sizeof(run[0]) && !rc; i++)
		rc = run[i](&c);
	free(c.zw);
	return rc;
}
