/* clock.c: pairs connections seen at both ends on different hosts and aligns the hosts' clocks from the pairs' causal edges (interval method). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/clock.h"
#include "util/hmap.h"
#include "util/timefmt.h"

#define NONE INT64_MIN
#define LO_INF INT64_MIN /* no lower bound */
#define HI_INF INT64_MAX /* no upper bound */

/* TCP states (Linux numbering, docs/SCHEMA.md). */
enum { ST_EST = 1, ST_SYN_SENT, ST_SYN_RECV, ST_FIN_WAIT1, ST_FIN_WAIT2, ST_TIME_WAIT, ST_CLOSE,
       ST_CLOSE_WAIT, ST_LAST_ACK, ST_LISTEN, ST_CLOSING };

/* A retransmitted or dropped sequence number with its first time. */
struct seqt {
	uint32_t seq;
	int64_t t;
};

/* A sample's byte counters (docs/SCHEMA.md "Several hosts", data edges). */
struct dpt {
	int64_t t;
	int64_t acked, rcvd, sq;  /* bytes_acked, bytes_received (-1 unknown), snd_queue */
};

/* One connection as the pairing sees it; times are raw (ts - the host's applied correction). */
struct pconn {
	int64_t conn_id, host_id, first, last;
	int64_t isn_l, isn_p;     /* initial sequence numbers, this end's and the peer's; -1 unknown */
	char key[160], mkey[160]; /* "family laddr lport raddr rport" and mirrored */
	int64_t est_active, est_passive, fin_sent, fin_rcvd, finack_rcvd, rst_sent, rst_rcvd, syn_sent;
	struct seqt *retx, *drops; /* sorted by seq; drops: segments this end dropped that its peer sent */
	size_t nretx, ndrops, capretx, capdrops;
	struct dpt *smp;           /* samples, sorted by time */
	size_t nsmp, capsmp;
	size_t ncand;              /* candidates on other hosts */
	int64_t next;              /* next connection with the same key, -1 */
};

struct cand {
	size_t a, b;               /* indexes into conns; host(a) < host(b) */
	int64_t lo, hi;            /* D = clock(host b) - clock(host a): lo < D < hi */
	int edges, data_edges;     /* all edges; of those, from data and ACKs (samples) */
	int isn;                   /* both ends' initial sequence numbers match crosswise */
	int state;                 /* 0 undecided, 1 used for the estimate, 2 paired (checked), 3 rejected */
	const char *method;
};

struct hpair {
	int64_t ha, hb;            /* host ids, ha < hb */
	int64_t lo, hi;
	size_t npairs, nedges;
};

struct host {
	int64_t id, applied, corr, bound, ref;
	int manual, done;
	size_t pairs, edges;
	const char *source;
	char name[256];
};

struct aligner {
	struct nt_store *s;
	char *err;
	struct host *hosts;
	size_t nhosts;
	struct pconn *conns;
	size_t nconns;
	struct cand *cands;
	size_t ncands, capcands;
	size_t isn_rejected;       /* mirrored tuples whose sequence numbers do not match */
	struct hpair *hp;
	size_t nhp;
	struct hmap conn_idx;      /* conn_id -> index */
	int data_edges;            /* draw edges from samples' byte counters */
};

static int fail(struct aligner *al, const char *what)
{
	snprintf(al->err, NT_ERRLEN, "clock alignment: %s: %s", what, nt_store_errmsg(al->s));
	return -1;
}

static struct host *host_by_id(struct aligner *al, int64_t id)
{
	for (size_t i = 0; i < al->nhosts; i++)
		if (al->hosts[i].id == id)
			return &al->hosts[i];
	return NULL;
}

int nt_clock_override_parse(char *arg, struct nt_clock_override *o)
{
	char *eq = strrchr(arg, '=');

	memset(o, 0, sizeof(*o));
	if (!eq || eq == arg || !eq[1])
		return -1;
	*eq = '\0';
	o->host = arg;
	if (!strcmp(eq + 1, "auto")) {
		o->auto_ = 1;
		return 0;
	}
	return nt_sdur_parse(eq + 1, &o->offset_ns);
}

static int load_hosts(struct aligner *al, const struct nt_clock_override *ov, size_t nov)
{
	struct nt_stmt *q = nt_store_prepare(al->s, "SELECT host_id, hostname, clock_offset_ns, clock_source"
						    " FROM hosts ORDER BY host_id", al->err);
	size_t cap = 0;
	int rc;

	if (!q)
		return -1;
	while ((rc = nt_stmt_step(q)) == NT_STORE_ROW) {
		if (al->nhosts == cap) {
			cap = cap ? cap * 2 : 8;
			struct host *n = realloc(al->hosts, cap * sizeof(*n));
			if (!n) {
				nt_stmt_finalize(q);
				snprintf(al->err, NT_ERRLEN, "out of memory");
				return -1;
			}
			al->hosts = n;
		}
		struct host *h = &al->hosts[al->nhosts++];
		memset(h, 0, sizeof(*h));
		h->id = nt_col_int(q, 0);
		snprintf(h->name, sizeof(h->name), "%s", nt_col_text(q, 1) ? nt_col_text(q, 1) : "");
		h->applied = nt_col_int(q, 2);
		const char *src = nt_col_text(q, 3);
		if (src && !strcmp(src, "manual")) {
			h->manual = 1;
			h->corr = h->applied;
		}
		h->bound = -1;
		h->ref = h->id;
	}
	nt_stmt_finalize(q);
	if (rc != NT_STORE_DONE)
		return fail(al, "read hosts");
	for (size_t i = 0; i < nov; i++) {
		int found = 0;
		for (size_t j = 0; j < al->nhosts; j++) {
			if (strcmp(al->hosts[j].name, ov[i].host))
				continue;
			found = 1;
			al->hosts[j].manual = !ov[i].auto_;
			al->hosts[j].corr = ov[i].auto_ ? 0 : ov[i].offset_ns;
		}
		if (!found) {
			char names[200] = "";
			for (size_t j = 0; j < al->nhosts && strlen(names) < 150; j++)
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", j ? ", " : "",
					 al->hosts[j].name);
			snprintf(al->err, NT_ERRLEN, "--clock-offset %s: no host of that name in the database (hosts: %s)",
				 ov[i].host, names[0] ? names : "none");
			return -1;
		}
	}
	return 0;
}

