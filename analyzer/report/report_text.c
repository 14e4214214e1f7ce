/* report_text.c: the plain-text report (the default): incidents ranked by impact, each with cause, fix and evidence. */
#include <string.h>

#include "util/errlen.h"
#include "report/report.h"
#include "util/timefmt.h"

char *nt_evidence_line(const struct nt_analysis *a, const struct nt_finding *f, char *buf, size_t len)
{
	char conn[200];

	nt_conn_label(a, f->conn_id, conn, sizeof(conn));
	if (conn[0])
		snprintf(buf, len, "%s: %s", conn, f->summary);
	else
		snprintf(buf, len, "%s", f->summary);
	return buf;
}

static void header(FILE *out, const struct nt_analysis *a)
{
	char t1[40], t2[40], d[32];

	fprintf(out, "Data:      %s; %s .. %s (%s)\n", a->hosts[0] ? a->hosts : "no hosts",
		nt_time_iso(a->data_first, t1, sizeof(t1)), nt_time_iso(a->data_last, t2, sizeof(t2)),
		nt_dur_fmt(a->data_last - a->data_first, d, sizeof(d)));
	fprintf(out, "           %lld events, %lld connections, %lld chunks; recorder losses: ",
		(long long)a->events, (long long)a->connections, (long long)a->chunks);
	if (a->lost_events)
		fprintf(out, "%lld events (see below)\n", (long long)a->lost_events);
	else
		fprintf(out, "none\n");
	for (size_t i = 0; i < a->nclocks && i < sizeof(a->clocks) / sizeof(a->clocks[0]); i++) {
		char line[400];
		fprintf(out, "%s %s\n", i ? "          " : "Clocks:   ", nt_clock_line(&a->clocks[i], line, sizeof(line)));
	}
	if (a->filter.from || a->filter.to || a->filter.conn_id || a->filter.pid) {
		fprintf(out, "Filter:   ");
		if (a->filter.from)
			fprintf(out, " from %s", nt_time_iso(a->filter.from, t1, sizeof(t1)));
		if (a->filter.to)
			fprintf(out, " to %s", nt_time_iso(a->filter.to, t1, sizeof(t1)));
		if (a->filter.conn_id)
			fprintf(out, " connection %lld", (long long)a->filter.conn_id);
		if (a->filter.pid)
			fprintf(out, " pid %u", a->filter.pid);
		fprintf(out, "\n");
	}
}

int nt_report_text(FILE *out, const struct nt_analysis *a, char *err)
{
	char t1[40], t2[40], d[32], line[800], proc[64];

	size_t shown = nt_analysis_shown(a);

	fprintf(out, "nettape report: %zu incident%s", a->ninc, a->ninc == 1 ? "" : "s");
	if (a->nnotes)
		fprintf(out, ", %zu note%s", a->nnotes, a->nnotes == 1 ? "" : "s");
	fputc('\n', out);
	header(out, a);
	if (!a->ninc)
		fprintf(out, "\nNo incidents: no detector found anything above its thresholds (docs/DETECTORS.md).\n");
	for (size_t i = 0; i < shown; i++) {
		const struct nt_incident *in = &a->inc[i];
		if (in->note && (i == 0 || !a->inc[i - 1].note))
			fprintf(out, "\nNotes (impact below %.1f: evidence, not incidents):\n", a->opts.incident_min_impact);
		if (in->note)
			fprintf(out, "\nnote %d: %s\n", in->id, in->title);
		else
			fprintf(out, "\n#%d %s\n", in->id, in->title);
		fprintf(out, "   when:     %s .. %s (%s) on %s\n", nt_time_iso(in->t_start, t1, sizeof(t1)),
			nt_time_hms(in->t_end, t2, sizeof(t2)), nt_dur_fmt(in->t_end - in->t_start, d, sizeof(d)),
			in->host[0] ? in->host : "?");
		if (in->primary != NT_F_RECORDER_LOSS)
			fprintf(out, "   process:  %s%s%s\n", nt_proc_label(in->comm, in->pid, proc, sizeof(proc)),
			in->container[0] ? " in container " : "", in->container);
		fprintf(out, "   impact:   %.1f\n", in->impact);
		fprintf(out, "   cause:    %s\n", in->cause);
		fprintf(out, "   fix:      %s\n", in->fix);
		if (in->caveat[0])
			fprintf(out, "   caveat:   %s\n", in->caveat);
		fprintf(out, "   evidence:\n");
		for (size_t j = 0; j < in->nfind; j++) {
			const struct nt_finding *f = &a->findings.v[in->find[j]];
			fprintf(out, "     - %s %-17s %s\n", nt_time_hms(f->t_start, t1, sizeof(t1)), nt_fkind_name(f->kind),
				nt_evidence_line(a, f, line, sizeof(line)));
		}
		if (in->nconns) {
			fprintf(out, "   connections (%zu):\n", in->nconns);
			for (size_t j = 0; j < in->nconns && j < 10; j++) {
				const struct nt_conninfo *c = nt_analysis_conn(a, in->conns[j]);
				if (!c)
					continue;
				char host[80] = "";
				if (a->nclocks > 1)
					snprintf(host, sizeof(host), "[%s] ", c->host);
				fprintf(out, "     - #%lld %s%s%s%s%s wscale %s", (long long)c->conn_id, host, c->local,
					c->listener ? " (listener)" : " -> ", c->listener ? "" : c->remote, "",
					c->wscale_ok < 0 ? "unknown" : c->wscale_ok ? "on" : "OFF");
				if (c->wscale_ok > 0)
					fprintf(out, " (snd %d, rcv %d)", c->snd_wscale, c->rcv_wscale);
				if (c->rtt_min_us >= 0)
					fprintf(out, ", rtt %.1f/%.1f/%.1f ms", c->rtt_min_us / 1000.0, c->rtt_avg_us / 1000.0,
						c->rtt_max_us / 1000.0);
				fprintf(out, ", %lld retransmits\n", (long long)c->retransmits);
			}
			if (in->nconns > 10)
				fprintf(out, "     ... and %zu more (--format json lists all)\n", in->nconns - 10);
		}
	}
	if (a->nnotes && !a->show_notes)
		fprintf(out, "\n%zu note%s below impact %.1f not shown (--all lists them).\n", a->nnotes,
			a->nnotes == 1 ? "" : "s", a->opts.incident_min_impact);
	if (ferror(out)) {
		snprintf(err, NT_ERRLEN, "write error");
		return -1;
	}
	return 0;
}
