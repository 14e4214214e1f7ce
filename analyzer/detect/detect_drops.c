/* detect_drops.c: drop detectors: drops by reason, location, owner and connection; listen-queue overflows per listener. */
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "detect/detect.h"
#include "util/hmap.h"
#include "names.h"
#include "util/timefmt.h"

#define OOM(c) (snprintf((c)->err, NT_ERRLEN, "out of memory"), -1)

int nt_drop_teardown(const struct nt_finding *f)
{
	return f->kind == NT_F_DROPS && f->drop_class == NT_DROP_CLASS_TEARDOWN;
}

int nt_drop_duplicate(const struct nt_finding *f)
{
	return f->kind == NT_F_DROPS && f->drop_class == NT_DROP_CLASS_DUPLICATE;
}

/*
 * Drops: one finding per (connection or tuple, reason, location).
 * TCP_LISTEN_OVERFLOW is left to the listen detector. TCP_OLD_SEQUENCE
 * drops on a connection inside one of its zero-window episodes (1 s slack)
 * are zero-window probes, not loss: they are counted in count2 only.
 */
int nt_detect_drops(struct nt_detect_ctx *c)
{
	sqlite3_stmt *s = nt_detect_prepare(c,
		"SELECT d.conn_id, COALESCE(r.name, '?'), COALESCE(s.name, '?'), d.ts, COALESCE(NULLIF(c.pid, 0), d.pid),"
		"  COALESCE(c.host_id, k.host_id), d.saddr, d.sport, d.daddr, d.dport, d.pkt_order"
		" FROM drops d JOIN chunks k USING (chunk_id) LEFT JOIN connections c USING (conn_id)"
		" LEFT JOIN drop_reasons r USING (reason_id) LEFT JOIN symbols s USING (sym_id)"
		" WHERE COALESCE(r.name, '') <> 'TCP_LISTEN_OVERFLOW' AND" NT_FILTER_SQL("d", "c")
		" ORDER BY d.ts");
	struct hmap groups;
	size_t first = c->out->n;
	int rc, ret = -1;

	if (!s)
		return -1;
	hmap_init(&groups);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t conn = sqlite3_column_int64(s, 0);
		const char *reason = (const char *)sqlite3_column_text(s, 1);
		const char *loc = (const char *)sqlite3_column_text(s, 2);
		int64_t ts = sqlite3_column_int64(s, 3);
		const char *sa = (const char *)sqlite3_column_text(s, 6);
		const char *da = (const char *)sqlite3_column_text(s, 8);
		char key[512];
		int64_t gi;
		struct nt_finding *f;
		int probe = !strcmp(reason, "TCP_OLD_SEQUENCE") && conn &&
			    nt_detect_in_zero_window(c, conn, ts, 1000000000LL);

		if (conn)
			snprintf(key, sizeof(key), "%lld|%s|%s", (long long)conn, reason, loc);
		else /* no connection: group by the packet's destination service */
			snprintf(key, sizeof(key), "t|%lld|%s|%s|%s:%d", (long long)sqlite3_column_int64(s, 5),
				 reason, loc, da ? da : "?", sqlite3_column_int(s, 9));
		uint64_t h = hash_bytes(key, strlen(key), 7);
		if (!hmap_get(&groups, h, &gi)) {
			f = nt_findings_add(c->out, NT_F_DROPS);
			if (!f || hmap_put(&groups, h, (int64_t)(c->out->n - 1))) {
				ret = OOM(c);
				goto out;
			}
			gi = (int64_t)(c->out->n - 1);
			f->conn_id = conn;
			f->pid = (uint32_t)sqlite3_column_int64(s, 4);
			f->host_id = sqlite3_column_int64(s, 5);
			f->t_start = ts;
			snprintf(f->what, sizeof(f->what), "%s at %s", reason, loc);
			f->drop_class = (int)nt_drop_class_of(reason);
			snprintf(f->drop_reason, sizeof(f->drop_reason), "%s", nt_drop_reason_short(reason));
			if (!strcmp(nt_drop_reason_short(reason), "QDISC_DROP"))
				f->drop_flags |= NT_DROPF_QDISC;
			if (!strcmp(nt_drop_reason_short(reason), "NETFILTER_DROP") || !strncmp(loc, "nf_hook", 7))
				f->drop_flags |= NT_DROPF_NETFILTER;
			if (!conn)
				snprintf(f->side, sizeof(f->side), "pkt");
			/* Remember the tuple for conn-less drops in summary until finalised. */
			if (!conn)
				snprintf(f->summary, sizeof(f->summary), "%s:%d -> %s:%d", sa ? sa : "?",
					 sqlite3_column_int(s, 7), da ? da : "?", sqlite3_column_int(s, 9));
		}
		f = &c->out->v[gi];
		if (probe)
			f->count2++;
		else
			f->count++;
		if (ts > f->t_end)
			f->t_end = ts;
		if (ts < f->t_start)
			f->t_start = ts;
	}
	if (rc != SQLITE_DONE) {
		snprintf(c->err, NT_ERRLEN, "drops detector: %s", sqlite3_errmsg(c->db));
		goto out;
	}
	/* Finalise: drop groups under the threshold (or only probes), write the evidence. */
	size_t w = first;
	for (size_t i = first; i < c->out->n; i++) {
		struct nt_finding *f = &c->out->v[i];
		char tuple[sizeof(f->summary)];
		if ((double)f->count < c->opts->drops_min || f->count == 0)
			continue;
		snprintf(tuple, sizeof(tuple), "%s", f->summary);
		snprintf(f->summary, sizeof(f->summary), "%llu drop%s: %.140s%s%.110s%s", (unsigned long long)f->count,
			 f->count == 1 ? "" : "s", f->what, f->conn_id ? "" : " (no socket; packet ",
			 f->conn_id ? "" : tuple, f->conn_id ? "" : ")");
		if (f->count2)
			snprintf(f->summary + strlen(f->summary), sizeof(f->summary) - strlen(f->summary),
				 "; %llu more were zero-window probes", (unsigned long long)f->count2);
		/* Teardown noise (a process closed or died: segments to a closed socket,
		 * resets on a listener) is evidence, not a cause: it must not outrank. */
		/* Duplicates the receiver discarded are the echo of retransmits
		 * (spurious ones on a healthy path too): evidence, not a cause. */
		f->impact = nt_drop_teardown(f) || nt_drop_duplicate(f) ?
			    0.2 + 0.01 * (double)f->count : 1.0 + 0.1 * (double)f->count;
		c->out->v[w++] = *f;
	}
	c->out->n = w;
	ret = 0;
