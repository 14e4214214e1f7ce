/* detect_retrans.c: retransmission detector: RTO (TCP_CA_Loss) episodes versus fast retransmits (TCP_CA_Recovery). */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "detect/detect.h"
#include "util/hmap.h"
#include "names.h"
#include "util/timefmt.h"

#define CA_RECOVERY 3
#define CA_LOSS 4
#define NS 1000000000LL

struct rconn {
	int64_t conn_id, host_id;
	uint32_t pid;
	/* From congestion-state transitions. */
	uint64_t loss_eps, rec_eps;
	int64_t loss_ns, rec_ns, loss_longest;
	int64_t loss_start, rec_start;       /* open episode start, 0 = none */
	/* From retransmit events (data only). */
	uint64_t rto_retrans, fast_retrans, other_retrans;
	int64_t max_backoff, max_rto_us;
	int64_t rto_first, rto_last, fast_first, fast_last;
	int64_t last_rto_ts;                 /* for clustering when no cong events */
	uint64_t rto_clusters;
	int64_t last_ts;
	/* Undone episodes (the kernel found the reduction spurious) and the
	 * connection's cumulative segments: retransmitted, D-SACKed. */
	uint64_t loss_undone, rec_undone;
	uint64_t retrans_segs, dsack_dups;
	int64_t first_ts;
};

static struct rconn *get(struct rconn **v, size_t *n, size_t *cap, struct hmap *idx, int64_t conn)
{
	int64_t i;

	if (*n && (*v)[*n - 1].conn_id == conn)
		return &(*v)[*n - 1];
	if (hmap_get(idx, (uint64_t)conn, &i))
		return &(*v)[i];
	if (hmap_put(idx, (uint64_t)conn, (int64_t)*n))
		return NULL;
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct rconn *nv = realloc(*v, ncap * sizeof(*nv));
		if (!nv)
			return NULL;
		*v = nv;
		*cap = ncap;
	}
	struct rconn *r = &(*v)[(*n)++];
	memset(r, 0, sizeof(*r));
	r->conn_id = conn;
	return r;
}

static void span(int64_t *first, int64_t *last, int64_t ts)
{
	if (!*first || ts < *first)
		*first = ts;
	if (ts > *last)
		*last = ts;
}

/* Statements of loss_evidence(), prepared once per detector run. */
struct loss_q {
	struct nt_stmt *mirror; /* the connection's other end recorded on the same host */
	struct nt_stmt *drops;  /* drop reasons on the connection or its other end */
};

static int loss_q_prepare(struct nt_store *st, struct loss_q *q)
{
	memset(q, 0, sizeof(*q));
	if (!(q->mirror = nt_store_prepare(st,
			"SELECT count(*) FROM connections p JOIN connections x ON p.host_id = x.host_id"
			" AND p.laddr = x.raddr AND p.lport = x.rport AND p.raddr = x.laddr AND p.rport = x.lport"
			" WHERE x.conn_id = ?1", NULL)) ||
	    !(q->drops = nt_store_prepare(st,
			"SELECT DISTINCT r.name FROM drops d JOIN drop_reasons r USING (reason_id)"
			" WHERE d.conn_id = ?1 OR d.conn_id IN (SELECT p.conn_id FROM connections p JOIN connections x"
			" ON p.laddr = x.raddr AND p.lport = x.rport AND p.raddr = x.laddr AND p.rport = x.lport"
			" WHERE x.conn_id = ?1)", NULL)))
		return -1;
	return 0;
}

static void loss_q_free(struct loss_q *q)
{
	nt_stmt_finalize(q->mirror);
	nt_stmt_finalize(q->drops);
}

/* Whether a drop of a loss class (not teardown, not a duplicate, not noise) hit
 * the connection or its mirrored other end (the same tuple, swapped);
 * *local_path: that other end was recorded on the same host. */
static int loss_evidence(struct loss_q *q, int64_t conn, int *local_path)
{
	int hit = 0;

	nt_stmt_bind_int(q->mirror, 1, conn);
	*local_path = nt_stmt_step(q->mirror) == NT_STORE_ROW && nt_col_int(q->mirror, 0) > 0;
	nt_stmt_reset(q->mirror);
	nt_stmt_bind_int(q->drops, 1, conn);
	while (!hit && nt_stmt_step(q->drops) == NT_STORE_ROW)
		hit = nt_drop_class_of(nt_col_text(q->drops, 0)) == NT_DROP_CLASS_LOSS;
	nt_stmt_reset(q->drops);
	return hit;
}

