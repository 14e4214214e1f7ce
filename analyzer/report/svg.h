/* svg.h: a minimal inline-SVG chart writer (time on x, one value on y) for the HTML report. */
#ifndef NETTAPE_SVG_H
#define NETTAPE_SVG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One panel of a chart: a rectangle in the SVG's coordinates mapping
 * [t0, t1] (realtime ns) x [v0, v1] onto it. */
struct svg_panel {
	FILE *out;
	double x, y, w, h;
	int64_t t0, t1;
	double v0, v1;
};

/* Opens an <svg> of width x height with a title for screen readers. */
void svg_begin(FILE *out, int width, int height, const char *label);
void svg_end(FILE *out);

/* Picks v1 from the data maximum (v0 = 0) with headroom; at least minv. */
void svg_panel_scale(struct svg_panel *p, const double *v, size_t n, double minv);
/* Frame, horizontal grid with value labels, the panel title. */
void svg_panel_frame(const struct svg_panel *p, const char *title, const char *unit);
/* Time labels (UTC) under the panel. */
void svg_time_axis(const struct svg_panel *p);
/* A line through (t[i], v[i]); step=1 draws a step line (value holds until the next sample). */
void svg_line(const struct svg_panel *p, const int64_t *t, const double *v, size_t n, const char *color,
	      const char *name, int step);
/* A full-height band from a to b (e.g. a zero-window episode). */
void svg_band(const struct svg_panel *p, int64_t a, int64_t b, const char *color, const char *tip);
/* Counts of the events at times t in nbins equal bins, drawn as bars. */
void svg_bars(const struct svg_panel *p, const int64_t *t, size_t n, int nbins, const char *color, const char *name);
/* Small legend entry at the panel's top right, index i from the right. */
void svg_legend(const struct svg_panel *p, int i, const char *color, const char *name);

#endif