out:
	hmap_free(&groups);
	sqlite3_finalize(s);
	return ret;
}

/* ---- listen overflows ---- */

struct listener {
	int64_t conn_id, host_id;
	uint32_t pid;
	int lport;
	char laddr[64];
	uint64_t drops, overflows, full, syn, synack;
	int64_t max_backlog, peak;
	int64_t first, last;
};

static void touch(struct listener *l, int64_t ts)
{
	if (!l->first || ts < l->first)
		l->first = ts;
	if (ts > l->last)
		l->last = ts;
}

static int wildcard(const char *a)
{
	return !strcmp(a, "0.0.0.0") || !strcmp(a, "::");
}

/* The listener serving (host, addr, port): exact address first, else a wildcard one. -1 if none. */
static int64_t find_listener(struct listener *v, size_t n, int64_t host, const char *addr, int port)
{
	int64_t wild = -1;

	for (size_t i = 0; i < n; i++) {
		if (v[i].lport != port || (host && v[i].host_id != host))
			continue;
		if (addr && !strcmp(v[i].laddr, addr))
			return (int64_t)i;
		if (wildcard(v[i].laddr) || !addr)
			wild = (int64_t)i;
	}
	return wild;
}

int nt_detect_listen(struct nt_detect_ctx *c)
{
	struct listener *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *s = NULL;
	int rc, ret = -1;
	/* Unmatched client SYN retransmits, per (host, pid, destination). */
	struct hmap syn_groups, by_conn;

	hmap_init(&syn_groups);
	hmap_init(&by_conn);
	s = nt_detect_prepare(c, "SELECT conn_id, host_id, pid, laddr, lport FROM connections WHERE listener = 1"
				 " ORDER BY conn_id");
	if (!s)
		goto out;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			struct listener *nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				ret = OOM(c);
				goto out;
			}
			v = nv;
		}
		struct listener *l = &v[n++];
		memset(l, 0, sizeof(*l));
		l->conn_id = sqlite3_column_int64(s, 0);
		l->host_id = sqlite3_column_int64(s, 1);
		l->pid = (uint32_t)sqlite3_column_int64(s, 2);
		snprintf(l->laddr, sizeof(l->laddr), "%s", sqlite3_column_text(s, 3) ? (const char *)sqlite3_column_text(s, 3) : "");
		l->lport = sqlite3_column_int(s, 4);
	}
	sqlite3_finalize(s);

	/* 1. Listener samples. */
	s = nt_detect_prepare(c, "SELECT l.conn_id, l.ts, l.backlog, l.max_backlog, l.overflows FROM listens l"
				 " LEFT JOIN connections c USING (conn_id) WHERE (:from IS NULL OR l.ts >= :from)"
				 " AND (:to IS NULL OR l.ts <= :to) AND (:pid IS NULL OR c.pid = :pid)");
	if (!s)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (hmap_put(&by_conn, (uint64_t)v[i].conn_id, (int64_t)i)) {
			ret = OOM(c);
			goto out;
		}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t conn = sqlite3_column_int64(s, 0), li;
		if (hmap_get(&by_conn, (uint64_t)conn, &li)) {
			size_t i = (size_t)li;
			int64_t bl = sqlite3_column_int64(s, 2), mx = sqlite3_column_int64(s, 3);
			int64_t ov = sqlite3_column_int64(s, 4);
			if (mx > v[i].max_backlog)
				v[i].max_backlog = mx;
			if (bl > v[i].peak)
				v[i].peak = bl;
			v[i].overflows += (uint64_t)ov;
			if ((mx > 0 && bl >= mx) || ov > 0) {
				v[i].full += bl >= mx && mx > 0;
				touch(&v[i], sqlite3_column_int64(s, 1));
			}
		}
	}
	sqlite3_finalize(s);

	/* 2. TCP_LISTEN_OVERFLOW drops (by name: numbers differ between kernels). */
	s = nt_detect_prepare(c,
		"SELECT d.conn_id, COALESCE(c.listener, 0), COALESCE(c.host_id, k.host_id), d.ts, d.pkt_order,"
		"  d.saddr, d.sport, d.daddr, d.dport, c.lport"
		" FROM drops d JOIN chunks k USING (chunk_id) JOIN drop_reasons r USING (reason_id)"
		" LEFT JOIN connections c USING (conn_id)"
		" WHERE r.name = 'TCP_LISTEN_OVERFLOW' AND (:from IS NULL OR d.ts >= :from) AND (:to IS NULL OR d.ts <= :to)");
	if (!s)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t conn = sqlite3_column_int64(s, 0), li = -1;
		int64_t host = sqlite3_column_int64(s, 2);
		if (conn && sqlite3_column_int(s, 1) && !hmap_get(&by_conn, (uint64_t)conn, &li))
			li = -1;
		if (li < 0) {
			int po = sqlite3_column_int(s, 4);
			int port = conn ? sqlite3_column_int(s, 9) : (po ? sqlite3_column_int(s, 8) : sqlite3_column_int(s, 6));
			const char *a = (const char *)sqlite3_column_text(s, po ? 7 : 5);
			li = find_listener(v, n, host, a, port);
		}
		if (li >= 0) {
			v[li].drops++;
			touch(&v[li], sqlite3_column_int64(s, 3));
		}
	}
	sqlite3_finalize(s);

	/* 3. SYN-ACK retransmits (server side) and client SYN retransmits. */
	s = nt_detect_prepare(c,
		"SELECT t.kind, c.host_id, c.laddr, c.lport, c.raddr, c.rport, t.ts, c.pid, c.conn_id FROM retransmits t"
		" JOIN connections c USING (conn_id) WHERE t.kind IN (1, 2)"
		" AND (:from IS NULL OR t.ts >= :from) AND (:to IS NULL OR t.ts <= :to)");
	if (!s)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int kind = sqlite3_column_int(s, 0);
		int64_t host = sqlite3_column_int64(s, 1), ts = sqlite3_column_int64(s, 6), li;
		const char *la = (const char *)sqlite3_column_text(s, 2);
		const char *ra = (const char *)sqlite3_column_text(s, 4);
		if (kind == 2) {
			li = find_listener(v, n, host, la, sqlite3_column_int(s, 3));
			if (li >= 0) {
				v[li].synack++;
				touch(&v[li], ts);
			}
			continue;
		}
		/* A client SYN: the listener may be on any imported host. */
		li = find_listener(v, n, 0, ra, sqlite3_column_int(s, 5));
		if (li >= 0) {
			v[li].syn++;
			touch(&v[li], ts);
			continue;
		}
		char key[200];
		int64_t gi;
		uint32_t pid = (uint32_t)sqlite3_column_int64(s, 7);
		if (c->filter->pid && pid != c->filter->pid)
			continue;
		snprintf(key, sizeof(key), "%lld|%u|%s|%d", (long long)host, pid, ra ? ra : "?", sqlite3_column_int(s, 5));
		uint64_t h = hash_bytes(key, strlen(key), 3);
		struct nt_finding *f;
		if (!hmap_get(&syn_groups, h, &gi)) {
			f = nt_findings_add(c->out, NT_F_SYN_RETRANS);
			if (!f || hmap_put(&syn_groups, h, (int64_t)(c->out->n - 1))) {
				ret = OOM(c);
				goto out;
			}
			gi = (int64_t)(c->out->n - 1);
			f->host_id = host;
			f->pid = pid;
			f->conn_id = sqlite3_column_int64(s, 8);
			f->t_start = ts;
			snprintf(f->what, sizeof(f->what), "%s%s%s:%d", ra && strchr(ra, ':') ? "[" : "", ra ? ra : "?",
				 ra && strchr(ra, ':') ? "]" : "", sqlite3_column_int(s, 5));
		}
		f = &c->out->v[gi];
		f->count++;
		if (f->conn_id != sqlite3_column_int64(s, 8))
			f->count2 = 1; /* several connections */
		if (ts < f->t_start)
			f->t_start = ts;
		if (ts > f->t_end)
			f->t_end = ts;
	}
	sqlite3_finalize(s);
	s = NULL;

	/* Unmatched SYN retransmit groups: keep those over the threshold. */
	{
		size_t w = 0;
		for (size_t i = 0; i < c->out->n; i++) {
			struct nt_finding *f = &c->out->v[i];
			if (f->kind == NT_F_SYN_RETRANS) {
				if ((double)f->count < c->opts->listen_min_syn_retrans)
					continue;
				if (f->count2)
					f->conn_id = 0;
				snprintf(f->summary, sizeof(f->summary),
					 "%llu SYN retransmit%s to %s: connection attempts were not answered in time "
					 "(no listener for it on the recorded hosts)",
					 (unsigned long long)f->count, f->count == 1 ? "" : "s", f->what);
				f->impact = 1.0 + 0.5 * (double)f->count;
			}
			c->out->v[w++] = *f;
		}
		c->out->n = w;
	}

	for (size_t i = 0; i < n; i++) {
		struct listener *l = &v[i];
		struct nt_finding *f;
		if (c->filter->conn_id && c->filter->conn_id != l->conn_id)
			continue;
		if (c->filter->pid && c->filter->pid != l->pid)
			continue;
		/* The sampled overflow count is the listener's drop counter, which also
		 * counts other drops on the listener (resets at teardown): alone it is
		 * no proof. It counts only with corroboration: an overflow drop, a full
		 * sample or SYN / SYN-ACK retransmits toward this listener. */
		if (!l->drops && !l->full && !l->syn && !l->synack)
			l->overflows = 0;
		if (!l->drops && !l->overflows && !l->full && (double)(l->syn + l->synack) < c->opts->listen_min_syn_retrans)
			continue;
		f = nt_findings_add(c->out, NT_F_LISTEN_OVERFLOW);
		if (!f) {
			ret = OOM(c);
			goto out;
		}
		f->conn_id = l->conn_id;
		f->host_id = l->host_id;
		f->pid = l->pid;
		f->t_start = l->first;
		f->t_end = l->last;
		f->count = l->drops + l->overflows;
		f->count2 = l->syn + l->synack;
		f->value = (double)l->max_backlog;
		f->baseline = (double)l->peak;
		snprintf(f->what, sizeof(f->what), "%s%s%s:%d", strchr(l->laddr, ':') ? "[" : "", l->laddr,
			 strchr(l->laddr, ':') ? "]" : "", l->lport);
		snprintf(f->summary, sizeof(f->summary),
			 "%llu overflow drop%s (%llu TCP_LISTEN_OVERFLOW drops, %llu counted by samples), "
			 "%llu samples with a full accept queue (backlog %lld of max %lld), %llu client SYN and %llu SYN-ACK retransmits",
			 (unsigned long long)f->count, f->count == 1 ? "" : "s", (unsigned long long)l->drops,
			 (unsigned long long)l->overflows, (unsigned long long)l->full, (long long)l->peak,
			 (long long)l->max_backlog, (unsigned long long)l->syn, (unsigned long long)l->synack);
		f->impact = 2.0 + 0.5 * (double)(f->count + f->count2) + 0.2 * (double)l->full;
	}
	ret = 0;
out:
	if (ret && !c->err[0])
		snprintf(c->err, NT_ERRLEN, "listen detector: %s", sqlite3_errmsg(c->db));
	sqlite3_finalize(s);
	hmap_free(&syn_groups);
	hmap_free(&by_conn);
	free(v);
	return ret;
}