static int load_conns(struct aligner *al)
{
	struct nt_stmt *q = nt_store_prepare(al->s,
		"SELECT c.conn_id, c.host_id, c.family, c.laddr, c.lport, c.raddr, c.rport, c.first_ts - h.clock_offset_ns,"
		" c.last_ts - h.clock_offset_ns, c.isn_local, c.isn_peer FROM connections c JOIN hosts h USING (host_id)"
		" WHERE c.cookie <> 0 AND c.listener = 0 AND c.tuple_known = 1 AND c.laddr IS NOT NULL AND c.raddr IS NOT NULL"
		" ORDER BY c.conn_id", al->err);
	size_t cap = 0;
	int rc;

	if (!q)
		return -1;
	while ((rc = nt_stmt_step(q)) == NT_STORE_ROW) {
		if (al->nconns == cap) {
			cap = cap ? cap * 2 : 256;
			struct pconn *n = realloc(al->conns, cap * sizeof(*n));
			if (!n) {
				nt_stmt_finalize(q);
				snprintf(al->err, NT_ERRLEN, "out of memory");
				return -1;
			}
			al->conns = n;
		}
		struct pconn *c = &al->conns[al->nconns];
		memset(c, 0, sizeof(*c));
		c->conn_id = nt_col_int(q, 0);
		c->host_id = nt_col_int(q, 1);
		int fam = (int)nt_col_int(q, 2);
		const char *la = nt_col_text(q, 3), *ra = nt_col_text(q, 5);
		int64_t lp = nt_col_int(q, 4), rp = nt_col_int(q, 6);
		snprintf(c->key, sizeof(c->key), "%d %s %lld %s %lld", fam, la, (long long)lp, ra, (long long)rp);
		snprintf(c->mkey, sizeof(c->mkey), "%d %s %lld %s %lld", fam, ra, (long long)rp, la, (long long)lp);
		c->first = nt_col_int(q, 7);
		c->last = nt_col_int(q, 8);
		c->isn_l = nt_col_type(q, 9) == NT_COL_NULL ? -1 : nt_col_int(q, 9);
		c->isn_p = nt_col_type(q, 10) == NT_COL_NULL ? -1 : nt_col_int(q, 10);
		c->est_active = c->est_passive = c->fin_sent = c->fin_rcvd = c->finack_rcvd = NONE;
		c->rst_sent = c->rst_rcvd = c->syn_sent = NONE;
		c->next = -1;
		if (hmap_put(&al->conn_idx, (uint64_t)c->conn_id, (int64_t)al->nconns)) {
			nt_stmt_finalize(q);
			snprintf(al->err, NT_ERRLEN, "out of memory");
			return -1;
		}
		al->nconns++;
	}
	nt_stmt_finalize(q);
	return rc == NT_STORE_DONE ? 0 : fail(al, "read connections");
}

static int add_cand(struct aligner *al, size_t a, size_t b, int isn)
{
	if (al->ncands == al->capcands) {
		size_t cap = al->capcands ? al->capcands * 2 : 64;
		struct cand *n = realloc(al->cands, cap * sizeof(*n));
		if (!n)
			return -1;
		al->cands = n;
		al->capcands = cap;
	}
	struct cand *c = &al->cands[al->ncands++];
	memset(c, 0, sizeof(*c));
	c->a = a;
	c->b = b;
	c->lo = LO_INF;
	c->hi = HI_INF;
	c->isn = isn;
	return 0;
}

/* Candidates: mirrored tuples on different hosts; where both ends know their
 * initial sequence numbers, only those that match crosswise (a reused tuple or a
 * NAT's other connection has other ones). */
static int find_candidates(struct aligner *al)
{
	struct smap first;
	int ret = -1;

	smap_init(&first);
	for (size_t i = 0; i < al->nconns; i++) {
		int64_t head;
		if (smap_get(&first, al->conns[i].key, &head))
			al->conns[i].next = head;
		if (smap_put(&first, al->conns[i].key, (int64_t)i))
			goto out;
	}
	for (size_t i = 0; i < al->nconns; i++) {
		int64_t j;
		if (!smap_get(&first, al->conns[i].mkey, &j))
			continue;
		for (; j >= 0; j = al->conns[j].next) {
			struct pconn *x = &al->conns[i], *y = &al->conns[j];
			if (x->host_id == y->host_id || x->host_id > y->host_id)
				continue; /* same host: one clock, nothing to align; each pair once */
			int isn = x->isn_l >= 0 && x->isn_p >= 0 && y->isn_l >= 0 && y->isn_p >= 0;
			if (isn && (x->isn_l != y->isn_p || x->isn_p != y->isn_l)) {
				al->isn_rejected++;
				continue;
			}
			if (add_cand(al, i, (size_t)j, isn))
				goto out;
			x->ncand++;
			y->ncand++;
		}
	}
	ret = 0;
out:
	smap_free(&first);
	if (ret)
		snprintf(al->err, NT_ERRLEN, "out of memory");
	return ret;
}

