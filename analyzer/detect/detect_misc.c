/* detect_misc.c: read stalls and slow responses, resets, and losses of the recorder itself. */
#include <math.h>
#include <string.h>

#include "store/store.h"
#include "detect/detect.h"
#include "util/timefmt.h"

int nt_detect_stalls(struct nt_detect_ctx *c)
{
	struct nt_stmt *s = nt_detect_prepare(c,
		"SELECT t.conn_id, t.kind, count(*), sum(t.wait_ns), max(t.wait_ns), min(t.ts), max(t.ts), c.host_id, c.pid,"
		"  sum(t.bytes)"
		" FROM stalls t JOIN connections c USING (conn_id)"
		" WHERE ((t.kind = 0 AND t.wait_ns >= :readns) OR (t.kind = 1 AND t.wait_ns >= :respns)) AND"
		NT_FILTER_SQL("t", "c") " GROUP BY t.conn_id, t.kind ORDER BY t.conn_id, t.kind");
	int rc;

	if (!s)
		return -1;
	nt_stmt_bind_int(s, nt_stmt_param(s, ":readns"), (int64_t)(c->opts->stall_read_ms * 1e6));
	nt_stmt_bind_int(s, nt_stmt_param(s, ":respns"), (int64_t)(c->opts->stall_response_ms * 1e6));
	while ((rc = nt_stmt_step(s)) == NT_STORE_ROW) {
		int kind = (int)nt_col_int(s, 1);
		struct nt_finding *f = nt_findings_add(c->out, kind == 0 ? NT_F_READ_STALL : NT_F_SLOW_RESPONSE);
		char d1[32], d2[32];
		if (!f)
			break;
		f->conn_id = nt_col_int(s, 0);
		f->count = (uint64_t)nt_col_int(s, 2);
		f->duration_ns = nt_col_int(s, 3);
		f->max_ns = nt_col_int(s, 4);
		/* A stall is reported when it ends: it started wait_ns earlier. */
		f->t_start = nt_col_int(s, 5) - f->max_ns;
		f->t_end = nt_col_int(s, 6);
		f->host_id = nt_col_int(s, 7);
		f->pid = (uint32_t)nt_col_int(s, 8);
		f->count2 = (uint64_t)nt_col_int(s, 9);
		snprintf(f->what, sizeof(f->what), "%s", kind == 0 ? "read stall" : "slow response");
		snprintf(f->summary, sizeof(f->summary),
			 kind == 0 ? "%llu read stall%s: data waited in the receive queue %s in total, longest %s"
				   : "%llu slow response%s: request to response took %s in total, longest %s",
			 (unsigned long long)f->count, f->count == 1 ? "" : "s", nt_dur_fmt(f->duration_ns, d1, sizeof(d1)),
			 nt_dur_fmt(f->max_ns, d2, sizeof(d2)));
		f->impact = 10.0 * (double)f->duration_ns / 1e9 + 0.1 * (double)f->count;
	}
	nt_stmt_finalize(s);
	if (rc != NT_STORE_DONE) {
		snprintf(c->err, NT_ERRLEN, "stall detector: %s", nt_store_errmsg(c->st));
		return -1;
	}
	return 0;
}

