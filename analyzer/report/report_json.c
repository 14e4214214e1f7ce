/* report_json.c: the JSON report (shape documented in docs/SCHEMA.md, "Report JSON"). */
#include <string.h>

#include "util/errlen.h"
#include "report/report.h"
#include "util/timefmt.h"

void nt_json_str(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

static void jtime(FILE *out, const char *name, int64_t ns)
{
	char buf[40];

	fprintf(out, "\"%s\": ", name);
	if (ns)
		nt_json_str(out, nt_time_iso(ns, buf, sizeof(buf)));
	else
		fputs("null", out);
}

static const char *opt_str(const char *s)
{
	return s && *s ? s : NULL;
}

static void conn_json(FILE *out, const struct nt_conninfo *c)
{
	fprintf(out, "{\"conn_id\": %lld, \"host\": ", (long long)c->conn_id);
	nt_json_str(out, c->host);
	fputs(", \"local\": ", out);
	nt_json_str(out, c->local);
	fputs(", \"remote\": ", out);
	nt_json_str(out, c->listener ? NULL : c->remote);
	fprintf(out, ", \"listener\": %s, \"pid\": %u, \"comm\": ", c->listener ? "true" : "false", c->pid);
	nt_json_str(out, opt_str(c->comm));
	fputs(", \"container\": ", out);
	nt_json_str(out, opt_str(c->container));
	fputs(", \"window_scaling\": ", out);
	if (c->wscale_ok < 0)
		fputs("null", out);
	else
		fprintf(out, "{\"negotiated\": %s, \"snd_wscale\": %d, \"rcv_wscale\": %d, \"local_sysctl\": ",
			c->wscale_ok ? "true" : "false", c->snd_wscale, c->rcv_wscale);
	if (c->wscale_ok >= 0) {
		if (c->opt_sysctl < 0)
			fputs("null}", out);
		else
			fprintf(out, "%d}", c->opt_sysctl & 1);
	}
	fputs(", \"netns\": ", out);
	nt_json_str(out, opt_str(c->netns));
	fprintf(out, ", \"bytes_acked\": %lld, \"bytes_received\": %lld, \"retransmits\": %lld",
		(long long)c->bytes_acked, (long long)c->bytes_received, (long long)c->retransmits);
	if (c->rtt_min_us >= 0)
		fprintf(out, ", \"rtt_ms\": {\"min\": %.3f, \"avg\": %.3f, \"max\": %.3f}", c->rtt_min_us / 1000.0,
			c->rtt_avg_us / 1000.0, c->rtt_max_us / 1000.0);
	else
		fputs(", \"rtt_ms\": null", out);
	fputs(", ", out);
	jtime(out, "first_seen", c->first_ts);
	fputs(", ", out);
	jtime(out, "last_seen", c->last_ts);
	fputs("}", out);
}

static void finding_json(FILE *out, const struct nt_analysis *a, const struct nt_finding *f)
{
	fputs("{\"kind\": ", out);
	nt_json_str(out, nt_fkind_name(f->kind));
	fprintf(out, ", \"conn_id\": ");
	if (f->conn_id)
		fprintf(out, "%lld", (long long)f->conn_id);
	else
		fputs("null", out);
	if (a->nclocks > 1) {
		/* several hosts: the host that recorded this evidence */
		const struct nt_conninfo *c = f->conn_id ? nt_analysis_conn(a, f->conn_id) : NULL;
		const char *h = c ? c->host : NULL;
		for (size_t i = 0; !h && i < a->nclocks && i < sizeof(a->clocks) / sizeof(a->clocks[0]); i++)
			if (a->clocks[i].host_id == f->host_id)
				h = a->clocks[i].host;
		fputs(", \"host\": ", out);
		nt_json_str(out, h);
	}
	fprintf(out, ", \"pid\": %u, ", f->pid);
	jtime(out, "start", f->t_start);
	fputs(", ", out);
	jtime(out, "end", f->t_end);
	fprintf(out, ", \"count\": %llu, \"count2\": %llu, \"duration_s\": %.3f, \"longest_s\": %.3f"
		     ", \"value\": %.3f, \"baseline\": %.3f, \"side\": ",
		(unsigned long long)f->count, (unsigned long long)f->count2, (double)f->duration_ns / 1e9,
		(double)f->max_ns / 1e9, f->value, f->baseline);
	nt_json_str(out, opt_str(f->side));
	fputs(", \"what\": ", out);
	nt_json_str(out, f->what);
	fprintf(out, ", \"open_at_end\": %s, \"impact\": %.3f, \"summary\": ", f->open_at_end ? "true" : "false",
		f->impact);
	nt_json_str(out, f->summary);
	fputs("}", out);
}

static void incident_json(FILE *out, const struct nt_analysis *a, const struct nt_incident *in, int first)
{
	fprintf(out, "%s\n    {\"id\": %d, \"title\": ", first ? "" : ",", in->id);
	nt_json_str(out, in->title);
	fprintf(out, ", \"kind\": ");
	nt_json_str(out, nt_fkind_name(in->primary));
	fprintf(out, ", \"impact\": %.3f,\n     \"host\": ", in->impact);
	nt_json_str(out, opt_str(in->host));
	fprintf(out, ", \"process\": {\"pid\": %u, \"comm\": ", in->pid);
	nt_json_str(out, opt_str(in->comm));
	fputs(", \"container\": ", out);
	nt_json_str(out, opt_str(in->container));
	fputs("},\n     \"time_window\": {", out);
	jtime(out, "start", in->t_start);
	fputs(", ", out);
	jtime(out, "end", in->t_end);
	fprintf(out, ", \"start_ns\": %lld, \"end_ns\": %lld, \"duration_s\": %.3f},\n     \"cause\": ",
		(long long)in->t_start, (long long)in->t_end, (double)(in->t_end - in->t_start) / 1e9);
	nt_json_str(out, in->cause);
	fputs(",\n     \"fix_hint\": ", out);
	nt_json_str(out, in->fix);
	fputs(",\n     \"caveat\": ", out);
	nt_json_str(out, opt_str(in->caveat));
	fputs(",\n     \"culprit\": ", out);
	if (!in->culprit.valid) {
		fputs("null", out);
	} else {
		const struct nt_culprit *cu = &in->culprit;
		fputs("{\"host\": ", out);
		nt_json_str(out, opt_str(cu->host));
		fputs(", \"netns\": ", out);
		nt_json_str(out, opt_str(cu->netns));
		{
			/* addrs is "A, B, C": address is the one, addresses all of them. */
			char one[128];
			const char *q = cu->addrs;
			snprintf(one, sizeof(one), "%.*s", (int)strcspn(q, ","), q);
			fputs(", \"address\": ", out);
			nt_json_str(out, opt_str(one));
			fputs(", \"addresses\": [", out);
			for (int k = 0; *q; k++) {
				size_t l = strcspn(q, ",");
				snprintf(one, sizeof(one), "%.*s", (int)l, q);
				fputs(k ? ", " : "", out);
				nt_json_str(out, one);
				q += l;
				while (*q == ',' || *q == ' ')
					q++;
			}
			fputs("]", out);
		}
		fprintf(out, ", \"pid\": %u, \"comm\": ", cu->pid);
		nt_json_str(out, opt_str(cu->comm));
		fputs(", \"container\": ", out);
		nt_json_str(out, opt_str(cu->container));
		fputs(", \"setting\": ", out);
		nt_json_str(out, cu->setting);
		fprintf(out, ", \"connections\": %lld, \"unscaled\": %lld}", (long long)cu->connections,
			(long long)cu->unscaled);
	}
	fputs(",\n     \"related\": [", out);
	for (size_t j = 0; j < in->nrelated; j++) {
		const struct nt_related *r = &in->related[j];
		fputs(j ? ", {\"role\": " : "{\"role\": ", out);
		nt_json_str(out, r->role);
		fputs(", \"host\": ", out);
		nt_json_str(out, opt_str(r->host));
		fprintf(out, ", \"pid\": %u, \"comm\": ", r->pid);
		nt_json_str(out, opt_str(r->comm));
		fputs(", \"container\": ", out);
		nt_json_str(out, opt_str(r->container));
		fprintf(out, ", \"connections\": %lld, \"bytes\": %lld, \"dest\": ", (long long)r->connections, (long long)r->bytes);
		nt_json_str(out, opt_str(r->dest));
		fprintf(out, ", \"toward_victim\": %s}", r->toward_victim ? "true" : "false");
	}
	fputs("]", out);
	fputs(",\n     \"connections\": [", out);
	for (size_t j = 0, k = 0; j < in->nconns; j++) {
		const struct nt_conninfo *c = nt_analysis_conn(a, in->conns[j]);
		if (!c)
			continue;
		fputs(k++ ? ",\n       " : "\n       ", out);
		conn_json(out, c);
	}
	fputs("],\n     \"evidence\": [", out);
	for (size_t j = 0; j < in->nfind; j++) {
		fputs(j ? ",\n       " : "\n       ", out);
		finding_json(out, a, &a->findings.v[in->find[j]]);
	}
	fputs("]}", out);
}

int nt_report_json(FILE *out, const struct nt_analysis *a, char *err)
{
	fputs("{\n  \"nettape_report\": 1,\n  \"data\": {\"hosts\": ", out);
	nt_json_str(out, a->hosts);
	fputs(", ", out);
	jtime(out, "first", a->data_first);
	fputs(", ", out);
	jtime(out, "last", a->data_last);
	fprintf(out, ", \"events\": %lld, \"connections\": %lld, \"chunks\": %lld, \"lost_events\": %lld",
		(long long)a->events, (long long)a->connections, (long long)a->chunks, (long long)a->lost_events);
	if (a->nclocks) {
		/* several hosts: each one's clock alignment (docs/SCHEMA.md "Report JSON") */
		fputs(", \"clocks\": [", out);
		for (size_t i = 0; i < a->nclocks && i < sizeof(a->clocks) / sizeof(a->clocks[0]); i++) {
			const struct nt_host_clock *c = &a->clocks[i];
			fputs(i ? ", {\"host\": " : "{\"host\": ", out);
			nt_json_str(out, c->host);
			fputs(", \"alignment\": ", out);
			nt_json_str(out, c->source[0] ? c->source : NULL);
			fprintf(out, ", \"offset_ns\": %lld, \"bound_ns\": ", (long long)c->offset_ns);
			if (c->bound_ns >= 0)
				fprintf(out, "%lld", (long long)c->bound_ns);
			else
				fputs("null", out);
			fprintf(out, ", \"pairs\": %lld, \"edges\": %lld, \"reference\": ", (long long)c->pairs,
				(long long)c->edges);
			nt_json_str(out, c->ref[0] ? c->ref : NULL);
			fputc('}', out);
		}
		fputc(']', out);
	}
	fputs("},\n", out);
	fputs("  \"filter\": {", out);
	jtime(out, "from", a->filter.from);
	fputs(", ", out);
	jtime(out, "to", a->filter.to);
	fputs(", \"conn_id\": ", out);
	if (a->filter.conn_id)
		fprintf(out, "%lld", (long long)a->filter.conn_id);
	else
		fputs("null", out);
	fputs(", \"pid\": ", out);
	if (a->filter.pid)
		fprintf(out, "%u", a->filter.pid);
	else
		fputs("null", out);
	fputs("},\n  \"incidents\": [", out);
	for (size_t i = 0; i < a->ninc; i++)
		incident_json(out, a, &a->inc[i], i == 0);
	fputs(a->ninc ? "\n  ],\n" : "],\n", out);
	/* Notes (below incident.min_impact) are always listed here: JSON is for machines. */
	fprintf(out, "  \"min_impact\": %.3f,\n  \"notes\": [", a->opts.incident_min_impact);
	for (size_t i = 0; i < a->nnotes; i++)
		incident_json(out, a, &a->inc[a->ninc + i], i == 0);
	fputs(a->nnotes ? "\n  ]\n}\n" : "]\n}\n", out);
	if (ferror(out)) {
		snprintf(err, NT_ERRLEN, "write error");
		return -1;
	}
	return 0;
}