static int64_t minset(int64_t cur, int64_t t) { return cur == NONE || t < cur ? t : cur; }

/* The state transitions that take part in edges (docs/SCHEMA.md "Several hosts"). */
static void apply_state(struct pconn *c, int64_t t, int o, int n)
{
	if (n == ST_SYN_SENT)
		c->syn_sent = minset(c->syn_sent, t);
	if (o == ST_SYN_SENT && n == ST_EST)
		c->est_active = minset(c->est_active, t);
	else if (o == ST_SYN_RECV && n == ST_EST)
		c->est_passive = minset(c->est_passive, t);
	if (n == ST_FIN_WAIT1 || n == ST_LAST_ACK)
		c->fin_sent = minset(c->fin_sent, t);
	if ((o == ST_EST && n == ST_CLOSE_WAIT) || (o == ST_FIN_WAIT1 && n == ST_CLOSING) ||
	    (o == ST_FIN_WAIT1 && n == ST_TIME_WAIT) || (o == ST_FIN_WAIT2 && (n == ST_TIME_WAIT || n == ST_CLOSE)))
		c->fin_rcvd = minset(c->fin_rcvd, t);
	if ((o == ST_FIN_WAIT1 && (n == ST_FIN_WAIT2 || n == ST_TIME_WAIT)) ||
	    (o == ST_CLOSING && (n == ST_TIME_WAIT || n == ST_CLOSE)) || (o == ST_LAST_ACK && n == ST_CLOSE))
		c->finack_rcvd = minset(c->finack_rcvd, t);
}

static int seqt_push(struct seqt **v, size_t *n, size_t *cap, uint32_t seq, int64_t t)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct seqt *x = realloc(*v, nc * sizeof(*x));
		if (!x)
			return -1;
		*v = x;
		*cap = nc;
	}
	(*v)[(*n)++] = (struct seqt){ seq, t };
	return 0;
}

static int cmp_seqt(const void *a, const void *b)
{
	const struct seqt *x = a, *y = b;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return (x->t > y->t) - (x->t < y->t);
}

/* First time of seq in a sorted list, NONE if absent. */
static int64_t seqt_find(const struct seqt *v, size_t n, uint32_t seq)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t m = (lo + hi) / 2;
		if (v[m].seq < seq)
			lo = m + 1;
		else
			hi = m;
	}
	return lo < n && v[lo].seq == seq ? v[lo].t : NONE;
}

static int dpt_push(struct pconn *c, int64_t t, int64_t acked, int64_t rcvd, int64_t sq)
{
	if (c->nsmp == c->capsmp) {
		size_t nc = c->capsmp ? c->capsmp * 2 : 16;
		struct dpt *x = realloc(c->smp, nc * sizeof(*x));
		if (!x)
			return -1;
		c->smp = x;
		c->capsmp = nc;
	}
	c->smp[c->nsmp++] = (struct dpt){ t, acked, rcvd, sq };
	return 0;
}

static int cmp_dpt(const void *a, const void *b)
{
	const struct dpt *x = a, *y = b;
	return (x->t > y->t) - (x->t < y->t);
}

