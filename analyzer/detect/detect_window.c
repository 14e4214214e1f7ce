/* detect_window.c: window detectors: zero-window episodes, connections without window scaling, receive-window-limited senders. */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "detect/detect.h"
#include "util/timefmt.h"

struct zw_side {
	int64_t open_start;       /* 0 = closed */
	uint64_t episodes;
	int64_t total, longest, first, last;
	int open_at_end;
};

static int zw_interval(struct nt_detect_ctx *c, int64_t conn_id, int64_t start, int64_t end)
{
	if (c->nzw == c->capzw) {
		size_t ncap = c->capzw ? c->capzw * 2 : 64;
		struct nt_interval *v = realloc(c->zw, ncap * sizeof(*v));
		if (!v) {
			snprintf(c->err, NT_ERRLEN, "out of memory");
			return -1;
		}
		c->zw = v;
		c->capzw = ncap;
	}
	c->zw[c->nzw++] = (struct nt_interval){ conn_id, start, end };
	return 0;
}

static int zw_close(struct nt_detect_ctx *c, int64_t conn_id, struct zw_side *s, int64_t end, int open)
{
	int64_t d = end - s->open_start;

	if (d < 0)
		d = 0;
	s->episodes++;
	s->total += d;
	if (d > s->longest)
		s->longest = d;
	if (!s->first)
		s->first = s->open_start;
	if (end > s->last)
		s->last = end;
	s->open_at_end |= open;
	if (zw_interval(c, conn_id, s->open_start, end))
		return -1;
	s->open_start = 0;
	return 0;
}

static int zw_emit(struct nt_detect_ctx *c, int64_t conn_id, int64_t host_id, uint32_t pid,
		   struct zw_side *s, const char *side)
{
	const struct nt_detect_opts *o = c->opts;
	struct nt_finding *f;
	char tot[32], lon[32];

	if (!s->episodes)
		return 0;
	/* Many short episodes are flow control (a reader slower than its sender, still
	 * reading), not a stall: one episode must last zero_window.min_longest_ms. */
	if ((double)s->longest < o->zw_min_longest_ms * 1e6)
		return 0;
	if ((double)s->total < o->zw_min_total_ms * 1e6 && (double)s->episodes < o->zw_min_episodes)
		return 0;
	f = nt_findings_add(c->out, NT_F_ZERO_WINDOW);
	if (!f) {
		snprintf(c->err, NT_ERRLEN, "out of memory");
		return -1;
	}
	f->host_id = host_id;
	f->conn_id = conn_id;
	f->pid = pid;
	f->t_start = s->first;
	f->t_end = s->last;
	f->count = s->episodes;
	f->duration_ns = s->total;
	f->max_ns = s->longest;
	f->open_at_end = s->open_at_end;
	snprintf(f->side, sizeof(f->side), "%s", side);
	snprintf(f->what, sizeof(f->what), "%s",
		 !strcmp(side, "rcv") ? "this host advertised a zero receive window (its process did not read)"
				      : "the peer advertised a zero window (the peer did not read)");
	snprintf(f->summary, sizeof(f->summary), "%llu zero-window episode%s (%s side), %s in total, longest %s%s",
		 (unsigned long long)s->episodes, s->episodes == 1 ? "" : "s", side,
		 nt_dur_fmt(s->total, tot, sizeof(tot)), nt_dur_fmt(s->longest, lon, sizeof(lon)),
		 s->open_at_end ? "; still open when the data ended (end = last event)" : "");
	f->impact = 10.0 * (double)s->total / 1e9 + 0.1 * (double)s->episodes;
	return 0;
}

