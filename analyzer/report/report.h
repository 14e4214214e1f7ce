/* report.h: renderers of an analysis (text, markdown, JSON, self-contained HTML with SVG charts). */
#ifndef NETTAPE_REPORT_H
#define NETTAPE_REPORT_H

#include <stdio.h>

#include "store/store.h"
#include "incident/incident.h"

/* Each writes the whole report to out and returns 0, or -1 with err
 * (NT_ERRLEN) filled; output is deterministic for a given database and
 * filter (no generation time, no paths), so it can be compared to goldens. */
int nt_report_text(FILE *out, const struct nt_analysis *a, char *err);
int nt_report_markdown(FILE *out, const struct nt_analysis *a, char *err);
/* JSON shape: docs/SCHEMA.md "Report JSON". */
int nt_report_json(FILE *out, const struct nt_analysis *a, char *err);
/* Reads time series for the charts from st. */
int nt_report_html(FILE *out, struct nt_store *st, const struct nt_analysis *a, char *err);

/* Writes s as a JSON string literal (with quotes); NULL as null. */
void nt_json_str(FILE *out, const char *s);
/* Writes s with &, <, >, " escaped. */
void nt_html_str(FILE *out, const char *s);

/* Evidence line shared by the text renderers: "<conn>: <summary>". */
char *nt_evidence_line(const struct nt_analysis *a, const struct nt_finding *f, char *buf, size_t len);

/* One host's clock alignment in words: "srv: +2500.012 ms +- 0.021 ms against cli
 * (12 paired connections, 40 edges)", "x: unaligned (...)". Returns buf. */
char *nt_clock_line(const struct nt_host_clock *c, char *buf, size_t len);

#endif