/* Loads the event times of the candidate connections. */
static int load_events(struct aligner *al)
{
	static const char *const sql[] = {
		"SELECT e.conn_id, e.ts - h.clock_offset_ns, e.old_state, e.new_state, 0 FROM states e"
		" JOIN nt_clock_cand k ON k.conn_id = e.conn_id JOIN hosts h ON h.host_id = k.host_id",
		"SELECT e.conn_id, e.ts - h.clock_offset_ns, e.kind, 0, 0 FROM resets e"
		" JOIN nt_clock_cand k ON k.conn_id = e.conn_id JOIN hosts h ON h.host_id = k.host_id",
		/* fast or RTO retransmits of data: caused by a loss the receiver saw first */
		"SELECT e.conn_id, e.ts - h.clock_offset_ns, e.seq, 0, 0 FROM retransmits e"
		" JOIN nt_clock_cand k ON k.conn_id = e.conn_id JOIN hosts h ON h.host_id = k.host_id"
		" WHERE e.kind = 0 AND e.ca_state IN (3, 4) AND e.seq IS NOT NULL",
		/* segments this end dropped that its peer sent (packet source = the connection's remote side) */
		"SELECT e.conn_id, e.ts - h.clock_offset_ns, e.seq, 0, 0 FROM drops e"
		" JOIN nt_clock_cand k ON k.conn_id = e.conn_id JOIN hosts h ON h.host_id = k.host_id"
		" JOIN connections c ON c.conn_id = e.conn_id"
		" WHERE e.seq IS NOT NULL AND e.saddr = c.raddr AND e.sport = c.rport",
		/* byte counters of data and ACKs (bytes_received NULL: imported before it was stored) */
		"SELECT e.conn_id, e.ts - h.clock_offset_ns, e.bytes_acked, e.bytes_received, e.snd_queue FROM samples e"
		" JOIN nt_clock_cand k ON k.conn_id = e.conn_id JOIN hosts h ON h.host_id = k.host_id"
		" WHERE e.bytes_acked IS NOT NULL AND e.snd_queue IS NOT NULL",
	};
	for (int k = 0; k < 5; k++) {
		struct nt_stmt *q = nt_store_prepare(al->s, sql[k], al->err);
		int rc;
		if (!q)
			return -1;
		while ((rc = nt_stmt_step(q)) == NT_STORE_ROW) {
			int64_t idx;
			if (!hmap_get(&al->conn_idx, (uint64_t)nt_col_int(q, 0), &idx))
				continue;
			struct pconn *c = &al->conns[idx];
			int64_t t = nt_col_int(q, 1);
			int r = 0;
			if (k == 0)
				apply_state(c, t, (int)nt_col_int(q, 2), (int)nt_col_int(q, 3));
			else if (k == 1 && nt_col_int(q, 2) == 0)
				c->rst_sent = minset(c->rst_sent, t);
			else if (k == 1)
				c->rst_rcvd = minset(c->rst_rcvd, t);
			else if (k == 2)
				r = seqt_push(&c->retx, &c->nretx, &c->capretx, (uint32_t)nt_col_int(q, 2), t);
			else if (k == 3)
				r = seqt_push(&c->drops, &c->ndrops, &c->capdrops, (uint32_t)nt_col_int(q, 2), t);
			else
				r = dpt_push(c, t, nt_col_int(q, 2),
					     nt_col_type(q, 3) == NT_COL_NULL ? -1 : nt_col_int(q, 3), nt_col_int(q, 4));
			if (r) {
				nt_stmt_finalize(q);
				snprintf(al->err, NT_ERRLEN, "out of memory");
				return -1;
			}
		}
		nt_stmt_finalize(q);
		if (rc != NT_STORE_DONE)
			return fail(al, "read events");
	}
	for (size_t i = 0; i < al->nconns; i++) {
		struct pconn *c = &al->conns[i];
		if (c->nretx)
			qsort(c->retx, c->nretx, sizeof(*c->retx), cmp_seqt);
		if (c->ndrops)
			qsort(c->drops, c->ndrops, sizeof(*c->drops), cmp_seqt);
		if (c->nsmp)
			qsort(c->smp, c->nsmp, sizeof(*c->smp), cmp_dpt);
	}
	return 0;
}

/* x (on host X) happened before y (on host Y): in terms of D = clock(b) - clock(a)
 * this bounds D from above when X is a's host, from below when it is b's. */
static void edge(struct cand *k, int x_is_a, int64_t tx, int64_t ty)
{
	if (tx == NONE || ty == NONE)
		return;
	k->edges++;
	if (x_is_a) { /* ta < tb - D  =>  D < tb - ta */
		if (ty - tx < k->hi)
			k->hi = ty - tx;
	} else { /* tb - D < ta  =>  D > tb - ta */
		if (tx - ty > k->lo)
			k->lo = tx - ty;
	}
}

/*
 * Data and ACK edges of the data x sent to y, from both ends' samples (each
 * carries its socket's counters at that moment). In the sequence space of x's
 * data (position 0 = the first byte after the SYN):
 * - x has P acknowledged = bytes_acked minus x's SYN (counted by the active
 *   opener only), y has P received = bytes_received, and x had written at most
 *   P acknowledged + snd_queue (write_seq - snd_una): FINs count on all three;
 * - x's acknowledged reaching P happens after y's received reached P (y acked
 *   it): a sample of y at ty with received < P, before a sample of x at tx with
 *   acknowledged >= P, is an edge from y to x;
 * - y's received reaching R happens after x wrote (and sent) byte R: a sample
 *   of x at tx with written < R, before a sample of y at ty with received >= R,
 *   is an edge from x to y.
 * The counters only grow, so for each sample the tightest partner is found by
 * binary search: the last sample of the other end still below the position.
 * Without knowing which end opened (a connection open before the recording
 * started, a simultaneous open) the SYN's byte is unknown: each rule then takes
 * the value that keeps its edge true either way (1 for the first, 0 for the
 * second), one byte of precision lost.
 */
static int syn_bytes(const struct pconn *c)
{
	if (c->est_active != NONE)
		return 1;
	if (c->est_passive != NONE && c->syn_sent == NONE)
		return 0;
	return -1;
}

/* Index of the last sample of c before position p by counter f (0 acked-syn+sq
 * written, 1 received), -1 when none. Samples are in time order. */
static ptrdiff_t last_below(const struct pconn *c, int f, int syn, int64_t p)
{
	ptrdiff_t lo = 0, hi = (ptrdiff_t)c->nsmp; /* first index whose counter >= p */
	while (lo < hi) {
		ptrdiff_t m = lo + (hi - lo) / 2;
		const struct dpt *d = &c->smp[m];
		int64_t v = f ? d->rcvd : d->acked - syn + d->sq;
		if (v < p)
			lo = m + 1;
		else
			hi = m;
	}
	return lo - 1;
}