int nt_detect_retrans(struct nt_detect_ctx *c)
{
	const struct nt_detect_opts *o = c->opts;
	struct rconn *v = NULL;
	size_t n = 0, cap = 0;
	struct hmap idx;
	struct loss_q lq = { 0 };
	struct nt_stmt *s;
	int rc, ret = -1;

	hmap_init(&idx);
	/* Congestion-state episodes, per connection in time order. */
	s = nt_detect_prepare(c,
		"SELECT t.conn_id, t.ts, t.new_state, c.host_id, c.pid, c.last_ts, t.old_state, t.undone FROM cong t"
		" JOIN connections c USING (conn_id)"
		" WHERE" NT_FILTER_SQL("t", "c") " ORDER BY t.conn_id, t.ts");
	if (!s)
		goto out;
	while ((rc = nt_stmt_step(s)) == NT_STORE_ROW) {
		struct rconn *r = get(&v, &n, &cap, &idx, nt_col_int(s, 0));
		int64_t ts = nt_col_int(s, 1);
		int st = (int)nt_col_int(s, 2);
		if (!r)
			goto oom;
		r->host_id = nt_col_int(s, 3);
		r->pid = (uint32_t)nt_col_int(s, 4);
		r->last_ts = nt_col_int(s, 5);
		if ((int)nt_col_int(s, 7)) {
			if ((int)nt_col_int(s, 6) == CA_LOSS)
				r->loss_undone++;
			else
				r->rec_undone++;
		}
		if (r->loss_start && st != CA_LOSS) {
			int64_t d = ts - r->loss_start;
			r->loss_ns += d;
			if (d > r->loss_longest)
				r->loss_longest = d;
			r->loss_start = 0;
		}
		if (r->rec_start && st != CA_RECOVERY) {
			r->rec_ns += ts - r->rec_start;
			r->rec_start = 0;
		}
		if (st == CA_LOSS && !r->loss_start) {
			r->loss_eps++;
			r->loss_start = ts;
			span(&r->rto_first, &r->rto_last, ts);
		} else if (st == CA_RECOVERY && !r->rec_start) {
			r->rec_eps++;
			r->rec_start = ts;
			span(&r->fast_first, &r->fast_last, ts);
		}
	}
	nt_stmt_finalize(s);
	s = NULL;
	if (rc != NT_STORE_DONE)
		goto sqlerr;
	for (size_t i = 0; i < n; i++) {
		if (v[i].loss_start) {
			int64_t d = v[i].last_ts - v[i].loss_start;
			v[i].loss_ns += d;
			if (d > v[i].loss_longest)
				v[i].loss_longest = d;
		}
		if (v[i].rec_start)
			v[i].rec_ns += v[i].last_ts - v[i].rec_start;
	}

	/* Data retransmits by congestion state (SYN/SYN-ACK belong to the listen detector). */
	s = nt_detect_prepare(c,
		"SELECT t.conn_id, t.ts, t.ca_state, t.backoff, t.rto_us, c.host_id, c.pid FROM retransmits t"
		" JOIN connections c USING (conn_id) WHERE t.kind = 0 AND" NT_FILTER_SQL("t", "c")
		" ORDER BY t.conn_id, t.ts");
	if (!s)
		goto out;
	while ((rc = nt_stmt_step(s)) == NT_STORE_ROW) {
		struct rconn *r = get(&v, &n, &cap, &idx, nt_col_int(s, 0));
		int64_t ts = nt_col_int(s, 1);
		int ca = (int)nt_col_int(s, 2);
		if (!r)
			goto oom;
		r->host_id = nt_col_int(s, 5);
		r->pid = (uint32_t)nt_col_int(s, 6);
		if (nt_col_int(s, 3) > r->max_backoff)
			r->max_backoff = nt_col_int(s, 3);
		if (nt_col_int(s, 4) > r->max_rto_us)
			r->max_rto_us = nt_col_int(s, 4);
		if (ca == CA_LOSS) {
			r->rto_retrans++;
			if (!r->last_rto_ts || ts - r->last_rto_ts > NS)
				r->rto_clusters++;
			r->last_rto_ts = ts;
			span(&r->rto_first, &r->rto_last, ts);
		} else if (ca == CA_RECOVERY) {
			r->fast_retrans++;
			span(&r->fast_first, &r->fast_last, ts);
		} else {
			r->other_retrans++;
			span(&r->fast_first, &r->fast_last, ts);
		}
	}
	nt_stmt_finalize(s);
	s = NULL;
	if (rc != NT_STORE_DONE)
		goto sqlerr;

	/* Cumulative segment counters of every connection that retransmitted. */
	s = nt_detect_prepare(c, "SELECT conn_id, retrans_segs, dsack_dups, host_id, pid, first_ts FROM connections c"
				 " WHERE retrans_segs > 0 AND (:conn IS NULL OR conn_id = :conn) AND (:pid IS NULL OR pid = :pid)"
				 " AND (:from IS NULL OR last_ts >= :from) AND (:to IS NULL OR first_ts <= :to)");
	if (!s)
		goto out;
	while ((rc = nt_stmt_step(s)) == NT_STORE_ROW) {
		struct rconn *r = get(&v, &n, &cap, &idx, nt_col_int(s, 0));
		if (!r)
			goto oom;
		r->retrans_segs = (uint64_t)nt_col_int(s, 1);
		r->dsack_dups = (uint64_t)nt_col_int(s, 2);
		r->host_id = nt_col_int(s, 3);
		r->pid = (uint32_t)nt_col_int(s, 4);
		r->first_ts = nt_col_int(s, 5);
	}
	nt_stmt_finalize(s);
	s = NULL;
	if (rc != NT_STORE_DONE)
		goto sqlerr;

	if (loss_q_prepare(c->st, &lq))
		goto sqlerr;
	for (size_t i = 0; i < n; i++) {
		struct rconn *r = &v[i];
		/* Spurious retransmissions: segments the receiver reported as duplicates
		 * (D-SACK). What is left over is loss, unless it is within the slack of
		 * the D-SACK count (GRO-coalesced duplicates are reported per block). */
		uint64_t spurious = r->dsack_dups < r->retrans_segs ? r->dsack_dups : r->retrans_segs;
		uint64_t lost = r->retrans_segs - spurious;
		int have_segs = r->retrans_segs > 0;
		if (have_segs && (double)lost <= o->spurious_slack * (double)spurious)
			lost = 0;
		/* D-SACKs undercount when duplicates arrive in bursts (the receiver reports one
		 * range per ACK); the kernel's own verdict is the undo: when it undid most
		 * recovery episodes, it found the retransmissions spurious. */
		if (have_segs && spurious && r->rec_eps >= 3 &&
		    (double)r->rec_undone >= o->spurious_undone_share * (double)r->rec_eps)
			lost = 0;
		/* Mostly spurious (at least half D-SACKed): the rest counts as loss only with a
		 * loss-class drop on the connection or its recorded other end; without one,
		 * the undercounted D-SACKs are the likelier story. */
		if (have_segs && lost) {
			int local_path = 0, drop = loss_evidence(&lq, r->conn_id, &local_path);
			/* Both ends recorded on this host: the path runs through this one kernel,
			 * where a lost segment is a recorded drop. None: nothing was lost. */
			if (!drop && (spurious >= lost || local_path))
				lost = 0;
		}
		/* Loss episodes without a timeout data retransmit are handshake timeouts
		 * (SYN_SENT enters Loss too): those belong to the listen detector. */
		uint64_t eps = r->loss_eps && r->rto_retrans ? r->loss_eps : r->rto_clusters;
		char d1[32], d2[32];
		/* Timeouts the kernel undid (spurious RTOs: the ACKs were late, not lost). */
		if (r->loss_eps && r->rto_retrans)
			eps = eps > r->loss_undone ? eps - r->loss_undone : 0;
		if (eps && (double)eps >= o->rto_min_episodes) {
			struct nt_finding *f = nt_findings_add(c->out, NT_F_RTO);
			if (!f)
				goto oom;
			f->conn_id = r->conn_id;
			f->host_id = r->host_id;
			f->pid = r->pid;
			f->t_start = r->rto_first;
			f->t_end = r->rto_last > r->rto_first ? r->rto_last : r->rto_first;
			if (r->loss_eps && r->rto_first + r->loss_ns > f->t_end)
				f->t_end = r->rto_first + r->loss_ns;
			f->count = eps;
			f->count2 = r->rto_retrans;
			f->duration_ns = r->loss_ns;
			f->max_ns = r->loss_longest;
			f->value = (double)r->max_backoff;
			f->baseline = (double)r->max_rto_us / 1000.0;
			snprintf(f->what, sizeof(f->what), "retransmission timeout");
			snprintf(f->summary, sizeof(f->summary),
				 "%llu RTO episode%s (TCP_CA_Loss), %s in loss state, longest %s, %llu timeout retransmit%s, "
				 "max backoff %lld, RTO up to %.0f ms",
				 (unsigned long long)eps, eps == 1 ? "" : "s", nt_dur_fmt(r->loss_ns, d1, sizeof(d1)),
				 nt_dur_fmt(r->loss_longest, d2, sizeof(d2)), (unsigned long long)r->rto_retrans,
				 r->rto_retrans == 1 ? "" : "s", (long long)r->max_backoff, f->baseline);
			f->impact = 5.0 * (double)eps + 10.0 * (double)r->loss_ns / 1e9;
		}
		uint64_t fast = r->fast_retrans + r->other_retrans;
		uint64_t rec_real = r->rec_eps > r->rec_undone ? r->rec_eps - r->rec_undone : 0;
		/* Counted in segments where the kernel's counters are known, minus the spurious ones. */
		if (have_segs)
			fast = fast ? (lost < r->retrans_segs ? lost : r->retrans_segs) : 0;
		if (have_segs && !lost)
			rec_real = 0;
		/* Each episode of real loss retransmitted at least one segment (that
		 * was not spurious, where segments are counted): no more such episodes
		 * than such retransmits (iperf3 on a loaded machine: 6 episodes, 3
		 * undone, 2 retransmits, no drop anywhere). */
		if (rec_real > fast)
			rec_real = fast;
		if (spurious) {
			struct nt_finding *f = nt_findings_add(c->out, NT_F_SPURIOUS);
			if (!f)
				goto oom;
			f->conn_id = r->conn_id;
			f->host_id = r->host_id;
			f->pid = r->pid;
			f->t_start = r->fast_first ? r->fast_first : r->rto_first ? r->rto_first : r->first_ts;
			f->t_end = r->fast_last > r->rto_last ? r->fast_last : r->rto_last;
			if (f->t_end < f->t_start)
				f->t_end = f->t_start;
			f->count = spurious;
			f->count2 = r->retrans_segs;
			f->value = (double)(r->rec_undone + r->loss_undone);
			f->baseline = (double)(r->rec_eps + r->loss_eps);
			snprintf(f->what, sizeof(f->what), "spurious retransmissions");
			snprintf(f->summary, sizeof(f->summary),
				 "%llu of %llu retransmitted segments were spurious (D-SACKed: the receiver already had them), "
				 "%llu of %llu recovery episodes undone: reordering on the path, %s",
				 (unsigned long long)spurious, (unsigned long long)r->retrans_segs,
				 (unsigned long long)(r->rec_undone + r->loss_undone),
				 (unsigned long long)(r->rec_eps + r->loss_eps),
				 lost ? "and some real loss" : "no loss");
			f->impact = 0.5 + 0.0001 * (double)(spurious < 10000 ? spurious : 10000); /* < 2: a note */
		}
		if (fast && ((double)fast >= o->fast_min_retrans || (rec_real && (double)rec_real >= o->fast_min_episodes))) {
			struct nt_finding *f = nt_findings_add(c->out, NT_F_FAST_RETRANS);
			if (!f)
				goto oom;
			f->conn_id = r->conn_id;
			f->host_id = r->host_id;
			f->pid = r->pid;
			f->t_start = r->fast_first;
			f->t_end = r->fast_last;
			f->count = fast;
			f->count2 = r->rec_eps;
			f->duration_ns = r->rec_ns;
			snprintf(f->what, sizeof(f->what), "fast retransmits");
			f->value = (double)spurious;
			snprintf(f->summary, sizeof(f->summary),
				 "%llu fast retransmit%s%s, %llu fast-recovery episode%s (%s in recovery, %llu undone): packets were "
				 "lost but the connection recovered without a timeout",
				 (unsigned long long)fast, fast == 1 ? "" : "s", have_segs ? " (segments not D-SACKed)" : "",
				 (unsigned long long)r->rec_eps, r->rec_eps == 1 ? "" : "s",
				 nt_dur_fmt(r->rec_ns, d1, sizeof(d1)), (unsigned long long)r->rec_undone);
			f->impact = 0.05 * (double)fast + 0.5 * (double)rec_real;
		}
	}
	ret = 0;
	goto out;
oom:
	nt_stmt_finalize(s);
	snprintf(c->err, NT_ERRLEN, "out of memory");
	goto out;
sqlerr:
	snprintf(c->err, NT_ERRLEN, "retransmit detector: %s", nt_store_errmsg(c->st));
out:
	loss_q_free(&lq);
	hmap_free(&idx);
	free(v);
	return ret;
}
