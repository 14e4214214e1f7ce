/* report_html.c: the self-contained HTML report: incidents with inline-SVG timelines (windows, RTT, drops, retransmits). */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "report/report.h"
#include "report/svg.h"
#include "util/timefmt.h"

#define CHART_W 860
#define PANEL_H 90
#define MAX_POINTS 1200
#define MAX_CHARTS 4
#define NBINS 60

void nt_html_str(FILE *out, const char *s)
{
	if (!s)
		return;
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out);
		}
	}
}

struct series {
	int64_t *t;
	double *v[3];
	size_t n, cap;
};

static int series_add(struct series *s, int64_t t, double a, double b, double c)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 256;
		int64_t *nt = realloc(s->t, ncap * sizeof(*nt));
		if (!nt)
			return -1;
		s->t = nt;
		for (int i = 0; i < 3; i++) {
			double *nv = realloc(s->v[i], ncap * sizeof(*nv));
			if (!nv)
				return -1;
			s->v[i] = nv;
		}
		s->cap = ncap;
	}
	s->t[s->n] = t;
	s->v[0][s->n] = a;
	s->v[1][s->n] = b;
	s->v[2][s->n] = c;
	s->n++;
	return 0;
}

static void series_free(struct series *s)
{
	free(s->t);
	for (int i = 0; i < 3; i++)
		free(s->v[i]);
	memset(s, 0, sizeof(*s));
}

/* Keeps every k-th point (and the last) so a chart stays small. */
static void thin(struct series *s)
{
	size_t k = s->n / MAX_POINTS + 1, w = 0;

	if (k <= 1)
		return;
	for (size_t i = 0; i < s->n; i++) {
		if (i % k && i != s->n - 1)
			continue;
		s->t[w] = s->t[i];
		for (int j = 0; j < 3; j++)
			s->v[j][w] = s->v[j][i];
		w++;
	}
	s->n = w;
}

static int load(struct nt_store *db, const char *sql, int64_t conn, int64_t t0, int64_t t1, struct series *s, int ncols,
		char *err)
{
	struct nt_stmt *st = nt_store_prepare(db, sql, err);
	int rc;

	if (!st)
		return -1;
	nt_stmt_bind_int(st, 1, conn);
	nt_stmt_bind_int(st, 2, t0);
	nt_stmt_bind_int(st, 3, t1);
	while ((rc = nt_stmt_step(st)) == NT_STORE_ROW) {
		double v[3] = { 0, 0, 0 };
		for (int i = 0; i < ncols && i < 3; i++)
			v[i] = nt_col_double(st, i + 1);
		if (series_add(s, nt_col_int(st, 0), v[0], v[1], v[2])) {
			nt_stmt_finalize(st);
			snprintf(err, NT_ERRLEN, "out of memory");
			return -1;
		}
	}
	nt_stmt_finalize(st);
	if (rc != NT_STORE_DONE) {
		snprintf(err, NT_ERRLEN, "chart data: %s", nt_store_errmsg(db));
		return -1;
	}
	return 0;
}

/*
 * Periodic samples have no index on conn_id (they are most of a tape), so
 * the samples of every charted connection are read in one scan up front.
 */