static void data_edges(struct cand *k, const struct pconn *x, const struct pconn *y, int xa)
{
	int syn = syn_bytes(x), syn1 = syn < 0 ? 1 : syn, syn2 = syn < 0 ? 0 : syn;
	if (!x->nsmp || !y->nsmp)
		return;
	for (size_t i = 0; i < y->nsmp; i++)
		if (y->smp[i].rcvd < 0)
			return; /* older rows without bytes_received */
	int before = k->edges;
	/* y received P before x saw P acknowledged */
	int64_t best_gap = INT64_MAX, tx = NONE, ty = NONE;
	for (size_t i = 0; i < x->nsmp; i++) {
		int64_t p = x->smp[i].acked - syn1;
		if (p <= 0)
			continue;
		ptrdiff_t j = last_below(y, 1, 0, p);
		if (j < 0)
			continue;
		/* tightest: the smallest time from y's sample to x's (the bound it gives) */
		if (x->smp[i].t - y->smp[j].t < best_gap) {
			best_gap = x->smp[i].t - y->smp[j].t;
			tx = x->smp[i].t;
			ty = y->smp[j].t;
		}
	}
	edge(k, !xa, ty, tx);
	/* x wrote R after its sample tx showed less written; y received R later */
	best_gap = INT64_MAX;
	tx = ty = NONE;
	for (size_t i = 0; i < y->nsmp; i++) {
		int64_t r = y->smp[i].rcvd;
		if (r <= 0)
			continue;
		ptrdiff_t j = last_below(x, 0, syn2, r);
		if (j < 0)
			continue;
		if (y->smp[i].t - x->smp[j].t < best_gap) {
			best_gap = y->smp[i].t - x->smp[j].t;
			tx = x->smp[j].t;
			ty = y->smp[i].t;
		}
	}
	edge(k, xa, tx, ty);
	k->data_edges += k->edges - before;
}

static void cand_edges(struct aligner *al, struct cand *k)
{
	struct pconn *a = &al->conns[k->a], *b = &al->conns[k->b];
	for (int dir = 0; dir < 2; dir++) {
		struct pconn *x = dir ? b : a, *y = dir ? a : b;
		int xa = !dir;
		edge(k, xa, x->est_active, y->est_passive);   /* the final ACK of the handshake */
		edge(k, xa, x->fin_sent, y->fin_rcvd);        /* a FIN */
		edge(k, !xa, y->fin_rcvd, x->finack_rcvd);    /* the ACK of that FIN */
		edge(k, xa, x->rst_sent, y->rst_rcvd);        /* a reset */
		/* y dropped a segment x sent; x retransmitted it after hearing of the loss */
		for (size_t i = 0; i < y->ndrops; i++) {
			if (i && y->drops[i].seq == y->drops[i - 1].seq)
				continue; /* the first drop of each sequence number */
			edge(k, !xa, y->drops[i].t, seqt_find(x->retx, x->nretx, y->drops[i].seq));
		}
		if (al->data_edges)
			data_edges(k, x, y, xa);
	}
}

struct ept {
	int64_t v;
	int kind; /* +1 an interval opens (lo), -1 it closes (hi) */
};

static int cmp_ept(const void *p, const void *q)
{
	const struct ept *x = p, *y = q;
	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return y->kind - x->kind; /* opens before closes at the same value */
}

/* The pairs of one host pair that agree with each other most (interval
 * stabbing over their [lo, hi]); marks them used and fills hp. */
static int estimate_pair(struct aligner *al, struct hpair *hp, size_t *idx, size_t n)
{
	struct ept *e = calloc(2 * n + 1, sizeof(*e));
	size_t ne = 0;
	if (!e)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct cand *k = &al->cands[idx[i]];
		e[ne++] = (struct ept){ k->lo, +1 };
		e[ne++] = (struct ept){ k->hi, -1 };
	}
	qsort(e, ne, sizeof(*e), cmp_ept);
	int cur = 0, best = 0;
	int64_t at = 0;
	for (size_t i = 0; i < ne; i++) {
		cur += e[i].kind;
		if (e[i].kind > 0 && cur > best) {
			best = cur;
			at = e[i].v;
		}
	}
	free(e);
	hp->lo = LO_INF;
	hp->hi = HI_INF;
	for (size_t i = 0; i < n; i++) {
		struct cand *k = &al->cands[idx[i]];
		if (k->lo <= at && at <= k->hi) {
			k->state = 1;
			hp->npairs++;
			hp->nedges += (size_t)k->edges;
			if (k->lo > hp->lo)
				hp->lo = k->lo;
			if (k->hi < hp->hi)
				hp->hi = k->hi;
		} else {
			/* contradicts the others: not one connection, unless the
			 * sequence numbers say it is (then only its edges are off) */
			k->state = k->isn ? 2 : 3;
		}
	}
	return 0;
}

/* Per host pair: the estimate from unique candidates with edges, then the
 * other candidates checked against it. */
