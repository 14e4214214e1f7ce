/* detect_rtt.c: RTT-spike detector: smoothed RTT far above the connection's own median, merged into episodes. */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "detect/detect.h"
#include "util/timefmt.h"

struct pt {
	int64_t ts, srtt;
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int emit(struct nt_detect_ctx *c, int64_t conn, int64_t host, uint32_t pid, struct pt *p, size_t n)
{
	const struct nt_detect_opts *o = c->opts;
	int64_t *tmp, median, thr, peak = 0, total = 0, longest = 0, first = 0, last = 0;
	int64_t ep_start = 0;
	uint64_t eps = 0, above = 0;
	int in = 0;

	if ((double)n < o->rtt_min_samples)
		return 0;
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp) {
		snprintf(c->err, NT_ERRLEN, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		tmp[i] = p[i].srtt;
	qsort(tmp, n, sizeof(*tmp), cmp_i64);
	/* The baseline is the lower quartile, not the median: a spike that lasts
	 * a third of the connection's life must not raise its own baseline. */
	median = tmp[n / 4];
	free(tmp);
	thr = (int64_t)((double)median * o->rtt_factor);
	if (thr < median + (int64_t)(o->rtt_min_ms * 1000))
		thr = median + (int64_t)(o->rtt_min_ms * 1000);
	int64_t prev_end = 0, prev_d = 0;
	for (size_t i = 0; i <= n; i++) {
		int end_of_data = i == n;
		int hi = !end_of_data && p[i].srtt >= thr;
		int64_t ts = end_of_data ? p[n - 1].ts : p[i].ts;
		if (hi) {
			above++;
			if (p[i].srtt > peak)
				peak = p[i].srtt;
			if (!in) {
				if (eps && ts - prev_end <= (int64_t)(o->rtt_merge_ms * 1e6)) {
					total -= prev_d; /* merge into the previous episode */
				} else {
					ep_start = ts;
					eps++;
					if (!first)
						first = ts;
				}
				in = 1;
			}
		} else if (in) {
			int64_t d = ts - ep_start;
			total += d;
			prev_d = d;
			if (d > longest)
				longest = d;
			last = prev_end = ts;
			in = 0;
		}
	}
	if (!eps)
		return 0;
	struct nt_finding *f = nt_findings_add(c->out, NT_F_RTT_SPIKE);
	char d1[32], d2[32];
	if (!f) {
		snprintf(c->err, NT_ERRLEN, "out of memory");
		return -1;
	}
	f->conn_id = conn;
	f->host_id = host;
	f->pid = pid;
	f->t_start = first;
	f->t_end = last > first ? last : first;
	f->count = eps;
	f->count2 = above;
	f->duration_ns = total;
	f->max_ns = longest;
	f->value = (double)peak / 1000.0;
	f->baseline = (double)median / 1000.0;
	snprintf(f->what, sizeof(f->what), "RTT spike");
	snprintf(f->summary, sizeof(f->summary),
		 "smoothed RTT rose to %.1f ms against this connection's baseline of %.1f ms (%.0fx) in %llu episode%s, "
		 "%s in total, longest %s", f->value, f->baseline, f->baseline > 0 ? f->value / f->baseline : 0.0,
		 (unsigned long long)eps, eps == 1 ? "" : "s", nt_dur_fmt(total, d1, sizeof(d1)),
		 nt_dur_fmt(longest, d2, sizeof(d2)));
	/* Added delay x time (per 10 ms): a ratio against a sub-millisecond baseline
	 * (an idle client's RTT) would rank a small delay above a large one. */
	f->impact = (double)total / 1e9 * (f->value - f->baseline) / 10.0 + (double)eps;
	return 0;
}

int nt_detect_rtt(struct nt_detect_ctx *c)
{
	const struct nt_detect_opts *o = c->opts;
	struct nt_stmt *s = nt_detect_prepare(c,
		"SELECT s.conn_id, s.ts, s.srtt_us, c.host_id, c.pid FROM samples s JOIN connections c USING (conn_id)"
		" WHERE s.conn_id IN (SELECT conn_id FROM connections WHERE rtt_samples >= :minn"
		"   AND rtt_max_us >= :factor * rtt_min_us AND rtt_max_us >= rtt_min_us + :minus)"
		" AND s.srtt_us > 0 AND" NT_FILTER_SQL("s", "c") " ORDER BY s.conn_id, s.ts");
	struct pt *p = NULL;
	size_t n = 0, cap = 0;
	int64_t cur = -1, host = 0;
	uint32_t pid = 0;
	int rc, ret = -1;

	if (!s)
		return -1;
	nt_stmt_bind_double(s, nt_stmt_param(s, ":minn"), o->rtt_min_samples);
	nt_stmt_bind_double(s, nt_stmt_param(s, ":factor"), o->rtt_factor);
	nt_stmt_bind_double(s, nt_stmt_param(s, ":minus"), o->rtt_min_ms * 1000);
	for (;;) {
		rc = nt_stmt_step(s);
		int64_t conn = rc == NT_STORE_ROW ? nt_col_int(s, 0) : -2;
		if (conn != cur && cur >= 0) {
			if (emit(c, cur, host, pid, p, n))
				goto out;
			n = 0;
		}
		if (rc != NT_STORE_ROW)
			break;
		cur = conn;
		host = nt_col_int(s, 3);
		pid = (uint32_t)nt_col_int(s, 4);
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			struct pt *np = realloc(p, cap * sizeof(*np));
			if (!np) {
				snprintf(c->err, NT_ERRLEN, "out of memory");
				goto out;
			}
			p = np;
		}
		p[n].ts = nt_col_int(s, 1);
		p[n].srtt = nt_col_int(s, 2);
		n++;
	}
	if (rc != NT_STORE_DONE) {
		snprintf(c->err, NT_ERRLEN, "RTT detector: %s", nt_store_errmsg(c->st));
		goto out;
	}
	ret = 0;
out:
	free(p);
	nt_stmt_finalize(s);
	return ret;
}