struct prefetch {
	int64_t *ids;
	struct series *smp;
	size_t n;
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static struct series *prefetched(const struct prefetch *pf, int64_t conn)
{
	int64_t *p = pf->n ? bsearch(&conn, pf->ids, pf->n, sizeof(*pf->ids), cmp_i64) : NULL;
	return p ? &pf->smp[p - pf->ids] : NULL;
}

static int prefetch_samples(struct nt_store *db, const struct nt_analysis *a, struct prefetch *pf, char *err)
{
	size_t cap = 0;
	struct nt_stmt *st = NULL;
	int rc, ret = -1;

	for (size_t i = 0; i < nt_analysis_shown(a); i++)
		cap += a->inc[i].nconns < MAX_CHARTS ? a->inc[i].nconns : MAX_CHARTS;
	pf->ids = calloc(cap ? cap : 1, sizeof(*pf->ids));
	pf->smp = calloc(cap ? cap : 1, sizeof(*pf->smp));
	if (!pf->ids || !pf->smp)
		goto oom;
	for (size_t i = 0; i < nt_analysis_shown(a); i++)
		for (size_t j = 0; j < a->inc[i].nconns && j < MAX_CHARTS; j++)
			pf->ids[pf->n++] = a->inc[i].conns[j];
	if (!pf->n)
		return 0;
	qsort(pf->ids, pf->n, sizeof(*pf->ids), cmp_i64);
	{
		size_t w = 1;
		for (size_t i = 1; i < pf->n; i++)
			if (pf->ids[i] != pf->ids[w - 1])
				pf->ids[w++] = pf->ids[i];
		pf->n = w;
	}
	if (nt_store_exec(db, "CREATE TEMP TABLE IF NOT EXISTS chart_conns (conn_id INTEGER PRIMARY KEY); DELETE FROM chart_conns",
		       "chart data", err))
		goto out;
	st = nt_store_prepare(db, "INSERT INTO chart_conns VALUES (?)", err);
	if (!st)
		goto out;
	for (size_t i = 0; i < pf->n; i++) {
		nt_stmt_bind_int(st, 1, pf->ids[i]);
		nt_stmt_step(st);
		nt_stmt_reset(st);
	}
	nt_stmt_finalize(st);
	st = nt_store_prepare(db, "SELECT conn_id, ts, rcv_wnd / 1024.0, snd_wnd / 1024.0, srtt_us / 1000.0 FROM samples"
			       " WHERE conn_id IN (SELECT conn_id FROM chart_conns) ORDER BY conn_id, ts", err);
	if (!st)
		goto out;
	while ((rc = nt_stmt_step(st)) == NT_STORE_ROW) {
		struct series *sr = prefetched(pf, nt_col_int(st, 0));
		if (sr && series_add(sr, nt_col_int(st, 1), nt_col_double(st, 2),
				     nt_col_double(st, 3), nt_col_double(st, 4)))
			goto oom;
	}
	if (rc != NT_STORE_DONE) {
		snprintf(err, NT_ERRLEN, "chart data: %s", nt_store_errmsg(db));
		goto out;
	}
	ret = 0;
	goto out;
oom:
	snprintf(err, NT_ERRLEN, "out of memory");
out:
	nt_stmt_finalize(st);
	return ret;
}

static void prefetch_free(struct prefetch *pf)
{
	for (size_t i = 0; i < pf->n; i++)
		series_free(&pf->smp[i]);
	free(pf->ids);
	free(pf->smp);
	memset(pf, 0, sizeof(*pf));
}

static int chart_conn(FILE *out, struct nt_store *db, const struct nt_analysis *a, const struct nt_incident *in,
		      const struct nt_conninfo *c, const struct prefetch *pf, char *err)
{
	struct series smp = { 0 }, edges = { 0 }, drops = { 0 }, rto = { 0 }, fast = { 0 }, lst = { 0 };
	int64_t margin = (in->t_end - in->t_start) / 10;
	int64_t t0, t1;
	char label[400], tip[160], d[32];
	int ret = -1, npanels;

	if (margin < 2000000000LL)
		margin = 2000000000LL;
	t0 = in->t_start - margin;
	t1 = in->t_end + margin;
	if (c->first_ts && c->first_ts > t0)
		t0 = c->first_ts;
	if (c->last_ts && c->last_ts < t1 && c->last_ts > t0)
		t1 = c->last_ts;
	if (t1 <= t0)
		t1 = t0 + 1000000000LL;
	{
		const struct series *all = prefetched(pf, c->conn_id);
		for (size_t i = 0; all && i < all->n; i++)
			if (all->t[i] >= t0 && all->t[i] <= t1 &&
			    series_add(&smp, all->t[i], all->v[0][i], all->v[1][i], all->v[2][i])) {
				snprintf(err, NT_ERRLEN, "out of memory");
				goto out;
			}
	}
	if (load(db, "SELECT ts, kind FROM samples WHERE conn_id = ?1 AND kind <> 0 AND kind BETWEEN 1 AND 4"
		     " AND ts BETWEEN ?2 - 3600000000000 AND ?3 ORDER BY ts", c->conn_id, t0, t1, &edges, 1, err) ||
	    load(db, "SELECT ts FROM drops WHERE conn_id = ?1 AND ts BETWEEN ?2 AND ?3", c->conn_id, t0, t1, &drops, 0, err) ||
	    load(db, "SELECT ts FROM retransmits WHERE conn_id = ?1 AND ts BETWEEN ?2 AND ?3 AND ca_state = 4", c->conn_id,
		 t0, t1, &rto, 0, err) ||
	    load(db, "SELECT ts FROM retransmits WHERE conn_id = ?1 AND ts BETWEEN ?2 AND ?3 AND ca_state <> 4", c->conn_id,
		 t0, t1, &fast, 0, err) ||
	    load(db, "SELECT ts, backlog, max_backlog, overflows FROM listens WHERE conn_id = ?1 AND ts BETWEEN ?2 AND ?3"
		     " ORDER BY ts", c->conn_id, t0, t1, &lst, 3, err))
		goto out;
	thin(&smp);
	thin(&lst);
	snprintf(label, sizeof(label), "Timeline of connection #%lld %s%s%s", (long long)c->conn_id, c->local,
		 c->listener ? " (listener)" : " -> ", c->listener ? "" : c->remote);
	fprintf(out, "<figure><figcaption>");
	nt_html_str(out, label);
	fprintf(out, "</figcaption>\n");
	npanels = c->listener ? 3 : 4;
	svg_begin(out, CHART_W, 30 + npanels * (PANEL_H + 26), label);
	struct svg_panel p = { .out = out, .x = 60, .y = 10, .w = CHART_W - 80, .h = PANEL_H, .t0 = t0, .t1 = t1 };
	if (c->listener) {
		svg_panel_scale(&p, lst.v[1], lst.n, 1);
		svg_panel_scale(&p, lst.v[0], lst.n, p.v1);
		svg_panel_frame(&p, "accept queue", "connections");
		svg_line(&p, lst.t, lst.v[1], lst.n, "#999999", "max backlog", 1);
		svg_line(&p, lst.t, lst.v[0], lst.n, "#1f77b4", "backlog", 1);
		svg_legend(&p, 0, "#1f77b4", "backlog");
		svg_legend(&p, 1, "#999999", "max backlog");
		svg_time_axis(&p);
		p.y += PANEL_H + 26;
		struct series ov = { 0 };
		for (size_t i = 0; i < lst.n; i++)
			for (int k = 0; k < (int)lst.v[2][i] && k < 1000; k++)
				series_add(&ov, lst.t[i], 0, 0, 0);
		for (size_t i = 0; i < drops.n; i++)
			series_add(&ov, drops.t[i], 0, 0, 0);
		svg_bars(&p, ov.t, ov.n, NBINS, "#d62728", "overflows and drops");
		series_free(&ov);
		svg_time_axis(&p);
		p.y += PANEL_H + 26;
		svg_bars(&p, fast.t, fast.n, NBINS, "#ff7f0e", "SYN-ACK retransmits");
		svg_time_axis(&p);
		svg_end(out);
		fputs("</figure>\n", out);
		ret = 0;
		goto out;
	}
	/* Panel 1: windows, with zero-window episodes as bands. */
	{
		double mx[2];
		struct svg_panel q = p;
		svg_panel_scale(&q, smp.v[0], smp.n, 1);
		mx[0] = q.v1;
		svg_panel_scale(&q, smp.v[1], smp.n, 1);
		mx[1] = q.v1;
		p.v0 = 0;
		p.v1 = mx[0] > mx[1] ? mx[0] : mx[1];
	}
	svg_panel_frame(&p, "windows", "KiB");
	{
		int64_t open[2] = { 0, 0 };
		for (size_t i = 0; i <= edges.n; i++) {
			int kind = i < edges.n ? (int)edges.v[0][i] : 0;
			int64_t ts = i < edges.n ? edges.t[i] : t1;
			int side = kind <= 2 ? 0 : 1;
			if (i == edges.n) {
				for (int s = 0; s < 2; s++)
					if (open[s]) {
						snprintf(tip, sizeof(tip), "zero window (%s), open at the end of the data", s ? "snd" : "rcv");
						svg_band(&p, open[s] < t0 ? t0 : open[s], t1, s ? "#9467bd" : "#d62728", tip);
					}
				break;
			}
			if (kind == 1 || kind == 3) {
				if (!open[side])
					open[side] = ts;
			} else if (open[side]) {
				if (ts >= t0) {
					snprintf(tip, sizeof(tip), "zero window (%s) %s", side ? "snd: the peer's" : "rcv: ours",
						 nt_dur_fmt(ts - open[side], d, sizeof(d)));
					svg_band(&p, open[side] < t0 ? t0 : open[side], ts, side ? "#9467bd" : "#d62728", tip);
				}
				open[side] = 0;
			}
		}
	}
	svg_line(&p, smp.t, smp.v[0], smp.n, "#1f77b4", "receive window (ours)", 1);
	svg_line(&p, smp.t, smp.v[1], smp.n, "#2ca02c", "send window (peer's)", 1);
	svg_legend(&p, 0, "#2ca02c", "peer's window");
	svg_legend(&p, 1, "#1f77b4", "our window");
	svg_legend(&p, 2, "#d62728", "zero window");
	svg_time_axis(&p);
	/* Panel 2: RTT. */
	p.y += PANEL_H + 26;
	svg_panel_scale(&p, smp.v[2], smp.n, 1);
	svg_panel_frame(&p, "smoothed RTT", "ms");
	svg_line(&p, smp.t, smp.v[2], smp.n, "#8c564b", "srtt", 0);
	svg_time_axis(&p);
	/* Panel 3: drops; panel 4: retransmits. */
	p.y += PANEL_H + 26;
	svg_bars(&p, drops.t, drops.n, NBINS, "#d62728", "drops");
	svg_time_axis(&p);
	p.y += PANEL_H + 26;
	{
		struct series all = { 0 };
		for (size_t i = 0; i < rto.n; i++)
			series_add(&all, rto.t[i], 0, 0, 0);
		for (size_t i = 0; i < fast.n; i++)
			series_add(&all, fast.t[i], 0, 0, 0);
		svg_bars(&p, all.t, all.n, NBINS, "#ff7f0e", "retransmits");
		series_free(&all);
		if (rto.n) {
			struct svg_panel q = p;
			double cnt = (double)rto.n;
			svg_panel_scale(&q, &cnt, 1, 1);
			fprintf(out, "<g class=\"series\" data-name=\"rto\" fill=\"#d62728\">\n");
			for (size_t i = 0; i < rto.n; i++) {
				double x = q.x + q.w * (double)(rto.t[i] - q.t0) / (double)(q.t1 - q.t0);
				fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"><title>RTO retransmit</title></circle>\n",
					x, q.y + q.h - 4);
			}
			fputs("</g>\n", out);
			svg_legend(&p, 0, "#d62728", "timeout (dot)");
		}
	}
	svg_time_axis(&p);
	svg_end(out);
	fputs("</figure>\n", out);
	ret = 0;
out:
	series_free(&smp);
	series_free(&edges);
	series_free(&drops);
	series_free(&rto);
	series_free(&fast);
	series_free(&lst);
	(void)a;
	return ret;
}