static int estimate(struct aligner *al)
{
	size_t *idx = malloc((al->ncands ? al->ncands : 1) * sizeof(*idx));
	if (!idx)
		return -1;
	for (size_t i = 0; i < al->ncands; i++) {
		struct cand *k = &al->cands[i];
		if (k->state)
			continue;
		int64_t ha = al->conns[k->a].host_id, hb = al->conns[k->b].host_id;
		size_t n = 0;
		for (size_t j = i; j < al->ncands; j++) {
			struct cand *m = &al->cands[j];
			if (m->state || al->conns[m->a].host_id != ha || al->conns[m->b].host_id != hb)
				continue;
			m->state = 4; /* seen */
			if (m->edges && (m->isn || (al->conns[m->a].ncand == 1 && al->conns[m->b].ncand == 1)) &&
			    m->lo <= m->hi)
				idx[n++] = j;
		}
		struct hpair *nh = realloc(al->hp, (al->nhp + 1) * sizeof(*nh));
		if (!nh) {
			free(idx);
			return -1;
		}
		al->hp = nh;
		struct hpair *hp = &al->hp[al->nhp++];
		memset(hp, 0, sizeof(*hp));
		hp->ha = ha;
		hp->hb = hb;
		hp->lo = LO_INF;
		hp->hi = HI_INF;
		if (n && estimate_pair(al, hp, idx, n)) {
			free(idx);
			return -1;
		}
		int bounded = hp->lo != LO_INF && hp->hi != HI_INF;
		/* The rest of this host pair: pairs when they agree with the estimate. */
		for (size_t j = i; j < al->ncands; j++) {
			struct cand *m = &al->cands[j];
			if (m->state != 4 || al->conns[m->a].host_id != ha || al->conns[m->b].host_id != hb)
				continue;
			m->state = 0;
			if (m->isn) {
				m->state = 2; /* the sequence numbers match: one connection */
			} else if (m->edges && m->lo > m->hi) {
				m->state = 3; /* its own edges contradict each other */
			} else if (m->edges) {
				if (bounded)
					m->state = m->lo <= hp->hi && hp->lo <= m->hi ? 2 : 3;
				else if (al->conns[m->a].ncand == 1 && al->conns[m->b].ncand == 1)
					m->state = 2;
			} else if (bounded) {
				/* no edges: the two ends' lifetimes must overlap once aligned */
				int64_t d = hp->lo + (hp->hi - hp->lo) / 2, tol = (hp->hi - hp->lo) / 2 + 1000000000;
				const struct pconn *a = &al->conns[m->a], *b = &al->conns[m->b];
				if (b->first - d <= a->last + tol && a->first <= b->last - d + tol)
					m->state = 2;
			} else if (al->conns[m->a].ncand == 1 && al->conns[m->b].ncand == 1) {
				m->state = 2;
			}
			if (!m->state)
				m->state = 3;
		}
	}
	free(idx);
	/* A connection keeps at most one partner: the one its sequence numbers
	 * match, else with several that agree, none (candidates of one connection
	 * are few: the quadratic scan is over those that share a connection with
	 * more than one candidate). */
	for (size_t i = 0; i < al->ncands; i++) {
		struct cand *k = &al->cands[i];
		if ((k->state == 1 || k->state == 2) && !k->isn &&
		    (al->conns[k->a].ncand > 1 || al->conns[k->b].ncand > 1)) {
			for (size_t j = 0; j < al->ncands; j++) {
				const struct cand *m = &al->cands[j];
				if (j != i && m->isn && (m->state == 1 || m->state == 2) &&
				    (m->a == k->a || m->b == k->b || m->a == k->b || m->b == k->a)) {
					k->state = 6; /* the other end's partner by sequence numbers */
					break;
				}
			}
		}
	}
	for (size_t i = 0; i < al->ncands; i++) {
		struct cand *k = &al->cands[i];
		if (k->state == 2 && !k->isn && (al->conns[k->a].ncand > 1 || al->conns[k->b].ncand > 1)) {
			for (size_t j = 0; j < al->ncands; j++) {
				const struct cand *m = &al->cands[j];
				if (j != i && (m->state == 1 || m->state == 2 || m->state == 5) &&
				    (m->a == k->a || m->b == k->b || m->a == k->b || m->b == k->a)) {
					k->state = 5; /* ambiguous */
					break;
				}
			}
		}
	}
	for (size_t i = 0; i < al->ncands; i++) {
		struct cand *k = &al->cands[i];
		if (k->state == 5 || k->state == 6)
			k->state = 3;
		k->method = k->isn ? "isn" : k->edges ? "edges" : "tuple";
	}
	return 0;
}

/* Spanning forest from the references (manual hosts, else the first host of
 * each group), the smallest summed bound first. */
static void propagate(struct aligner *al)
{
	for (size_t i = 0; i < al->nhosts; i++) {
		struct host *h = &al->hosts[i];
		if (h->manual) {
			h->done = 1;
			h->bound = -1;
			h->ref = h->id;
			h->source = "manual";
		}
	}
	for (;;) {
		/* grow every tree by the cheapest edge */
		struct host *best_to = NULL, *best_from = NULL;
		const struct hpair *best = NULL;
		int64_t best_bound = 0;
		for (size_t p = 0; p < al->nhp; p++) {
			const struct hpair *hp = &al->hp[p];
			if (hp->lo == LO_INF || hp->hi == HI_INF)
				continue;
			struct host *a = host_by_id(al, hp->ha), *b = host_by_id(al, hp->hb);
			if (!a || !b || a->done == b->done)
				continue;
			struct host *from = a->done ? a : b, *to = a->done ? b : a;
			int64_t bnd = (hp->hi - hp->lo) / 2 + (from->bound > 0 ? from->bound : 0);
			if (!best || bnd < best_bound) {
				best = hp;
				best_bound = bnd;
				best_from = from;
				best_to = to;
			}
		}
		if (best) {
			int64_t d = best->lo + (best->hi - best->lo) / 2;
			/* d = clock(hb) - clock(ha): hb's correction is ha's minus d */
			best_to->corr = best_to->id == best->hb ? best_from->corr - d : best_from->corr + d;
			best_to->bound = best_bound;
			best_to->ref = best_from->ref;
			best_to->pairs = best->npairs;
			best_to->edges = best->nedges;
			best_to->done = 1;
			best_to->source = "estimated";
			if (!best_from->manual && !best_from->source)
				best_from->source = "reference";
			continue;
		}
		/* no edge leaves the trees: start a new one at the first host not reached */
		struct host *root = NULL;
		for (size_t i = 0; i < al->nhosts && !root; i++)
			if (!al->hosts[i].done)
				root = &al->hosts[i];
		if (!root)
			break;
		root->done = 1;
		root->corr = 0;
		root->bound = 0;
		root->ref = root->id;
	}
	for (size_t i = 0; i < al->nhosts; i++) {
		struct host *h = &al->hosts[i];
		if (h->source && !strcmp(h->source, "reference")) {
			for (size_t p = 0; p < al->nhp; p++)
				if ((al->hp[p].ha == h->id || al->hp[p].hb == h->id) && al->hp[p].lo != LO_INF &&
				    al->hp[p].hi != HI_INF) {
					h->pairs += al->hp[p].npairs;
					h->edges += al->hp[p].nedges;
				}
		} else if (!h->source) {
			h->source = al->nhosts > 1 ? "unaligned" : NULL;
			h->bound = -1;
			/* pairs whose edges bound the offset from one side only (no close recorded) */
			for (size_t p = 0; p < al->nhp; p++)
				if (al->hp[p].ha == h->id || al->hp[p].hb == h->id)
					h->pairs += al->hp[p].npairs;
		}
	}
}

