/* report_md.c: the Markdown report (for tickets and chat): a summary table, then one section per incident. */
#include <string.h>

#include "util/errlen.h"
#include "report/report.h"
#include "util/timefmt.h"

/* Markdown table cells: escape the pipe. */
static void md_cell(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else
			fputc(*s, out);
	}
}

int nt_report_markdown(FILE *out, const struct nt_analysis *a, char *err)
{
	char t1[40], t2[40], d[32], line[800], proc[64];

	fprintf(out, "# nettape report: %zu incident%s\n\n", a->ninc, a->ninc == 1 ? "" : "s");
	fprintf(out, "- **Data:** %s, %s .. %s (%s)\n", a->hosts[0] ? a->hosts : "no hosts",
		nt_time_iso(a->data_first, t1, sizeof(t1)), nt_time_iso(a->data_last, t2, sizeof(t2)),
		nt_dur_fmt(a->data_last - a->data_first, d, sizeof(d)));
	fprintf(out, "- **Volume:** %lld events, %lld connections, %lld chunks\n", (long long)a->events,
		(long long)a->connections, (long long)a->chunks);
	fprintf(out, "- **Recorder losses:** %s\n", a->lost_events ? "yes, see the incidents below" : "none");
	for (size_t i = 0; i < a->nclocks && i < sizeof(a->clocks) / sizeof(a->clocks[0]); i++)
		fprintf(out, "- **Clock:** %s\n", nt_clock_line(&a->clocks[i], line, sizeof(line)));
	fputc('\n', out);
	if (!nt_analysis_shown(a)) {
		fprintf(out, "No incidents: no detector found anything above its thresholds.\n");
		return 0;
	}
	fprintf(out, "| # | incident | when (UTC) | process | impact |\n|---|---|---|---|---|\n");
	for (size_t i = 0; i < nt_analysis_shown(a); i++) {
		const struct nt_incident *in = &a->inc[i];
		fprintf(out, "| %d | ", in->id);
		md_cell(out, in->title);
		fprintf(out, " | %s .. %s | ", nt_time_hms(in->t_start, t1, sizeof(t1)), nt_time_hms(in->t_end, t2, sizeof(t2)));
		md_cell(out, in->primary == NT_F_RECORDER_LOSS ? "(recorder)" : nt_proc_label(in->comm, in->pid, proc, sizeof(proc)));
		fprintf(out, " | %.1f |\n", in->impact);
	}
	for (size_t i = 0; i < nt_analysis_shown(a); i++) {
		const struct nt_incident *in = &a->inc[i];
		fprintf(out, "\n## %d. %s\n\n", in->id, in->title);
		fprintf(out, "- **When:** %s .. %s (%s) on %s\n", nt_time_iso(in->t_start, t1, sizeof(t1)),
			nt_time_iso(in->t_end, t2, sizeof(t2)), nt_dur_fmt(in->t_end - in->t_start, d, sizeof(d)),
			in->host[0] ? in->host : "?");
		fprintf(out, "- **Process:** `%s`%s%s\n", nt_proc_label(in->comm, in->pid, proc, sizeof(proc)),
			in->container[0] ? " in container " : "", in->container);
		fprintf(out, "- **Cause:** %s\n- **Fix:** %s\n", in->cause, in->fix);
		if (in->caveat[0])
			fprintf(out, "- **Caveat:** %s\n", in->caveat);
		fprintf(out, "\nEvidence:\n\n");
		for (size_t j = 0; j < in->nfind; j++) {
			const struct nt_finding *f = &a->findings.v[in->find[j]];
			fprintf(out, "- `%s` **%s** %s\n", nt_time_hms(f->t_start, t1, sizeof(t1)), nt_fkind_name(f->kind),
				nt_evidence_line(a, f, line, sizeof(line)));
		}
	}
	if (ferror(out)) {
		snprintf(err, NT_ERRLEN, "write error");
		return -1;
	}
	return 0;
}