int nt_detect_zero_window(struct nt_detect_ctx *c)
{
	/* Edge samples only (kind <> 0 uses the partial index samples_edges). */
	struct nt_stmt *s = nt_detect_prepare(c,
		"SELECT s.conn_id, s.ts, s.kind, c.host_id, c.pid, c.last_ts FROM samples s"
		" JOIN connections c USING (conn_id)"
		" WHERE s.kind <> 0 AND s.kind BETWEEN 1 AND 4 AND" NT_FILTER_SQL("s", "c")
		" ORDER BY s.conn_id, s.ts");
	struct zw_side side[2];
	int64_t cur = -1, host = 0, last_ts = 0;
	uint32_t pid = 0;
	int rc, ret = -1;

	if (!s)
		return -1;
	memset(side, 0, sizeof(side));
	for (;;) {
		rc = nt_stmt_step(s);
		int64_t conn = rc == NT_STORE_ROW ? nt_col_int(s, 0) : -2;
		if (conn != cur && cur >= 0) {
			for (int i = 0; i < 2; i++)
				if (side[i].open_start && zw_close(c, cur, &side[i], last_ts, 1))
					goto out;
			if (zw_emit(c, cur, host, pid, &side[0], "rcv") || zw_emit(c, cur, host, pid, &side[1], "snd"))
				goto out;
			memset(side, 0, sizeof(side));
		}
		if (rc != NT_STORE_ROW)
			break;
		cur = conn;
		int64_t ts = nt_col_int(s, 1);
		int kind = (int)nt_col_int(s, 2);
		host = nt_col_int(s, 3);
		pid = (uint32_t)nt_col_int(s, 4);
		last_ts = nt_col_int(s, 5);
		struct zw_side *sd = &side[kind <= 2 ? 0 : 1];
		if (kind == 1 || kind == 3) {
			if (!sd->open_start)
				sd->open_start = ts;
		} else if (sd->open_start && zw_close(c, cur, sd, ts, 0)) {
			goto out;
		}
	}
	if (rc != NT_STORE_DONE) {
		snprintf(c->err, NT_ERRLEN, "zero-window detector: %s", nt_store_errmsg(c->st));
		goto out;
	}
	ret = 0;
out:
	nt_stmt_finalize(s);
	return ret;
}

/* A finding's connection, owner and time from the first five columns of a
 * connections row: conn_id, host_id, pid, first_ts, last_ts. */
static void conn_cols(struct nt_finding *f, struct nt_stmt *s)
{
	f->conn_id = nt_col_int(s, 0);
	f->host_id = nt_col_int(s, 1);
	f->pid = (uint32_t)nt_col_int(s, 2);
	f->t_start = nt_col_int(s, 3);
	f->t_end = nt_col_int(s, 4);
}

int nt_detect_no_wscale(struct nt_detect_ctx *c)
{
	struct nt_stmt *s;
	int rc;

	if (c->opts->wscale_report <= 0)
		return 0;
	s = nt_detect_prepare(c,
		"SELECT conn_id, host_id, pid, first_ts, last_ts, mss, rcvbuf FROM connections c"
		" WHERE wscale_ok = 0 AND listener = 0"
		" AND (:from IS NULL OR last_ts >= :from) AND (:to IS NULL OR first_ts <= :to)"
		" AND (:conn IS NULL OR conn_id = :conn) AND (:pid IS NULL OR pid = :pid) ORDER BY conn_id");
	if (!s)
		return -1;
	while ((rc = nt_stmt_step(s)) == NT_STORE_ROW) {
		struct nt_finding *f = nt_findings_add(c->out, NT_F_NO_WSCALE);
		if (!f)
			break;
		conn_cols(f, s);
		f->count = 1;
		f->value = 65535;
		snprintf(f->what, sizeof(f->what), "window scaling not negotiated");
		snprintf(f->summary, sizeof(f->summary),
			 "window scaling was not negotiated in the handshake: windows are capped at 64 KiB");
		f->impact = 0.5;
	}
	nt_stmt_finalize(s);
	if (rc != NT_STORE_DONE) {
		snprintf(c->err, NT_ERRLEN, "window-scaling detector: %s", nt_store_errmsg(c->st));
		return -1;
	}
	return 0;
}