static int exec_shift(struct aligner *al, const char *sql, int64_t delta, int64_t host_id)
{
	struct nt_stmt *q = nt_store_prepare(al->s, sql, al->err);
	if (!q)
		return -1;
	nt_stmt_bind_int(q, 1, delta);
	nt_stmt_bind_int(q, 2, host_id);
	int rc = nt_stmt_step(q);
	nt_stmt_finalize(q);
	return rc == NT_STORE_DONE ? 0 : fail(al, "shift timestamps");
}

/* Shifts every ts of a host's rows by delta (the new correction minus the applied one). */
static int shift_host(struct aligner *al, int64_t host_id, int64_t delta)
{
	static const char *const event_tables[] = { "drops", "retransmits", "cong", "states", "samples", "resets",
						    "stalls", "buffers", "listens", "packets", "pins" };
	char sql[256];
	for (size_t i = 0; i < sizeof(event_tables) / sizeof(event_tables[0]); i++) {
		snprintf(sql, sizeof(sql), "UPDATE %s SET ts = ts + ?1 WHERE ts IS NOT NULL AND chunk_id IN"
			 " (SELECT chunk_id FROM chunks WHERE host_id = ?2)", event_tables[i]);
		if (exec_shift(al, sql, delta, host_id))
			return -1;
	}
	return exec_shift(al, "UPDATE connections SET first_ts = first_ts + ?1, last_ts = last_ts + ?1 WHERE host_id = ?2",
			  delta, host_id) ||
	       exec_shift(al, "UPDATE chunks SET created_ts = created_ts + ?1, first_ts = first_ts + ?1,"
			      " last_ts = last_ts + ?1 WHERE host_id = ?2", delta, host_id) ||
	       exec_shift(al, "UPDATE losses SET from_ts = from_ts + ?1, to_ts = to_ts + ?1 WHERE host_id = ?2",
			  delta, host_id) ? -1 : 0;
}

static int store_results(struct aligner *al)
{
	if (nt_store_exec(al->s, "DELETE FROM conn_pairs; UPDATE connections SET peer_conn_id = NULL"
				 " WHERE peer_conn_id IS NOT NULL", "clear pairs", al->err))
		return -1;
	struct nt_stmt *ins = nt_store_prepare(al->s, "INSERT INTO conn_pairs (conn_a, conn_b, host_a, host_b, method,"
						      " lo_ns, hi_ns, edges, used) VALUES (?,?,?,?,?,?,?,?,?)", al->err);
	struct nt_stmt *peer = nt_store_prepare(al->s, "UPDATE connections SET peer_conn_id = ?2 WHERE conn_id = ?1",
						al->err);
	int rc = 0;
	if (!ins || !peer) {
		nt_stmt_finalize(ins);
		nt_stmt_finalize(peer);
		return -1;
	}
	for (size_t i = 0; i < al->ncands && !rc; i++) {
		const struct cand *k = &al->cands[i];
		const struct pconn *a = &al->conns[k->a], *b = &al->conns[k->b];
		if (k->state != 1 && k->state != 2)
			continue;
		nt_stmt_reset(ins);
		nt_stmt_bind_int(ins, 1, a->conn_id);
		nt_stmt_bind_int(ins, 2, b->conn_id);
		nt_stmt_bind_int(ins, 3, a->host_id);
		nt_stmt_bind_int(ins, 4, b->host_id);
		nt_stmt_bind_text(ins, 5, k->method);
		if (k->lo != LO_INF)
			nt_stmt_bind_int(ins, 6, k->lo);
		if (k->hi != HI_INF)
			nt_stmt_bind_int(ins, 7, k->hi);
		nt_stmt_bind_int(ins, 8, k->edges);
		nt_stmt_bind_int(ins, 9, k->state == 1);
		rc = nt_stmt_step(ins) != NT_STORE_DONE;
		for (int d = 0; d < 2 && !rc; d++) {
			nt_stmt_reset(peer);
			nt_stmt_bind_int(peer, 1, d ? b->conn_id : a->conn_id);
			nt_stmt_bind_int(peer, 2, d ? a->conn_id : b->conn_id);
			rc = nt_stmt_step(peer) != NT_STORE_DONE;
		}
	}
	nt_stmt_finalize(ins);
	nt_stmt_finalize(peer);
	if (rc)
		return fail(al, "store pairs");
	struct nt_stmt *up = nt_store_prepare(al->s, "UPDATE hosts SET clock_offset_ns = ?2, clock_bound_ns = ?3,"
						     " clock_pairs = ?4, clock_edges = ?5, clock_ref = ?6, clock_source = ?7"
						     " WHERE host_id = ?1", al->err);
	if (!up)
		return -1;
	for (size_t i = 0; i < al->nhosts && !rc; i++) {
		const struct host *h = &al->hosts[i];
		if (h->corr != h->applied && shift_host(al, h->id, h->corr - h->applied)) {
			nt_stmt_finalize(up);
			return -1;
		}
		nt_stmt_reset(up);
		nt_stmt_bind_int(up, 1, h->id);
		nt_stmt_bind_int(up, 2, h->corr);
		if (h->bound >= 0)
			nt_stmt_bind_int(up, 3, h->bound);
		nt_stmt_bind_int(up, 4, (int64_t)h->pairs);
		nt_stmt_bind_int(up, 5, (int64_t)h->edges);
		if (h->source && strcmp(h->source, "unaligned"))
			nt_stmt_bind_int(up, 6, h->ref);
		nt_stmt_bind_text(up, 7, h->source);
		rc = nt_stmt_step(up) != NT_STORE_DONE;
	}
	nt_stmt_finalize(up);
	return rc ? fail(al, "store host clocks") : 0;
}