int nt_detect_resets(struct nt_detect_ctx *c)
{
	struct nt_stmt *s = nt_detect_prepare(c,
		"SELECT t.conn_id, sum(t.kind = 0), sum(t.kind = 1), min(t.ts), max(t.ts), c.host_id, c.pid,"
		"  group_concat(DISTINCT t.reason_name), max(t.state), c.listener"
		" FROM resets t JOIN connections c USING (conn_id) WHERE" NT_FILTER_SQL("t", "c")
		" GROUP BY t.conn_id HAVING count(*) >= :minn ORDER BY t.conn_id");
	int rc;

	if (!s)
		return -1;
	nt_stmt_bind_double(s, nt_stmt_param(s, ":minn"), c->opts->reset_min);
	while ((rc = nt_stmt_step(s)) == NT_STORE_ROW) {
		struct nt_finding *f = nt_findings_add(c->out, NT_F_RESET);
		const char *why = nt_col_text(s, 7);
		if (!f)
			break;
		f->conn_id = nt_col_int(s, 0);
		f->count = (uint64_t)nt_col_int(s, 1);  /* sent */
		f->count2 = (uint64_t)nt_col_int(s, 2); /* received */
		f->t_start = nt_col_int(s, 3);
		f->t_end = nt_col_int(s, 4);
		f->host_id = nt_col_int(s, 5);
		f->pid = (uint32_t)nt_col_int(s, 6);
		snprintf(f->side, sizeof(f->side), "%s", f->count && f->count2 ? "both" : f->count ? "sent" : "received");
		snprintf(f->what, sizeof(f->what), "%s", why ? why : "");
		snprintf(f->summary, sizeof(f->summary), "%llu reset%s sent, %llu received%s%s",
			 (unsigned long long)f->count, f->count == 1 ? "" : "s", (unsigned long long)f->count2,
			 why ? "; reason " : "", why ? why : "");
		/* Mostly teardown (a process closed or died): evidence, not a cause that outranks. */
		f->impact = 1.0 + 0.1 * (double)(f->count + f->count2 > 20 ? 20 : f->count + f->count2);
		/* A listening socket answering ACKs with resets (reason TCP_FLAGS
		 * only): segments of connections it no longer has, typically the
		 * late ACK/FIN of a closed one, or a handshake ACK that raced its
		 * request socket in a connection burst. Normal traffic: a note. */
		if (nt_col_int(s, 9) == 1 && f->count2 == 0 && why && !strcmp(why, "TCP_FLAGS")) {
			f->harmless = 1;
			f->impact = 0.5;
			snprintf(f->summary, sizeof(f->summary),
				 "%llu reset%s sent by the listener in answer to stray segments (reason TCP_FLAGS: an ACK for a "
				 "connection it no longer has, usually a late segment of a closed one)",
				 (unsigned long long)f->count, f->count == 1 ? "" : "s");
		}
	}
	nt_stmt_finalize(s);
	if (rc != NT_STORE_DONE) {
		snprintf(c->err, NT_ERRLEN, "reset detector: %s", nt_store_errmsg(c->st));
		return -1;
	}
	return 0;
}

int nt_detect_losses(struct nt_detect_ctx *c)
{
	struct nt_stmt *s = nt_detect_prepare(c,
		"SELECT l.host_id, sum(l.count), min(l.from_ts), max(l.to_ts), group_concat(DISTINCT l.class)"
		" FROM losses l WHERE (:from IS NULL OR l.to_ts >= :from) AND (:to IS NULL OR l.from_ts <= :to)"
		" GROUP BY l.host_id HAVING sum(l.count) >= :minn ORDER BY l.host_id");
	int rc;

	if (!s)
		return -1;
	nt_stmt_bind_double(s, nt_stmt_param(s, ":minn"), c->opts->loss_min);
	while ((rc = nt_stmt_step(s)) == NT_STORE_ROW) {
		struct nt_finding *f = nt_findings_add(c->out, NT_F_RECORDER_LOSS);
		const char *cls = nt_col_text(s, 4);
		char t1[32], t2[32];
		if (!f)
			break;
		f->host_id = nt_col_int(s, 0);
		f->count = (uint64_t)nt_col_int(s, 1);
		f->t_start = nt_col_int(s, 2);
		f->t_end = nt_col_int(s, 3);
		f->duration_ns = f->t_end - f->t_start;
		snprintf(f->what, sizeof(f->what), "%s", cls ? cls : "all");
		snprintf(f->summary, sizeof(f->summary),
			 "the recorder lost %llu events (%s) between %s and %s: findings in that window are incomplete, "
			 "a quiet period there is not proof of health",
			 (unsigned long long)f->count, f->what, nt_time_hms(f->t_start, t1, sizeof(t1)),
			 nt_time_hms(f->t_end, t2, sizeof(t2)));
		f->impact = 1.0 + log10((double)f->count);
	}
	nt_stmt_finalize(s);
	if (rc != NT_STORE_DONE) {
		snprintf(c->err, NT_ERRLEN, "loss detector: %s", nt_store_errmsg(c->st));
		return -1;
	}
	return 0;
}