int nt_detect_rwnd_limited(struct nt_detect_ctx *c)
{
	struct nt_stmt *s = nt_detect_prepare(c,
		"SELECT conn_id, host_id, pid, first_ts, last_ts, send_samples, rwnd_limited_samples, wscale_ok,"
		" busy_ms, rwnd_limited_ms FROM connections c"
		" WHERE ((busy_ms > 0 AND rwnd_limited_ms >= :minms AND rwnd_limited_ms >= :share * busy_ms)"
		"  OR (busy_ms = 0 AND send_samples > 0 AND rwnd_limited_samples >= :minn"
		"      AND rwnd_limited_samples >= :share * send_samples))"
		" AND (wscale_ok IS NOT 1 OR snd_wnd_max = 0 OR snd_wnd_max <= :maxwnd)"
		" AND (:from IS NULL OR last_ts >= :from) AND (:to IS NULL OR first_ts <= :to)"
		" AND (:conn IS NULL OR conn_id = :conn) AND (:pid IS NULL OR pid = :pid) ORDER BY conn_id");
	int rc;

	if (!s)
		return -1;
	nt_stmt_bind_double(s, nt_stmt_param(s, ":minn"), c->opts->rwnd_min_samples);
	nt_stmt_bind_double(s, nt_stmt_param(s, ":share"), c->opts->rwnd_min_share);
	nt_stmt_bind_double(s, nt_stmt_param(s, ":minms"), c->opts->rwnd_min_ms);
	nt_stmt_bind_double(s, nt_stmt_param(s, ":maxwnd"), c->opts->rwnd_max_window);
	while ((rc = nt_stmt_step(s)) == NT_STORE_ROW) {
		struct nt_finding *f = nt_findings_add(c->out, NT_F_RWND_LIMITED);
		double n, l;
		if (!f)
			break;
		conn_cols(f, s);
		snprintf(f->what, sizeof(f->what), "sender limited by the receiver's window");
		if (nt_col_int(s, 8) > 0) {
			/* The kernel's own accounting (ss -ti busy / rwnd_limited). */
			n = (double)nt_col_int(s, 8) / 1000.0;
			l = (double)nt_col_int(s, 9) / 1000.0;
			f->count = (uint64_t)nt_col_int(s, 9);
			f->count2 = (uint64_t)nt_col_int(s, 8);
			f->value = l / n;
			f->duration_ns = (int64_t)(l * 1e9);
			snprintf(f->side, sizeof(f->side), "time");
			snprintf(f->summary, sizeof(f->summary),
				 "the sender was limited by the peer's receive window for %.1f s, %.0f%% of its %.1f s of sending"
				 " (the kernel's rwnd_limited, as ss -ti shows it)", l, 100.0 * f->value, n);
		} else {
			n = (double)nt_col_int(s, 5);
			l = (double)nt_col_int(s, 6);
			f->count = (uint64_t)l;
			f->count2 = (uint64_t)n;
			f->value = l / n;
			f->duration_ns = (int64_t)(l * 1e9); /* periodic samples are 1 s apart */
			snprintf(f->summary, sizeof(f->summary),
				 "the sender had more data than the peer's window allowed in %.0f%% of its samples (%llu of %llu)",
				 100.0 * f->value, (unsigned long long)f->count, (unsigned long long)f->count2);
		}
		/* A throughput limit; when scaling was not negotiated the window is
		 * capped at 64 KiB whatever the RTT: seconds of latency, ranked 6x. */
		f->impact = 2.0 * f->value * (l < 60 ? l : 60) / 6.0 *
			    (nt_col_type(s, 7) != NT_COL_NULL && (int)nt_col_int(s, 7) == 0 ? 6.0 : 1.0);
	}
	nt_stmt_finalize(s);
	if (rc != NT_STORE_DONE) {
		snprintf(c->err, NT_ERRLEN, "rwnd-limited detector: %s", nt_store_errmsg(c->st));
		return -1;
	}
	return 0;
}
