/* svg.c: inline-SVG chart primitives (panels, lines, bands, bars, axes) drawn by the analyzer itself. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report/svg.h"
#include "util/timefmt.h"

void svg_begin(FILE *out, int width, int height, const char *label)
{
	fprintf(out, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		     "viewBox=\"0 0 %d %d\" role=\"img\"><title>", width, height, width, height);
	nt_html_str(out, label);
	fputs("</title>\n", out);
}

void svg_end(FILE *out)
{
	fputs("</svg>\n", out);
}

static double px(const struct svg_panel *p, int64_t t)
{
	double span = (double)(p->t1 - p->t0);
	double x = span > 0 ? (double)(t - p->t0) / span : 0;

	if (x < 0)
		x = 0;
	if (x > 1)
		x = 1;
	return p->x + x * p->w;
}

static double py(const struct svg_panel *p, double v)
{
	double span = p->v1 - p->v0;
	double y = span > 0 ? (v - p->v0) / span : 0;

	if (y < 0)
		y = 0;
	if (y > 1)
		y = 1;
	return p->y + p->h - y * p->h;
}

void svg_panel_scale(struct svg_panel *p, const double *v, size_t n, double minv)
{
	double mx = minv;

	for (size_t i = 0; i < n; i++)
		if (v[i] > mx)
			mx = v[i];
	/* round up to 1, 2 or 5 times a power of ten */
	double e = pow(10, floor(log10(mx > 0 ? mx * 1.1 : 1)));
	double m = mx * 1.1 / e;
	p->v0 = 0;
	p->v1 = (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * e;
}

static void num(char *buf, size_t len, double v)
{
	if (fabs(v) >= 1e6)
		snprintf(buf, len, "%.3gM", v / 1e6);
	else if (fabs(v) >= 1e3)
		snprintf(buf, len, "%.3gk", v / 1e3);
	else
		snprintf(buf, len, "%.3g", v);
}

void svg_panel_frame(const struct svg_panel *p, const char *title, const char *unit)
{
	char b[32];

	fprintf(p->out, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fcfcfc\" "
			"stroke=\"#999\" stroke-width=\"0.5\"/>\n", p->x, p->y, p->w, p->h);
	for (int i = 0; i <= 4; i++) {
		double v = p->v0 + (p->v1 - p->v0) * i / 4.0;
		double y = py(p, v);
		if (i > 0 && i < 4)
			fprintf(p->out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\" stroke-width=\"0.5\"/>\n",
				p->x, y, p->x + p->w, y);
		num(b, sizeof(b), v);
		fprintf(p->out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" fill=\"#555\">%s</text>\n",
			p->x - 4, y + 3, b);
	}
	fprintf(p->out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" font-weight=\"bold\" fill=\"#333\">", p->x + 4, p->y + 12);
	nt_html_str(p->out, title);
	if (unit && *unit) {
		fputs(" (", p->out);
		nt_html_str(p->out, unit);
		fputs(")", p->out);
	}
	fputs("</text>\n", p->out);
}

void svg_time_axis(const struct svg_panel *p)
{
	char b[40];

	for (int i = 0; i <= 4; i++) {
		int64_t t = p->t0 + (p->t1 - p->t0) / 4 * i;
		double x = px(p, t);
		nt_time_hms(t, b, sizeof(b));
		b[8] = 0; /* HH:MM:SS */
		if (p->t1 - p->t0 < 10000000000LL) {
			nt_time_hms(t, b, sizeof(b)); /* keep milliseconds for short windows */
		}
		fprintf(p->out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"%s\" fill=\"#555\">%s</text>\n", x,
			p->y + p->h + 12, i == 0 ? "start" : i == 4 ? "end" : "middle", b);
	}
}

void svg_line(const struct svg_panel *p, const int64_t *t, const double *v, size_t n, const char *color,
	      const char *name, int step)
{
	if (!n)
		return;
	fprintf(p->out, "<polyline class=\"series\" data-name=\"");
	nt_html_str(p->out, name);
	fprintf(p->out, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\" points=\"", color);
	for (size_t i = 0; i < n; i++) {
		if (step && i)
			fprintf(p->out, "%.1f,%.1f ", px(p, t[i]), py(p, v[i - 1]));
		fprintf(p->out, "%.1f,%.1f ", px(p, t[i]), py(p, v[i]));
	}
	fputs("\"/>\n", p->out);
}

void svg_band(const struct svg_panel *p, int64_t a, int64_t b, const char *color, const char *tip)
{
	double x0 = px(p, a), x1 = px(p, b);

	if (x1 - x0 < 1)
		x1 = x0 + 1;
	fprintf(p->out, "<rect class=\"band\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
			"fill-opacity=\"0.25\"><title>", x0, p->y, x1 - x0, p->h, color);
	nt_html_str(p->out, tip);
	fputs("</title></rect>\n", p->out);
}

void svg_bars(const struct svg_panel *p, const int64_t *t, size_t n, int nbins, const char *color, const char *name)
{
	double *cnt = calloc((size_t)nbins, sizeof(*cnt));
	double span = (double)(p->t1 - p->t0);
	struct svg_panel q = *p;

	if (!cnt)
		return;
	for (size_t i = 0; i < n; i++) {
		int b = span > 0 ? (int)((double)(t[i] - p->t0) / span * nbins) : 0;
		if (b >= 0 && b <= nbins)
			cnt[b == nbins ? nbins - 1 : b]++;
	}
	svg_panel_scale(&q, cnt, (size_t)nbins, 1);
	svg_panel_frame(&q, name, "per bin");
	fprintf(p->out, "<g class=\"series\" data-name=\"");
	nt_html_str(p->out, name);
	fprintf(p->out, "\" fill=\"%s\">\n", color);
	for (int b = 0; b < nbins; b++) {
		if (!cnt[b])
			continue;
		double x = q.x + q.w * b / nbins, y = py(&q, cnt[b]);
		fprintf(p->out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>%.0f</title></rect>\n", x, y,
			q.w / nbins > 1.5 ? q.w / nbins - 0.5 : 1.0, q.y + q.h - y, cnt[b]);
	}
	fputs("</g>\n", p->out);
	free(cnt);
}

void svg_legend(const struct svg_panel *p, int i, const char *color, const char *name)
{
	double x = p->x + p->w - 110.0 * (i + 1);

	fprintf(p->out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"3\" fill=\"%s\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#333\">", x, p->y + 8, color, x + 14, p->y + 12);
	nt_html_str(p->out, name);
	fputs("</text>\n", p->out);
}