static int fill_candidates_table(struct aligner *al)
{
	if (nt_store_exec(al->s, "DROP TABLE IF EXISTS temp.nt_clock_cand;"
				 " CREATE TEMP TABLE nt_clock_cand (conn_id INTEGER PRIMARY KEY, host_id INTEGER)",
			  "candidate table", al->err))
		return -1;
	struct nt_stmt *q = nt_store_prepare(al->s, "INSERT OR IGNORE INTO temp.nt_clock_cand VALUES (?, ?)", al->err);
	int rc = 0;
	if (!q)
		return -1;
	for (size_t i = 0; i < al->ncands && !rc; i++)
		for (int d = 0; d < 2 && !rc; d++) {
			const struct pconn *c = &al->conns[d ? al->cands[i].b : al->cands[i].a];
			nt_stmt_reset(q);
			nt_stmt_bind_int(q, 1, c->conn_id);
			nt_stmt_bind_int(q, 2, c->host_id);
			rc = nt_stmt_step(q) != NT_STORE_DONE;
		}
	nt_stmt_finalize(q);
	return rc ? fail(al, "candidate table") : 0;
}

int nt_clock_align(struct nt_store *s, const struct nt_clock_override *ov, size_t nov,
		   struct nt_clock_stats *st, char *err)
{
	struct aligner al;
	int ret = -1, in_tx = 0;

	memset(&al, 0, sizeof(al));
	al.s = s;
	al.err = err;
	/* a benchmark's knob: the bound from handshakes and the other events alone */
	const char *de = getenv("NETTAPE_CLOCK_DATA_EDGES");
	al.data_edges = !(de && !strcmp(de, "0"));
	hmap_init(&al.conn_idx);
	if (nt_store_exec(s, "BEGIN", "clock alignment", err))
		goto out;
	in_tx = 1;
	if (load_hosts(&al, ov, nov) || load_conns(&al) || find_candidates(&al) || fill_candidates_table(&al) ||
	    load_events(&al))
		goto out;
	for (size_t i = 0; i < al.ncands; i++)
		cand_edges(&al, &al.cands[i]);
	if (estimate(&al)) {
		snprintf(err, NT_ERRLEN, "out of memory");
		goto out;
	}
	propagate(&al);
	if (store_results(&al) || nt_store_exec(s, "DROP TABLE IF EXISTS temp.nt_clock_cand; COMMIT",
						 "clock alignment", err))
		goto out;
	in_tx = 0;
	if (st) {
		memset(st, 0, sizeof(*st));
		st->hosts = al.nhosts;
		st->candidates = al.ncands;
		st->isn_rejected = al.isn_rejected;
		for (size_t i = 0; i < al.nhosts; i++) {
			const char *src = al.hosts[i].source;
			st->manual += src && !strcmp(src, "manual");
			st->unaligned += src && !strcmp(src, "unaligned");
			st->aligned += src && (!strcmp(src, "estimated") || !strcmp(src, "reference"));
		}
		for (size_t i = 0; i < al.ncands; i++) {
			st->pairs += al.cands[i].state == 1 || al.cands[i].state == 2;
			st->rejected += al.cands[i].state == 3;
			st->edges += al.cands[i].state == 1 ? (size_t)al.cands[i].edges : 0;
			st->data_edges += al.cands[i].state == 1 ? (size_t)al.cands[i].data_edges : 0;
			st->isn_pairs += al.cands[i].isn && (al.cands[i].state == 1 || al.cands[i].state == 2);
		}
	}
	ret = 0;
out:
	if (in_tx) {
		char ignored[NT_ERRLEN];
		nt_store_exec(s, "ROLLBACK", "rollback", ignored);
	}
	for (size_t i = 0; i < al.nconns; i++) {
		free(al.conns[i].retx);
		free(al.conns[i].drops);
		free(al.conns[i].smp);
	}
	free(al.conns);
	free(al.cands);
	free(al.hp);
	free(al.hosts);
	hmap_free(&al.conn_idx);
	return ret;
}