static const char css[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:960px;color:#222;"
	"line-height:1.4}h1{font-size:1.5em}h2{font-size:1.2em;border-top:1px solid #ccc;padding-top:.8em}"
	"table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:left;"
	"vertical-align:top;font-size:.92em}th{background:#f4f4f4}.cause{background:#fff4e5;padding:.5em .8em;"
	"border-left:4px solid #f0a030}.fix{background:#eaf6ea;padding:.5em .8em;border-left:4px solid #3a3}"
	".caveat{background:#fdecea;padding:.5em .8em;border-left:4px solid #d33}.meta{color:#555}"
	"figure{margin:1em 0}figcaption{font-size:.9em;color:#444;margin-bottom:.3em}code{background:#f4f4f4}"
	".impact{float:right;color:#888;font-weight:normal}";

int nt_report_html(FILE *out, struct nt_store *db, const struct nt_analysis *a, char *err)
{
	char t1[40], t2[40], d[32], proc[64], line[800];
	struct prefetch pf = { 0 };
	int ret = -1;

	if (prefetch_samples(db, a, &pf, err))
		goto out;

	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		     "<title>nettape report: %zu incident%s</title>\n<style>%s</style>\n</head>\n<body>\n",
		a->ninc, a->ninc == 1 ? "" : "s", css);
	fprintf(out, "<h1>nettape report: %zu incident%s</h1>\n<p class=\"meta\">", a->ninc, a->ninc == 1 ? "" : "s");
	nt_html_str(out, a->hosts[0] ? a->hosts : "no hosts");
	fprintf(out, " &middot; %s .. %s UTC (%s) &middot; %lld events, %lld connections, %lld chunks &middot; recorder "
		     "losses: %s</p>\n", nt_time_iso(a->data_first, t1, sizeof(t1)), nt_time_iso(a->data_last, t2, sizeof(t2)),
		nt_dur_fmt(a->data_last - a->data_first, d, sizeof(d)), (long long)a->events, (long long)a->connections,
		(long long)a->chunks, a->lost_events ? "<b>yes</b> (see below)" : "none");
	for (size_t i = 0; i < a->nclocks && i < sizeof(a->clocks) / sizeof(a->clocks[0]); i++) {
		char cl[400];
		fputs("<p class=\"meta clock\">clock ", out);
		nt_html_str(out, nt_clock_line(&a->clocks[i], cl, sizeof(cl)));
		fputs("</p>\n", out);
	}
	if (!nt_analysis_shown(a)) {
		fputs("<p id=\"no-incidents\">No incidents: no detector found anything above its thresholds.</p>\n", out);
		fputs("</body>\n</html>\n", out);
		ret = 0;
		goto out;
	}
	fputs("<table id=\"incidents\">\n<tr><th>#</th><th>incident</th><th>when (UTC)</th><th>process</th><th>impact</th></tr>\n",
	      out);
	for (size_t i = 0; i < nt_analysis_shown(a); i++) {
		const struct nt_incident *in = &a->inc[i];
		fprintf(out, "<tr><td>%d</td><td><a href=\"#incident-%d\">", in->id, in->id);
		nt_html_str(out, in->title);
		fprintf(out, "</a></td><td>%s .. %s</td><td>", nt_time_hms(in->t_start, t1, sizeof(t1)),
			nt_time_hms(in->t_end, t2, sizeof(t2)));
		nt_html_str(out, in->primary == NT_F_RECORDER_LOSS ? "(recorder)" : nt_proc_label(in->comm, in->pid, proc, sizeof(proc)));
		fprintf(out, "</td><td>%.1f</td></tr>\n", in->impact);
	}
	fputs("</table>\n", out);
	for (size_t i = 0; i < nt_analysis_shown(a); i++) {
		const struct nt_incident *in = &a->inc[i];
		int charts = 0;
		fprintf(out, "<section class=\"incident\" id=\"incident-%d\">\n<h2>%d. ", in->id, in->id);
		nt_html_str(out, in->title);
		fprintf(out, " <span class=\"impact\">impact %.1f</span></h2>\n<p class=\"meta\">%s .. %s UTC (%s) on ", in->impact,
			nt_time_iso(in->t_start, t1, sizeof(t1)), nt_time_hms(in->t_end, t2, sizeof(t2)),
			nt_dur_fmt(in->t_end - in->t_start, d, sizeof(d)));
		nt_html_str(out, in->host[0] ? in->host : "?");
		fputs(" &middot; process <code>", out);
		nt_html_str(out, nt_proc_label(in->comm, in->pid, proc, sizeof(proc)));
		fputs("</code>", out);
		if (in->container[0]) {
			fputs(" in container <code>", out);
			nt_html_str(out, in->container);
			fputs("</code>", out);
		}
		fputs("</p>\n<p class=\"cause\"><b>Cause:</b> ", out);
		nt_html_str(out, in->cause);
		fputs("</p>\n<p class=\"fix\"><b>Fix:</b> ", out);
		nt_html_str(out, in->fix);
		fputs("</p>\n", out);
		if (in->caveat[0]) {
			fputs("<p class=\"caveat\"><b>Caveat:</b> ", out);
			nt_html_str(out, in->caveat);
			fputs("</p>\n", out);
		}
		fputs("<table class=\"evidence\">\n<tr><th>time</th><th>finding</th><th>evidence</th></tr>\n", out);
		for (size_t j = 0; j < in->nfind; j++) {
			const struct nt_finding *f = &a->findings.v[in->find[j]];
			fprintf(out, "<tr><td>%s</td><td>%s</td><td>", nt_time_hms(f->t_start, t1, sizeof(t1)), nt_fkind_name(f->kind));
			nt_html_str(out, nt_evidence_line(a, f, line, sizeof(line)));
			fputs("</td></tr>\n", out);
		}
		fputs("</table>\n", out);
		for (size_t j = 0; j < in->nconns && charts < MAX_CHARTS; j++) {
			const struct nt_conninfo *c = nt_analysis_conn(a, in->conns[j]);
			if (!c)
				continue;
			if (chart_conn(out, db, a, in, c, &pf, err))
				goto out;
			charts++;
		}
		if (in->nconns > MAX_CHARTS)
			fprintf(out, "<p class=\"meta\">Charts for %d of %zu connections; the JSON report lists all.</p>\n",
				MAX_CHARTS, in->nconns);
		fputs("</section>\n", out);
	}
	fputs("</body>\n</html>\n", out);
	if (ferror(out)) {
		snprintf(err, NT_ERRLEN, "write error");
		goto out;
	}
	ret = 0;
out:
	prefetch_free(&pf);
	return ret;
}
