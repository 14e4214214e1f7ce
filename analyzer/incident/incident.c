/* incident.c: groups findings into incidents, names each incident's cause and fix, and ranks them by impact. */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/hmap.h"
#include "incident/incident.h"
#include "util/timefmt.h"

#define NS 1000000000LL
#define NT_OPT_WSCALE_BIT 0x01 /* format/records.h NT_OPT_WSCALE, as stored in connections.opt_sysctl */

/* A container id as 'docker ps' shows it: the first 12 characters of a
 * 64-hex id; other ids (pod names, short ids) unchanged. */
static void container_short(char *dst, size_t len, const char *id)
{
	size_t n = id ? strlen(id) : 0, hex = 0;

	while (hex < n && ((id[hex] >= '0' && id[hex] <= '9') || (id[hex] >= 'a' && id[hex] <= 'f')))
		hex++;
	if (n == 64 && hex == 64)
		snprintf(dst, len, "%.12s", id);
	else
		snprintf(dst, len, "%s", id ? id : "");
}

const char *nt_fkind_title(enum nt_fkind k)
{
	switch (k) {
	case NT_F_ZERO_WINDOW: return "zero-window stalls";
	case NT_F_NO_WSCALE: return "window scaling not negotiated";
	case NT_F_RWND_LIMITED: return "receive-window-limited sender";
	case NT_F_DROPS: return "packet drops";
	case NT_F_LISTEN_OVERFLOW: return "listen queue overflow";
	case NT_F_SYN_RETRANS: return "unanswered connection attempts";
	case NT_F_RTO: return "retransmission timeouts";
	case NT_F_FAST_RETRANS: return "fast retransmits";
	case NT_F_RTT_SPIKE: return "RTT spike";
	case NT_F_READ_STALL: return "read stalls";
	case NT_F_SLOW_RESPONSE: return "slow responses";
	case NT_F_RESET: return "connection resets";
	case NT_F_RECORDER_LOSS: return "recorder lost events";
	case NT_F_SPURIOUS: return "spurious retransmissions";
	default: return "finding";
	}
}

char *nt_proc_label(const char *comm, uint32_t pid, char *buf, size_t len)
{
	if (pid && comm && *comm)
		snprintf(buf, len, "%s[%u]", comm, pid);
	else if (pid)
		snprintf(buf, len, "pid %u", pid);
	else
		snprintf(buf, len, "unknown process");
	return buf;
}

const struct nt_conninfo *nt_analysis_conn(const struct nt_analysis *a, int64_t conn_id)
{
	size_t lo = 0, hi = a->nconns;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (a->conns[mid].conn_id < conn_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < a->nconns && a->conns[lo].conn_id == conn_id ? &a->conns[lo] : NULL;
}

char *nt_conn_label(const struct nt_analysis *a, int64_t conn_id, char *buf, size_t len)
{
	const struct nt_conninfo *c = conn_id ? nt_analysis_conn(a, conn_id) : NULL;
	char host[80] = "";

	/* Several hosts: every end is marked with the host that recorded it. */
	if (c && a->nclocks > 1)
		snprintf(host, sizeof(host), "[%s] ", c->host);
	if (!c)
		snprintf(buf, len, "%s", conn_id ? "?" : "");
	else if (c->listener)
		snprintf(buf, len, "%slistener %s", host, c->local);
	else
		snprintf(buf, len, "%s%s -> %s", host, c->local, c->remote);
	return buf;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void endpoint(char *buf, size_t len, int family, const char *addr, int port)
{
	if (family == 10)
		snprintf(buf, len, "[%s]:%d", addr ? addr : "?", port);
	else
		snprintf(buf, len, "%s:%d", addr ? addr : "?", port);
}

static int load_conns(struct nt_store *db, struct nt_analysis *a, char *err)
{
	int64_t *ids = NULL;
	size_t n = 0;
	struct nt_stmt *s;
	int ret = -1;

	for (size_t i = 0; i < a->ninc; i++)
		n += a->inc[i].nconns;
	ids = malloc((n ? n : 1) * sizeof(*ids));
	if (!ids)
		goto oom;
	n = 0;
	for (size_t i = 0; i < a->ninc; i++)
		for (size_t j = 0; j < a->inc[i].nconns; j++)
			ids[n++] = a->inc[i].conns[j];
	if (n)
		qsort(ids, n, sizeof(*ids), cmp_i64);
	a->conns = calloc(n ? n : 1, sizeof(*a->conns));
	if (!a->conns)
		goto oom;
	s = nt_store_prepare(db,
		"SELECT c.conn_id, c.host_id, h.hostname, c.family, c.laddr, c.lport, c.raddr, c.rport, c.pid, c.comm,"
		" c.container, c.wscale_ok, c.snd_wscale, c.rcv_wscale, c.listener, c.first_ts, c.last_ts,"
		" c.bytes_acked, c.bytes_received, c.retransmits, c.rtt_min_us, c.rtt_avg_us, c.rtt_max_us,"
		" c.opt_sysctl, n.name"
		" FROM connections c JOIN hosts h USING (host_id)"
		" LEFT JOIN netns n ON n.host_id = c.host_id AND n.inode = c.netns WHERE c.conn_id = ?", err);
	if (!s)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (i && ids[i] == ids[i - 1])
			continue;
		nt_stmt_bind_int(s, 1, ids[i]);
		if (nt_stmt_step(s) == NT_STORE_ROW) {
			struct nt_conninfo *c = &a->conns[a->nconns++];
#define T(i) (nt_col_text(s, i))
#define I(i, d) (nt_col_type(s, i) == NT_COL_NULL ? (d) : nt_col_int(s, i))
			c->conn_id = ids[i];
			c->host_id = I(1, 0);
			snprintf(c->host, sizeof(c->host), "%s", T(2) ? T(2) : "");
			endpoint(c->local, sizeof(c->local), (int)I(3, 2), T(4), (int)I(5, 0));
			endpoint(c->remote, sizeof(c->remote), (int)I(3, 2), T(6), (int)I(7, 0));
			c->pid = (uint32_t)I(8, 0);
			snprintf(c->comm, sizeof(c->comm), "%s", T(9) ? T(9) : "");
			container_short(c->container, sizeof(c->container), T(10));
			c->wscale_ok = (int)I(11, -1);
			c->snd_wscale = (int)I(12, -1);
			c->rcv_wscale = (int)I(13, -1);
			c->listener = (int)I(14, 0);
			c->first_ts = I(15, 0);
			c->last_ts = I(16, 0);
			c->bytes_acked = I(17, 0);
			c->bytes_received = I(18, 0);
			c->retransmits = I(19, 0);
			c->rtt_min_us = I(20, -1);
			c->rtt_avg_us = I(21, -1);
			c->rtt_max_us = I(22, -1);
			c->opt_sysctl = (int)I(23, -1);
			snprintf(c->netns, sizeof(c->netns), "%s", T(24) ? T(24) : "");
#undef T
#undef I
		}
		nt_stmt_reset(s);
	}
	nt_stmt_finalize(s);
	ret = 0;
	goto out;
oom:
	snprintf(err, NT_ERRLEN, "out of memory");
out:
	free(ids);
	return ret;
}

/* ---- grouping ---- */

struct item {
	uint64_t key;
	int64_t t;
	size_t idx;
};

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static uint64_t group_key(const struct nt_finding *f)
{
	char buf[256];

	if (f->pid)
		snprintf(buf, sizeof(buf), "p|%lld|%u", (long long)f->host_id, f->pid);
	else if (f->conn_id)
		snprintf(buf, sizeof(buf), "c|%lld", (long long)f->conn_id);
	else
		snprintf(buf, sizeof(buf), "w|%lld|%d|%s", (long long)f->host_id, f->kind, f->what);
	return hash_bytes(buf, strlen(buf), 11);
}

static struct nt_incident *inc_new(struct nt_analysis *a, size_t *cap)
{
	if (a->ninc == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct nt_incident *v = realloc(a->inc, ncap * sizeof(*v));
		if (!v)
			return NULL;
		a->inc = v;
		*cap = ncap;
	}
	struct nt_incident *in = &a->inc[a->ninc++];
	memset(in, 0, sizeof(*in));
	return in;
}

static int inc_add(struct nt_incident *in, size_t idx)
{
	size_t *v = realloc(in->find, (in->nfind + 1) * sizeof(*v));

	if (!v)
		return -1;
	in->find = v;
	in->find[in->nfind++] = idx;
	return 0;
}

/* ---- cause chain ---- */

/* Two records of one connection, one from each end (local and remote swapped). */
static int reverse_pair(const struct nt_conninfo *x, const struct nt_conninfo *y)
{
	return x && y && !x->listener && !y->listener && !strcmp(x->local, y->remote) && !strcmp(x->remote, y->local);
}


struct kstat {
	int n[NT_F__COUNT];
	const struct nt_finding *top[NT_F__COUNT]; /* highest impact of each kind */
	const struct nt_finding *real_top;         /* the largest drop finding that is neither duplicate nor teardown */
	int64_t zw_rcv_ns, zw_snd_ns, zw_ns;
	uint64_t zw_eps, zw_rcv_eps, zw_snd_eps, drops, retrans, rto_eps, resets_sent, resets_recv;
	int netfilter;
	int nowscale_conns;
	uint64_t drops_real;       /* drops other than teardown noise and duplicates */
	uint64_t drops_dup;        /* TCP_OLD_DATA / TCP_OLD_SEQUENCE: duplicates discarded */
	uint64_t drops_qdisc;      /* QDISC_DROP: a full queue (consistent with queueing delay) */
	uint64_t spurious, spurious_of, undone, recoveries; /* D-SACKed of retransmitted segments */
	const struct nt_finding *nf_top; /* the largest netfilter drop finding */
	double imp[NT_F__COUNT];   /* impact per kind */
	/* Context: the traffic that filled the queue (findings folded in). */
	uint64_t ctx_qdisc, ctx_retrans;
	int ctx_n, ctx_conns;
	const struct nt_finding *ctx_top;
};

/* What to do about drops of one reason (the finding's typed drop_reason). */
static const char *drop_hint(const char *reason)
{
	static const struct {
		const char *reason, *hint;
	} hints[] = {
		{ "NETFILTER_DROP", "list the firewall rules with their counters (nft list ruleset; iptables -L -v -n) and fix the rule that matches this traffic" },
		{ "NO_SOCKET", "packets arrived for a port without a socket: the service was down or restarting, or clients use a wrong port" },
		{ "TCP_OLD_SEQUENCE", "old or duplicate segments (spurious retransmits or zero-window probes); usually harmless" },
		{ "SOCKET_RCVBUFF", "the socket receive buffer was full: the process reads too slowly; raise net.ipv4.tcp_rmem or read faster" },
		{ "SOCKET_BACKLOG", "the socket backlog was full while the process held the socket: look for long critical sections or softirq overload" },
		{ "PROTO_MEM", "TCP memory pressure: check net.ipv4.tcp_mem and the sockets holding memory (ss -tm)" },
		{ "TCP_CSUM", "corrupted segments: check the NIC, cabling and checksum offloads (ethtool -S)" },
		{ "IP_CSUM", "corrupted packets: check the NIC, cabling and checksum offloads (ethtool -S)" },
		{ "QDISC_DROP", "a queueing discipline dropped packets: the link is saturated (tc -s qdisc)" },
		{ "TCP_ZEROWINDOW", "data arrived beyond a zero window: the receiver stopped reading" },
		{ "TCP_OFO_DROP", "out-of-order queue full: heavy reordering or loss; raise tcp_rmem" },
		{ "TCP_OLD_DATA", "data that had already arrived was sent again (retransmits after loss, or spurious ones): look at what made the sender retransmit" },
	};

	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (!strcmp(reason, hints[i].reason))
			return hints[i].hint;
	return "look the reason up in include/net/dropreason-core.h; the location names the kernel function that dropped";
}

/* The median RTT (ms) of the other connections of conn's local service (same host and local
 * address:port): what the service's RTT was before or beside this connection. -1 if unknown. */
/* How much of a sender's time the peer's window limited it: the kernel's
 * accounting when the tape has it, else the share of periodic samples. */
static const char *rwnd_share_text(const struct nt_finding *f, char *buf, size_t n)
{
	if (!strcmp(f->side, "time"))
		snprintf(buf, n, "%.0f%% of the time it was sending (%.1f of %.1f s)", 100 * f->value,
			 (double)f->count / 1000.0, (double)f->count2 / 1000.0);
	else
		snprintf(buf, n, "in %.0f%% of its samples (%llu s)", 100 * f->value, (unsigned long long)f->count);
	return buf;
}

static double service_rtt_ms(struct nt_store *db, const struct nt_conninfo *c)
{
	struct nt_stmt *s = NULL;
	double v = -1;

	if (!db || !c)
		return -1;
	if ((s = nt_store_prepare(db,
			       "SELECT o.rtt_avg_us FROM connections o JOIN connections x ON x.conn_id = ?"
			       " WHERE o.host_id = x.host_id AND o.laddr = x.laddr AND o.lport = x.lport"
			       " AND o.conn_id <> x.conn_id AND o.listener = 0 AND o.rtt_avg_us > 0 ORDER BY o.rtt_avg_us",
			       NULL))) {
		int64_t v_[64];
		int n = 0;
		nt_stmt_bind_int(s, 1, c->conn_id);
		while (n < 64 && nt_stmt_step(s) == NT_STORE_ROW)
			v_[n++] = nt_col_int(s, 0);
		if (n)
			v = (double)v_[n / 2] / 1000.0;
	}
	nt_stmt_finalize(s);
	return v;
}

/* ", filled by N connections of PROC (X qdisc drops, Y retransmits)" for folded context; "" without. */
static void ctx_text(const struct nt_analysis *a, const struct kstat *k, char *buf, size_t len)
{
	char p[64] = "unknown process", lbl[200];
	const struct nt_conninfo *c;

	buf[0] = 0;
	if (!k->ctx_n || !k->ctx_top)
		return;
	c = k->ctx_top->conn_id ? nt_analysis_conn(a, k->ctx_top->conn_id) : NULL;
	if (c)
		nt_proc_label(c->comm, c->pid, p, sizeof(p));
	if (c)
		snprintf(lbl, sizeof(lbl), "%s (%s)", c->local, p);
	else
		snprintf(lbl, sizeof(lbl), "%.180s", k->ctx_top->what);
	char who[240];
	if (k->ctx_conns)
		snprintf(who, sizeof(who), "%d connection%s, e.g. %s", k->ctx_conns, k->ctx_conns == 1 ? "" : "s", lbl);
	else /* drops before any socket was known (on a router, or the packets' own queue) */
		snprintf(who, sizeof(who), "packets of no recorded socket: %s", lbl);
	snprintf(buf, len, "; the queue was filled by other traffic in the same window (%s): %llu "
		 "packets dropped by a full queue (QDISC_DROP), %llu retransmits", who,
		 (unsigned long long)k->ctx_qdisc, (unsigned long long)k->ctx_retrans);
}

/*
 * Which end switched window scaling off. Each unscaled connection of the
 * incident votes: for itself when its own namespace had
 * net.ipv4.tcp_window_scaling=0 (it could not offer or answer the option),
 * else for its recorded other end (the same 4-tuple mirrored, on any host)
 * when that one's namespace had it off. The (host, netns, process) with the
 * most votes is the culprit. An end whose sysctl was on is never named.
 * *both_on is set when both ends of some unscaled connection had it on (a
 * middlebox stripped the option).
 */
static void wscale_culprit(struct nt_store *db, const struct nt_analysis *a, struct nt_incident *in, int *both_on)
{
	struct vote { int64_t host, netns, pid, n; } v[16];
	size_t nv = 0, best = 0;
	struct nt_stmt *s = NULL;
	struct nt_culprit *cu = &in->culprit;

	memset(cu, 0, sizeof(*cu));
	*both_on = 0;
	if (!db || !(s = nt_store_prepare(db,
			"SELECT c.host_id, c.netns, c.pid, c.opt_sysctl, p.host_id, p.netns, p.pid, p.opt_sysctl"
			" FROM connections c LEFT JOIN connections p ON p.laddr = c.raddr AND p.lport = c.rport"
			" AND p.raddr = c.laddr AND p.rport = c.lport AND p.listener = 0 AND p.conn_id <> c.conn_id"
			" WHERE c.conn_id = ?", NULL))) {
		nt_stmt_finalize(s);
		return;
	}
	for (size_t i = 0; i < in->nconns; i++) {
		const struct nt_conninfo *c = nt_analysis_conn(a, in->conns[i]);
		if (!c || c->listener || c->wscale_ok != 0)
			continue;
		nt_stmt_bind_int(s, 1, c->conn_id);
		while (nt_stmt_step(s) == NT_STORE_ROW) {
			int col = -1;
			int mine = nt_col_type(s, 3) != NT_COL_NULL && !((int)nt_col_int(s, 3) & NT_OPT_WSCALE_BIT);
			int peer = nt_col_type(s, 7) != NT_COL_NULL && !((int)nt_col_int(s, 7) & NT_OPT_WSCALE_BIT);
			if (mine)
				col = 0;
			else if (peer)
				col = 4;
			else if (nt_col_type(s, 3) != NT_COL_NULL && nt_col_type(s, 7) != NT_COL_NULL)
				*both_on = 1;
			if (col < 0)
				continue;
			int64_t h = nt_col_int(s, col), ns = nt_col_int(s, col + 1),
				pid = nt_col_int(s, col + 2);
			size_t k;
			for (k = 0; k < nv; k++)
				if (v[k].host == h && v[k].netns == ns && v[k].pid == pid)
					break;
			if (k == nv && nv < sizeof(v) / sizeof(v[0]))
				v[nv++] = (struct vote){ h, ns, pid, 0 };
			if (k < nv)
				v[k].n++;
			break; /* one vote per connection */
		}
		nt_stmt_reset(s);
	}
	nt_stmt_finalize(s);
	s = NULL;
	if (!nv)
		return;
	for (size_t k = 1; k < nv; k++)
		if (v[k].n > v[best].n)
			best = k;
	cu->valid = 1;
	cu->host_id = v[best].host;
	cu->pid = (uint32_t)v[best].pid;
	snprintf(cu->setting, sizeof(cu->setting), "net.ipv4.tcp_window_scaling=0");
	if ((s = nt_store_prepare(db,
			"SELECT h.hostname, n.name, count(*), sum(c.wscale_ok = 0),"
			" (SELECT group_concat(laddr, ', ') FROM (SELECT DISTINCT laddr FROM connections x WHERE x.host_id = ?1"
			"   AND x.netns = ?2 AND x.pid = ?3 AND x.listener = 0 ORDER BY laddr LIMIT 3)),"
			" max(c.comm), max(c.container)"
			" FROM connections c JOIN hosts h USING (host_id)"
			" LEFT JOIN netns n ON n.host_id = c.host_id AND n.inode = c.netns"
			" WHERE c.host_id = ?1 AND c.netns = ?2 AND c.pid = ?3 AND c.listener = 0 AND c.wscale_ok IS NOT NULL",
			NULL))) {
		nt_stmt_bind_int(s, 1, v[best].host);
		nt_stmt_bind_int(s, 2, v[best].netns);
		nt_stmt_bind_int(s, 3, v[best].pid);
		if (nt_stmt_step(s) == NT_STORE_ROW) {
#define T(i) (nt_col_text(s, i) ? nt_col_text(s, i) : "")
			snprintf(cu->host, sizeof(cu->host), "%s", T(0));
			snprintf(cu->netns, sizeof(cu->netns), "%s", T(1));
			cu->connections = nt_col_int(s, 2);
			cu->unscaled = nt_col_int(s, 3);
			snprintf(cu->addrs, sizeof(cu->addrs), "%s", T(4));
			snprintf(cu->comm, sizeof(cu->comm), "%s", T(5));
			container_short(cu->container, sizeof(cu->container), T(6));
#undef T
		}
	}
	nt_stmt_finalize(s);
}

/* "python3[4242] (container 3f2a9c1b7d4e)": a process label with its container. */
static char *proc_ctr(const char *comm, uint32_t pid, const char *container, char *buf, size_t len)
{
	char p[64];

	nt_proc_label(comm, pid, p, sizeof(p));
	if (container && *container)
		snprintf(buf, len, "%s (container %.12s)", p, container);
	else
		snprintf(buf, len, "%s", p);
	return buf;
}

/* The fix of an incident whose connections lack window scaling, naming the
 * end that switched it off; the end that offered it is never the one to change. */
static void wscale_fix(struct nt_store *db, const struct nt_analysis *a, struct nt_incident *in, const char *then)
{
	char who[160], where[200] = "";
	int both_on;
	const struct nt_culprit *cu = &in->culprit;

	wscale_culprit(db, a, in, &both_on);
	if (!cu->valid) {
		int local_on = 0, local_known = 0;
		for (size_t i = 0; i < in->nconns; i++) {
			const struct nt_conninfo *c = nt_analysis_conn(a, in->conns[i]);
			if (c && !c->listener && c->wscale_ok == 0 && c->opt_sysctl >= 0) {
				local_known = 1;
				local_on |= c->opt_sysctl & NT_OPT_WSCALE_BIT;
			}
		}
		if (both_on)
			snprintf(in->fix, sizeof(in->fix),
				 "both ends had net.ipv4.tcp_window_scaling=1 and offered the option: a middlebox between them "
				 "(load balancer, firewall, NAT) strips the TCP window-scale option; fix it there%s", then);
		else if (local_known && local_on)
			snprintf(in->fix, sizeof(in->fix),
				 "this end offered window scaling (net.ipv4.tcp_window_scaling=1 here): the other end did not; "
				 "check net.ipv4.tcp_window_scaling on the peer and any middlebox that strips the option (record "
				 "the peer too to know which)%s", then);
		return;
	}
	proc_ctr(cu->comm, cu->pid, cu->container, who, sizeof(who));
	if (cu->netns[0])
		snprintf(where, sizeof(where), " in network namespace %s", cu->netns);
	snprintf(in->fix, sizeof(in->fix),
		 "turn window scaling back on where it is off: %s at %s%s on %s has %s; %lld of its %lld connection%s %s "
		 "unscaled (its peers offered the option). Set net.ipv4.tcp_window_scaling=1 there (sysctl -w, and in "
		 "/etc/sysctl.d)%s", who, cu->addrs[0] ? cu->addrs : "?", where, cu->host[0] ? cu->host : "?", cu->setting,
		 (long long)cu->unscaled, (long long)cu->connections, cu->connections == 1 ? "" : "s",
		 cu->connections == 1 ? "is" : cu->unscaled == cu->connections && cu->connections > 2 ? "are all" : "are",
		 then);
}

/* "; the queue was filled by PROC (container C): N connections sending X MB toward D in the same window". */
static void related_text(const struct nt_incident *in, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < in->nrelated && o < len; i++) {
		const struct nt_related *r = &in->related[i];
		char who[160];
		proc_ctr(r->comm, r->pid, r->container, who, sizeof(who));
		o += (size_t)snprintf(buf + o, len - o, "%s%s: %lld connection%s sending %.1f MB toward %s%s in the same window",
				      i ? "; and by " : "; the queue was filled by ", who, (long long)r->connections,
				      r->connections == 1 ? "" : "s", (double)r->bytes / 1e6, r->dest,
				      r->toward_victim ? " (this connection's own end: the queue its peer's ACKs wait in)" : "");
		if (o >= len)
			break;
	}
}

/* The incident belongs to the owner of one of its connections. */
static void owned_by_conn(struct nt_analysis *a, struct nt_incident *in, int64_t conn_id)
{
	const struct nt_conninfo *c = conn_id ? nt_analysis_conn(a, conn_id) : NULL;

	if (c && c->pid && c->pid != in->pid) {
		in->pid = c->pid;
		in->host_id = c->host_id;
		snprintf(in->host, sizeof(in->host), "%s", c->host);
		snprintf(in->comm, sizeof(in->comm), "%s", c->comm);
		snprintf(in->container, sizeof(in->container), "%s", c->container);
	}
}

static void cause_chain(struct nt_analysis *a, struct nt_incident *in, struct nt_store *db)
{
	struct kstat k;
	char proc[200], d1[32], d2[32], peer[300] = "the peer";
	const struct nt_finding *f;

	memset(&k, 0, sizeof(k));
	in->cause_flags = 0; /* set again with the cause below */
	for (size_t i = 0; i < in->nfind; i++) {
		f = &a->findings.v[in->find[i]];
		if (f->context) {
			int seen = 0;
			k.ctx_n++;
			for (size_t j = 0; j < i && f->conn_id && !seen; j++) {
				const struct nt_finding *g = &a->findings.v[in->find[j]];
				seen = g->context && g->conn_id == f->conn_id;
			}
			k.ctx_conns += f->conn_id && !seen;
			if (f->kind == NT_F_DROPS && (f->drop_flags & NT_DROPF_QDISC))
				k.ctx_qdisc += f->count;
			else if (f->kind == NT_F_FAST_RETRANS)
				k.ctx_retrans += f->count;
			else if (f->kind == NT_F_RTO)
				k.ctx_retrans += f->count2;
			/* Name a connection of the queue filler when one is known. */
			if (f->kind != NT_F_RESET && (!k.ctx_top || (f->conn_id && !k.ctx_top->conn_id) ||
						      (!f->conn_id == !k.ctx_top->conn_id && f->impact > k.ctx_top->impact)))
				k.ctx_top = f;
			continue;
		}
		k.n[f->kind]++;
		k.imp[f->kind] += f->impact;
		if (!k.top[f->kind] || f->impact > k.top[f->kind]->impact)
			k.top[f->kind] = f;
		switch (f->kind) {
		case NT_F_ZERO_WINDOW:
			k.zw_ns += f->duration_ns;
			k.zw_eps += f->count;
			if (!strcmp(f->side, "rcv")) {
				k.zw_rcv_ns += f->duration_ns;
				k.zw_rcv_eps += f->count;
			} else {
				k.zw_snd_ns += f->duration_ns;
				k.zw_snd_eps += f->count;
			}
			break;
		case NT_F_DROPS:
			k.drops += f->count;
			if (nt_drop_duplicate(f))
				k.drops_dup += f->count;
			else if (!nt_drop_teardown(f)) {
				k.drops_real += f->count;
				if (!k.real_top || f->count > k.real_top->count)
					k.real_top = f;
			}
			if (f->drop_flags & NT_DROPF_QDISC)
				k.drops_qdisc += f->count;
			if (f->drop_flags & NT_DROPF_NETFILTER) {
				k.netfilter = 1;
				if (!k.nf_top || f->count > k.nf_top->count)
					k.nf_top = f;
			}
			break;
		case NT_F_RTO: k.rto_eps += f->count; k.retrans += f->count2; break;
		case NT_F_FAST_RETRANS: k.retrans += f->count; break;
		case NT_F_RESET: k.resets_sent += f->count; k.resets_recv += f->count2; break;
		case NT_F_SPURIOUS:
			k.spurious += f->count;
			k.spurious_of += f->count2;
			k.undone += (uint64_t)f->value;
			k.recoveries += (uint64_t)f->baseline;
			break;
		default: break;
		}
	}
	/* Both ends of a connection see the same stall: count the dominant side only. */
	if (k.zw_rcv_ns >= k.zw_snd_ns && k.zw_rcv_eps) {
		k.zw_eps = k.zw_rcv_eps;
		k.zw_ns = k.zw_rcv_ns;
	} else if (k.zw_snd_eps) {
		k.zw_eps = k.zw_snd_eps;
		k.zw_ns = k.zw_snd_ns;
	}
	/* A connection without scaling and a zero window on it belong together. */
	for (size_t i = 0; i < in->nconns; i++) {
		const struct nt_conninfo *c = nt_analysis_conn(a, in->conns[i]);
		if (c && c->wscale_ok == 0 && !c->listener)
			k.nowscale_conns++;
	}
	/* Resets alone: the incident belongs to the process that sent them (a close
	 * with unread data), not to the peer that received them. */
	if (k.n[NT_F_RESET] && k.resets_sent && !k.n[NT_F_ZERO_WINDOW] && !k.n[NT_F_LISTEN_OVERFLOW] && !k.netfilter &&
	    !k.n[NT_F_RWND_LIMITED] && !k.n[NT_F_RTT_SPIKE] && !k.n[NT_F_RTO] && !k.drops_real && !k.n[NT_F_SYN_RETRANS] &&
	    !k.n[NT_F_FAST_RETRANS] && !k.n[NT_F_READ_STALL] && !k.n[NT_F_SLOW_RESPONSE]) {
		const struct nt_finding *snd = NULL;
		for (size_t i = 0; i < in->nfind; i++) {
			const struct nt_finding *g = &a->findings.v[in->find[i]];
			if (g->kind == NT_F_RESET && !g->context && g->count && (!snd || g->count > snd->count))
				snd = g;
		}
		if (snd)
			owned_by_conn(a, in, snd->conn_id);
	}
	/* A firewall drop belongs to the host and process whose rule dropped it
	 * (the sender's retransmits are the symptom). */
	/* A window-limited sender is the victim the incident is about (merging
	 * both ends may have kept its peer's process). */
	if (k.n[NT_F_RWND_LIMITED] && !k.n[NT_F_ZERO_WINDOW] && !k.n[NT_F_LISTEN_OVERFLOW] && !k.netfilter &&
	    k.top[NT_F_RWND_LIMITED])
		owned_by_conn(a, in, k.top[NT_F_RWND_LIMITED]->conn_id);
	if (k.netfilter && k.nf_top && k.nf_top->conn_id && !k.n[NT_F_ZERO_WINDOW] && !k.n[NT_F_LISTEN_OVERFLOW]) {
		owned_by_conn(a, in, k.nf_top->conn_id);
	}
	/* Causes and fixes name the container with the process. */
	proc_ctr(in->comm, in->pid, in->container, proc, sizeof(proc));
	/* The peer: a recorded process at the other end, else the single remote address. */
	for (size_t i = 0; i < in->nconns; i++) {
		const struct nt_conninfo *c = nt_analysis_conn(a, in->conns[i]);
		if (c && c->pid && c->pid != in->pid) {
			char who[160];
			proc_ctr(c->comm, c->pid, c->container, who, sizeof(who));
			snprintf(peer, sizeof(peer), "the peer %s (%s)", who, c->local);
			break;
		}
		if (c && in->nconns == 1)
			snprintf(peer, sizeof(peer), "the peer %s", c->remote);
	}

	if (k.n[NT_F_ZERO_WINDOW] && k.nowscale_conns) {
		in->primary = NT_F_ZERO_WINDOW;
		snprintf(in->cause, sizeof(in->cause),
			 "%llu zero-window episodes (%s in total) on %d connection%s where window scaling was not negotiated: "
			 "the window is capped at 64 KiB, so any pause in reading stops the sender",
			 (unsigned long long)k.zw_eps, nt_dur_fmt(k.zw_ns, d1, sizeof(d1)), k.nowscale_conns,
			 k.nowscale_conns == 1 ? "" : "s");
		snprintf(in->fix, sizeof(in->fix),
			 "check net.ipv4.tcp_window_scaling on %s (it must be 1 on both ends) and any middlebox that strips the "
			 "TCP window-scale option; then look at why %s pauses reading", peer, proc);
	} else if (k.n[NT_F_LISTEN_OVERFLOW]) {
		f = k.top[NT_F_LISTEN_OVERFLOW];
		in->primary = NT_F_LISTEN_OVERFLOW;
		snprintf(in->cause, sizeof(in->cause),
			 "the accept queue of %s (owned by %s, max backlog %.0f) overflowed: %llu overflow drops, %llu SYN/SYN-ACK "
			 "retransmits; the process did not accept() connections fast enough",
			 f->what, proc, f->value, (unsigned long long)f->count, (unsigned long long)f->count2);
		snprintf(in->fix, sizeof(in->fix),
			 "make %s accept faster (more acceptor threads or workers), or raise its listen() backlog together with "
			 "net.core.somaxconn and net.ipv4.tcp_max_syn_backlog; check with ss -lnt (Recv-Q vs Send-Q)", proc);
	} else if (k.n[NT_F_ZERO_WINDOW] && k.zw_rcv_ns >= k.zw_snd_ns) {
		in->primary = NT_F_ZERO_WINDOW;
		snprintf(in->cause, sizeof(in->cause),
			 "%s stopped reading: it advertised a zero receive window %llu times, %s in total%s%s",
			 proc, (unsigned long long)k.zw_eps, nt_dur_fmt(k.zw_ns, d1, sizeof(d1)),
			 k.zw_snd_eps ? ", while its sender waited: " : "", k.zw_snd_eps ? peer : "");
		snprintf(in->fix, sizeof(in->fix),
			 "look at what %s was doing at those times (CPU saturation, blocking calls, GC pauses, lock contention); "
			 "a larger SO_RCVBUF / net.ipv4.tcp_rmem only buys time", proc);
	} else if (k.n[NT_F_ZERO_WINDOW]) {
		in->primary = NT_F_ZERO_WINDOW;
		snprintf(in->cause, sizeof(in->cause),
			 "%s stopped reading: it advertised a zero window %llu times, %s in total, so %s could not send",
			 peer, (unsigned long long)k.zw_eps, nt_dur_fmt(k.zw_ns, d1, sizeof(d1)), proc);
		if (k.top[NT_F_READ_STALL])
			snprintf(in->cause + strlen(in->cause), sizeof(in->cause) - strlen(in->cause),
				 "; the receiver left data unread for up to %s",
				 nt_dur_fmt(k.top[NT_F_READ_STALL]->max_ns, d2, sizeof(d2)));
		snprintf(in->fix, sizeof(in->fix),
			 "investigate the receiving application on %s (a slow consumer); this side only waits for it", peer);
	} else if (k.n[NT_F_DROPS] && k.netfilter) {
		f = k.top[NT_F_DROPS];
		in->primary = NT_F_DROPS;
		/* Both ends recorded on two hosts: say where the rule dropped and where the sender retransmitted. */
		const struct nt_finding *rf = k.top[NT_F_FAST_RETRANS] ? k.top[NT_F_FAST_RETRANS] : k.top[NT_F_RTO];
		const struct nt_conninfo *dc = nt_analysis_conn(a, f->conn_id);
		const struct nt_conninfo *rc = rf ? nt_analysis_conn(a, rf->conn_id) : NULL;
		int two_hosts = dc && rc && dc->host_id != rc->host_id;
		char on_drop[80] = "", on_rtx[80] = "";
		if (two_hosts) {
			snprintf(on_drop, sizeof(on_drop), " on %s", dc->host);
			snprintf(on_rtx, sizeof(on_rtx), " on %s", rc->host);
		}
		snprintf(in->cause, sizeof(in->cause),
			 "a netfilter rule%s dropped %llu packets (%s)%s%s%s%s", on_drop, (unsigned long long)k.drops, f->what,
			 k.retrans ? ", which the sender" : "", k.retrans ? on_rtx : "", k.retrans ? " had to retransmit" : "",
			 k.rto_eps ? " after retransmission timeouts" : "");
		if (k.retrans)
			snprintf(in->cause + strlen(in->cause), sizeof(in->cause) - strlen(in->cause), " (%llu retransmits)",
				 (unsigned long long)k.retrans);
		snprintf(in->fix, sizeof(in->fix), "%s", drop_hint("NETFILTER_DROP"));
	} else if (k.n[NT_F_RWND_LIMITED] && k.nowscale_conns) {
		/* Latency: a window capped at 64 KiB on top of a (queueing) RTT. */
		const struct nt_conninfo *c;
		double rtt, base;
		char ctx[400], share[96];
		f = k.top[NT_F_RWND_LIMITED];
		c = nt_analysis_conn(a, f->conn_id);
		rtt = c && c->rtt_avg_us > 0 ? (double)c->rtt_avg_us / 1000.0 : -1;
		base = service_rtt_ms(db, c);
		in->primary = NT_F_RWND_LIMITED;
		if (in->nrelated)
			related_text(in, ctx, sizeof(ctx));
		else
			ctx_text(a, &k, ctx, sizeof(ctx));
		snprintf(in->cause, sizeof(in->cause),
			 "transfers from %s were window-limited %s: window scaling was not "
			 "negotiated with the peer %s, so at most 64 KiB per round trip",
			 proc, rwnd_share_text(f, share, sizeof(share)), c ? c->remote : "?");
		if (rtt > 0)
			in->cause_flags |= NT_CAUSE_QUEUEING;
		if (rtt > 0)
			snprintf(in->cause + strlen(in->cause), sizeof(in->cause) - strlen(in->cause),
				 ", on top of queueing delay: RTT %.0f ms (up to %.0f ms)%s%.*f%s, so at most %.0f KB/s",
				 rtt, (double)c->rtt_max_us / 1000.0, base > 0 ? " against " : "", base >= 1 ? 1 : 2,
				 base > 0 ? base : 0.0,
				 base > 0 ? " ms on the service's other connections" : "", 65.536 / (rtt / 1000.0));
		snprintf(in->cause + strlen(in->cause), sizeof(in->cause) - strlen(in->cause), "%s", ctx);
		snprintf(in->fix, sizeof(in->fix),
			 "enable net.ipv4.tcp_window_scaling on the client %s (it must be 1 on both ends; check middleboxes "
			 "that strip the option); then the queue on the path (tc -s qdisc; fq_codel or cake)",
			 c ? c->remote : "side");
	} else if (k.n[NT_F_RTT_SPIKE] && k.imp[NT_F_RTT_SPIKE] >= k.imp[NT_F_RTO] &&
		   k.drops_real == k.drops_qdisc) { /* a full queue, old (spuriously retransmitted) data, teardown */
		char ctx[400];
		f = k.top[NT_F_RTT_SPIKE];
		in->primary = NT_F_RTT_SPIKE;
		if (in->nrelated)
			related_text(in, ctx, sizeof(ctx));
		else
			ctx_text(a, &k, ctx, sizeof(ctx));
		/* Say "queueing" outright only with evidence of a full queue. */
		/* (duplicates are no evidence of a queue: a reordering path makes them too) */
		int queued = k.ctx_n || k.drops_qdisc || in->nrelated;
		if (queued)
			in->cause_flags |= NT_CAUSE_QUEUEING;
		snprintf(in->cause, sizeof(in->cause),
			 "%sthe round-trip time rose from %.1f ms to %.1f ms for %s%s%s%s%s", queued ? "queueing delay: " : "",
			 f->baseline, f->value, nt_dur_fmt(f->duration_ns, d1, sizeof(d1)),
			 k.rto_eps ? " (with retransmission timeouts: " : "",
			 k.rto_eps ? nt_dur_fmt(k.top[NT_F_RTO]->duration_ns, d2, sizeof(d2)) : "",
			 k.rto_eps ? " in loss state)" : "",
			 queued ? "" : ": packets queued on the path (bufferbloat) or the peer answered late");
		snprintf(in->cause + strlen(in->cause), sizeof(in->cause) - strlen(in->cause), "%s", ctx);
		if (in->nrelated) {
			char who[160];
			proc_ctr(in->related[0].comm, in->related[0].pid, in->related[0].container, who, sizeof(who));
			snprintf(in->fix, sizeof(in->fix),
				 "the bulk traffic of %s and %s share one queue toward %s: give the bulk traffic its own class or a "
				 "rate limit (tc htb), or replace the long FIFO with fq_codel or cake (tc -s qdisc: backlog); the "
				 "delay is the queue, not %s", who, proc, in->related[0].dest, proc);
		} else if (queued)
			snprintf(in->fix, sizeof(in->fix),
				 "check the queues on the path (tc -s qdisc: backlog and drops; use fq_codel or cake instead of a "
				 "long FIFO), separate bulk traffic from latency-sensitive traffic, and check link saturation");
		else
			snprintf(in->fix, sizeof(in->fix),
				 "check the queues on the path (tc -s qdisc: backlog and drops; consider fq_codel or cake), link "
				 "saturation, and the CPU of %s", peer);
	} else if (k.n[NT_F_RTO]) {
		f = k.top[NT_F_RTO];
		in->primary = NT_F_RTO;
		snprintf(in->cause, sizeof(in->cause),
			 "the path stopped delivering packets for longer than the retransmission timeout: %llu RTO episode%s, %s "
			 "in loss state%s", (unsigned long long)k.rto_eps, k.rto_eps == 1 ? "" : "s",
			 nt_dur_fmt(f->duration_ns, d1, sizeof(d1)), k.drops ? " after drops on this connection" : "");
		snprintf(in->fix, sizeof(in->fix),
			 "look for a blackhole between the hosts: firewall rules, link flaps, a failing next hop, MTU blackholing "
			 "(tracepath); compare with drops on this host and the peer's");
	} else if (k.n[NT_F_DROPS] && k.drops_real) {
		/* The cause is the drops that are loss, not the largest evidence
		 * (duplicates can outnumber them). */
		f = k.real_top;
		in->primary = NT_F_DROPS;
		snprintf(in->cause, sizeof(in->cause), "the kernel dropped %llu packets (%s%s)%s",
			 (unsigned long long)k.drops_real, f->what, k.drops_real > f->count ? ", and others" : "",
			 k.retrans ? " and the sender retransmitted" : "");
		if (k.drops_dup)
			snprintf(in->cause + strlen(in->cause), sizeof(in->cause) - strlen(in->cause),
				 "; the receiver also discarded %llu duplicates", (unsigned long long)k.drops_dup);
		snprintf(in->fix, sizeof(in->fix), "%s", drop_hint(f->drop_reason));
	} else if (k.n[NT_F_SYN_RETRANS]) {
		f = k.top[NT_F_SYN_RETRANS];
		in->primary = NT_F_SYN_RETRANS;
		snprintf(in->cause, sizeof(in->cause),
			 "connection attempts from %s to %s were not answered in time (%llu SYN retransmits)", proc, f->what,
			 (unsigned long long)f->count);
		snprintf(in->fix, sizeof(in->fix),
			 "the server %s was down, overloaded (full accept queue: ss -lnt on the server) or a firewall drops SYNs; "
			 "record the server too to see which", f->what);
	} else if (k.n[NT_F_RWND_LIMITED]) {
		char share[96];
		f = k.top[NT_F_RWND_LIMITED];
		in->primary = NT_F_RWND_LIMITED;
		snprintf(in->cause, sizeof(in->cause),
			 "%s was limited by the receiver's advertised window %s%s", proc, rwnd_share_text(f, share, sizeof(share)),
			 k.nowscale_conns ? "; window scaling was not negotiated, so the window is capped at 64 KiB" : "");
		snprintf(in->fix, sizeof(in->fix), k.nowscale_conns ?
			 "enable net.ipv4.tcp_window_scaling on %s (and check middleboxes that strip the option)" :
			 "raise the receive buffer limits on %s (net.ipv4.tcp_rmem max, net.core.rmem_max) or make the receiver "
			 "read faster", peer);
	} else if (k.n[NT_F_RTT_SPIKE]) {
		f = k.top[NT_F_RTT_SPIKE];
		in->primary = NT_F_RTT_SPIKE;
		snprintf(in->cause, sizeof(in->cause),
			 "the round-trip time rose from a median of %.1f ms to %.1f ms for %s: packets queued on the path "
			 "(bufferbloat) or the peer answered late", f->baseline, f->value,
			 nt_dur_fmt(f->duration_ns, d1, sizeof(d1)));
		snprintf(in->fix, sizeof(in->fix),
			 "check the queues on the path (tc -s qdisc: backlog and drops; consider fq_codel or cake), link saturation, "
			 "and the CPU of %s", peer);
	} else if (k.n[NT_F_FAST_RETRANS]) {
		in->primary = NT_F_FAST_RETRANS;
		snprintf(in->cause, sizeof(in->cause),
			 "packets were lost on the path (%llu fast retransmits) and recovered without timeouts",
			 (unsigned long long)k.retrans);
		snprintf(in->fix, sizeof(in->fix),
			 "look for congestion or a lossy link: interface errors (ethtool -S, ip -s link), tc -s qdisc drops; this "
			 "costs throughput rather than seconds");
	} else if (k.n[NT_F_READ_STALL] || k.n[NT_F_SLOW_RESPONSE]) {
		int rd = k.n[NT_F_READ_STALL] != 0;
		f = k.top[rd ? NT_F_READ_STALL : NT_F_SLOW_RESPONSE];
		in->primary = rd ? NT_F_READ_STALL : NT_F_SLOW_RESPONSE;
		snprintf(in->cause, sizeof(in->cause), rd ?
			 "%s left received data unread for up to %s (%s in total): the network delivered it in time" :
			 "%s took up to %s to answer requests (%s in total): the network delivered them in time",
			 proc, nt_dur_fmt(f->max_ns, d1, sizeof(d1)), nt_dur_fmt(f->duration_ns, d2, sizeof(d2)));
		snprintf(in->fix, sizeof(in->fix),
			 "profile %s at those times (off-CPU time, blocking I/O, a saturated thread pool, GC pauses)", proc);
	} else if (k.n[NT_F_RESET]) {
		f = k.top[NT_F_RESET];
		in->primary = NT_F_RESET;
		snprintf(in->cause, sizeof(in->cause), "connections of %s were reset (%llu sent, %llu received)%s%s", proc,
			 (unsigned long long)k.resets_sent, (unsigned long long)k.resets_recv, f->what[0] ? "; reason " : "",
			 f->what);
		snprintf(in->fix, sizeof(in->fix), k.resets_sent ?
			 "a reset sent by this host usually means the application closed a socket with unread data (read to EOF "
			 "before close) or aborted it; check %s's close path" :
			 "resets received come from the peer or a middlebox (idle timeouts, a restarted peer): check %s", k.resets_sent ? proc : peer);
	} else if (k.n[NT_F_SPURIOUS]) {
		in->primary = NT_F_SPURIOUS;
		snprintf(in->cause, sizeof(in->cause),
			 "reordering on the path, no loss: %llu of %llu retransmitted segments were spurious (the receiver "
			 "reported them as duplicates with D-SACK), %llu of %llu recovery episodes undone by the kernel",
			 (unsigned long long)k.spurious, (unsigned long long)k.spurious_of, (unsigned long long)k.undone,
			 (unsigned long long)k.recoveries);
		if (k.drops_dup)
			snprintf(in->cause + strlen(in->cause), sizeof(in->cause) - strlen(in->cause),
				 "; the receiver discarded %llu duplicates (TCP_OLD_DATA / TCP_OLD_SEQUENCE)",
				 (unsigned long long)k.drops_dup);
		snprintf(in->fix, sizeof(in->fix),
			 "nothing was lost; if throughput matters, find what reorders (multipath/ECMP, bonding, veth under load) "
			 "and compare ss -ti reord_seen and net.ipv4.tcp_reordering; spurious retransmissions are not a firewall "
			 "or link problem");
	} else if (k.n[NT_F_DROPS] && k.drops_dup) {
		in->primary = NT_F_DROPS;
		snprintf(in->cause, sizeof(in->cause),
			 "the receiver discarded %llu duplicate segments (TCP_OLD_DATA / TCP_OLD_SEQUENCE): %s sent data "
			 "again that had already arrived; without loss on the way these are spurious retransmissions",
			 (unsigned long long)k.drops_dup, peer);
		snprintf(in->fix, sizeof(in->fix),
			 "usually harmless; if they are many, look at what made the sender retransmit early (reordering, "
			 "a delayed ACK path, RTO too short: ss -ti rto and retrans on the sender)");
	} else if (k.n[NT_F_DROPS]) { /* teardown noise only */
		f = k.top[NT_F_DROPS];
		in->primary = NT_F_DROPS;
		snprintf(in->cause, sizeof(in->cause),
			 "the kernel dropped %llu packets for closed sockets (%s): a process closed or died with traffic in flight",
			 (unsigned long long)k.drops, f->what);
		snprintf(in->fix, sizeof(in->fix), "%s", drop_hint(f->drop_reason));
	} else if (k.n[NT_F_RECORDER_LOSS]) {
		f = k.top[NT_F_RECORDER_LOSS];
		in->primary = NT_F_RECORDER_LOSS;
		snprintf(in->cause, sizeof(in->cause), "%s", f->summary);
		snprintf(in->fix, sizeof(in->fix),
			 "give the recorder a larger ring buffer or narrow its filters (ports, netns, cgroup) and keep it off "
			 "saturated CPUs; do not read a quiet period in this window as healthy");
	} else if (k.n[NT_F_NO_WSCALE]) {
		in->primary = NT_F_NO_WSCALE;
		snprintf(in->cause, sizeof(in->cause),
			 "%d connection%s of %s did not negotiate window scaling: windows are capped at 64 KiB, so throughput is at "
			 "most 64 KiB per round trip", k.n[NT_F_NO_WSCALE], k.n[NT_F_NO_WSCALE] == 1 ? "" : "s", proc);
		snprintf(in->fix, sizeof(in->fix),
			 "check net.ipv4.tcp_window_scaling on both ends (%s) and middleboxes that strip TCP options", peer);
	}
	/* A latency incident on connections without window scaling: at most 64 KiB per
	 * round trip turns the queue's delay into seconds; say so. */
	if (k.nowscale_conns && in->primary == NT_F_RTT_SPIKE && k.top[NT_F_RTT_SPIKE])
		snprintf(in->cause + strlen(in->cause), sizeof(in->cause) - strlen(in->cause),
			 "; window scaling was not negotiated on %d of these connections, so at most 64 KiB per round "
			 "trip: at %.0f ms that is %.0f KB/s", k.nowscale_conns, k.top[NT_F_RTT_SPIKE]->value,
			 k.top[NT_F_RTT_SPIKE]->value > 0 ? 65.536 / (k.top[NT_F_RTT_SPIKE]->value / 1000.0) : 0.0);
	/* Missing window scaling: name the end that switched it off. */
	if (k.nowscale_conns && (in->primary == NT_F_ZERO_WINDOW || in->primary == NT_F_RWND_LIMITED ||
				 in->primary == NT_F_NO_WSCALE || in->primary == NT_F_RTT_SPIKE)) {
		char then[300] = "";
		if (in->primary == NT_F_ZERO_WINDOW)
			snprintf(then, sizeof(then), "; then look at why %s pauses reading", proc);
		else if ((in->primary == NT_F_RWND_LIMITED && (in->cause_flags & NT_CAUSE_QUEUEING)) ||
			 in->primary == NT_F_RTT_SPIKE)
			snprintf(then, sizeof(then), "; then the queue on the path (tc -s qdisc; fq_codel or cake)");
		wscale_fix(db, a, in, then);
	}
	{
		char subj[160] = "";
		if (in->primary == NT_F_LISTEN_OVERFLOW || in->primary == NT_F_SYN_RETRANS)
			snprintf(subj, sizeof(subj), " %.158s", k.top[in->primary]->what);
		else if ((in->primary == NT_F_RTT_SPIKE || in->primary == NT_F_RWND_LIMITED) && k.top[in->primary] &&
			 k.top[in->primary]->conn_id)
			nt_conn_label(a, k.top[in->primary]->conn_id, subj + 1, sizeof(subj) - 1), subj[0] = ' ';
		else if (in->nconns == 1)
			nt_conn_label(a, in->conns[0], subj + 1, sizeof(subj) - 1), subj[0] = ' ';
		else if (in->nconns > 1) {
			size_t pairs = 0;
			for (size_t i = 0; i < in->nconns; i++)
				for (size_t j = i + 1; j < in->nconns; j++)
					pairs += reverse_pair(nt_analysis_conn(a, in->conns[i]), nt_analysis_conn(a, in->conns[j]));
			snprintf(subj, sizeof(subj), " %zu connection%s%s", in->nconns - pairs, in->nconns - pairs == 1 ? "" : "s",
				 pairs ? " (both ends)" : "");
		}
		snprintf(in->title, sizeof(in->title), "%s%s%s", nt_fkind_title(in->primary), subj[0] ? " on" : "", subj);
		if (in->primary == NT_F_RECORDER_LOSS && in->host[0])
			snprintf(in->title + strlen(in->title), sizeof(in->title) - strlen(in->title), " on %s", in->host);
		if (in->pid || in->comm[0])
			snprintf(in->title + strlen(in->title), sizeof(in->title) - strlen(in->title), " (%s)",
				 nt_proc_label(in->comm, in->pid, d1, sizeof(d1)));
	}
}

static int cmp_inc(const void *a, const void *b)
{
	const struct nt_incident *x = a, *y = b;
	if (x->note != y->note)
		return x->note - y->note;
	if (x->impact != y->impact)
		return x->impact < y->impact ? 1 : -1;
	return x->t_start < y->t_start ? -1 : x->t_start > y->t_start;
}

static int cmp_find_time(const void *a, const void *b, void *ctx)
{
	const struct nt_finding *v = ctx;
	const struct nt_finding *x = &v[*(const size_t *)a], *y = &v[*(const size_t *)b];
	if (x->t_start != y->t_start)
		return x->t_start < y->t_start ? -1 : 1;
	return x->impact < y->impact ? 1 : x->impact > y->impact ? -1 : 0;
}

static void lookup_names(struct nt_store *db, struct nt_incident *in)
{
	struct nt_stmt *s = NULL;

	if ((s = nt_store_prepare(db, "SELECT hostname FROM hosts WHERE host_id = ?", NULL))) {
		nt_stmt_bind_int(s, 1, in->host_id);
		if (nt_stmt_step(s) == NT_STORE_ROW && nt_col_text(s, 0))
			snprintf(in->host, sizeof(in->host), "%s", nt_col_text(s, 0));
	}
	nt_stmt_finalize(s);
	s = NULL;
	if (!in->pid || in->comm[0])
		return;
	if ((s = nt_store_prepare(db, "SELECT comm, container FROM processes WHERE host_id = ? AND pid = ?", NULL))) {
		nt_stmt_bind_int(s, 1, in->host_id);
		nt_stmt_bind_int(s, 2, in->pid);
		if (nt_stmt_step(s) == NT_STORE_ROW) {
			if (nt_col_text(s, 0))
				snprintf(in->comm, sizeof(in->comm), "%s", nt_col_text(s, 0));
			if (nt_col_text(s, 1))
				container_short(in->container, sizeof(in->container), nt_col_text(s, 1));
		}
	}
	nt_stmt_finalize(s);
}

void nt_data_range(struct nt_store *db, int64_t *first, int64_t *last)
{
	*first = nt_store_int(db, "SELECT min(t) FROM (SELECT min(first_ts) AS t FROM chunks UNION ALL"
			       " SELECT min(from_ts) FROM losses UNION ALL SELECT min(created_ts) FROM chunks)", 0);
	*last = nt_store_int(db, "SELECT max(t) FROM (SELECT max(last_ts) AS t FROM chunks UNION ALL"
			      " SELECT max(to_ts) FROM losses)", 0);
	if (*last < *first)
		*last = *first;
}

static void data_summary(struct nt_store *db, struct nt_analysis *a)
{
	struct nt_stmt *s = NULL;

	nt_data_range(db, &a->data_first, &a->data_last);
	a->events = nt_store_int(db, "SELECT sum(events) FROM chunks", 0);
	a->chunks = nt_store_int(db, "SELECT count(*) FROM chunks", 0);
	a->connections = nt_store_int(db, "SELECT count(*) FROM connections", 0);
	a->lost_events = nt_store_int(db, "SELECT sum(count) FROM losses", 0);
	if ((s = nt_store_prepare(db, "SELECT group_concat(hostname, ', ') FROM (SELECT DISTINCT hostname FROM hosts ORDER BY hostname)",
			       NULL)) && nt_stmt_step(s) == NT_STORE_ROW && nt_col_text(s, 0))
		snprintf(a->hosts, sizeof(a->hosts), "%s", nt_col_text(s, 0));
	nt_stmt_finalize(s);
	long nc = nt_host_clocks(db, a->clocks, sizeof(a->clocks) / sizeof(a->clocks[0]));
	a->nclocks = nc > 1 ? (size_t)nc : 0; /* one host: nothing to align, nothing to say */
}

/* Evidence that shows no problem of its own: spurious retransmissions, and
 * drops that are only duplicates or teardown. */
static int finding_harmless(const struct nt_finding *f)
{
	return f->harmless || f->kind == NT_F_SPURIOUS || nt_drop_duplicate(f) || nt_drop_teardown(f);
}

/* Whether a finding adds to its incident's impact: harmless evidence only in
 * an incident of its own kind; a reset recorded at both ends once (the
 * receiving end only when no sender of resets was recorded). */
static int finding_weighs(const struct nt_incident *in, const struct nt_finding *f, int resets_sent)
{
	return (f->kind == in->primary || !finding_harmless(f)) &&
	       !(f->kind == NT_F_RESET && f->count == 0 && resets_sent);
}

/* Time window, connections and impact of an incident, from its findings. */
static int inc_compute(struct nt_analysis *a, struct nt_incident *in)
{
	const struct nt_findings *F = &a->findings;
	double impact = 0;
	size_t nweighed = 0; /* connections of the findings that weigh */

	in->t_start = INT64_MAX;
	in->t_end = INT64_MIN;
	free(in->conns);
	in->nconns = 0;
	in->conns = malloc((in->nfind ? in->nfind : 1) * sizeof(*in->conns));
	if (!in->conns)
		return -1;
	qsort_r(in->find, in->nfind, sizeof(*in->find), cmp_find_time, F->v);
	/* A reset recorded at both ends is one reset: the receiving end's
	 * findings weigh only when no sender was recorded. */
	int resets_sent = 0;
	for (size_t i = 0; i < in->nfind; i++)
		resets_sent |= F->v[in->find[i]].kind == NT_F_RESET && F->v[in->find[i]].count > 0;
	for (size_t i = 0; i < in->nfind; i++) {
		const struct nt_finding *f = &F->v[in->find[i]];
		int seen = 0;
		/* A condition (no window scaling) does not stretch an incident's window. */
		int cond_only = f->kind == NT_F_NO_WSCALE && in->primary != NT_F_NO_WSCALE;
		if (!cond_only && f->t_start && f->t_start < in->t_start)
			in->t_start = f->t_start;
		if (!cond_only && f->t_end > in->t_end)
			in->t_end = f->t_end;
		/* Harmless evidence (spurious retransmits, duplicate or teardown
		 * drops) stays as evidence of another incident but adds nothing to
		 * its impact: a teardown reset beside a healthy, reordering bulk
		 * transfer is still a note. */
		int weighs = finding_weighs(in, f, resets_sent);
		if (weighs)
			impact += f->impact;
		if (!in->pid && f->pid)
			in->pid = f->pid;
		for (size_t c = 0; c < in->nconns; c++)
			seen |= in->conns[c] == f->conn_id;
		if (f->conn_id && !seen)
			in->conns[in->nconns++] = f->conn_id;
	}
	/* The connections that count are those of the findings that weigh. */
	for (size_t c = 0; c < in->nconns; c++)
		for (size_t i = 0; i < in->nfind; i++) {
			const struct nt_finding *f = &F->v[in->find[i]];
			if (f->conn_id == in->conns[c] && finding_weighs(in, f, resets_sent)) {
				nweighed++;
				break;
			}
		}
	if (in->t_start == INT64_MAX)
		in->t_start = 0;
	if (in->t_end < in->t_start)
		in->t_end = in->t_start;
	in->impact = impact * (1.0 + 0.1 * (double)(nweighed > 1 ? (nweighed - 1 < 20 ? nweighed - 1 : 20) : 0));
	return 0;
}

static uint64_t pair_key(const char *x, const char *y)
{
	char buf[200];

	snprintf(buf, sizeof(buf), "%s|%s", x, y);
	return hash_bytes(buf, strlen(buf), 13);
}

/*
 * Both ends of a connection were recorded (two processes on one host, or a
 * client and a server tape): incidents that overlap in time and hold the two
 * sides of one connection become one incident, named after the larger.
 * Linear in the number of connections (a map of local|remote -> incident).
 */
/* Removes the incidents left without findings (merged or folded into others). */
static void compact_incidents(struct nt_analysis *a)
{
	size_t w = 0;

	for (size_t i = 0; i < a->ninc; i++) {
		if (a->inc[i].nfind) {
			a->inc[w++] = a->inc[i];
		} else {
			free(a->inc[i].find);
			free(a->inc[i].conns);
		}
	}
	a->ninc = w;
}

static int merge_peers(struct nt_analysis *a, int64_t gap)
{
	struct hmap fwd;
	size_t *alias = calloc(a->ninc ? a->ninc : 1, sizeof(*alias));
	int ret = -1;

	hmap_init(&fwd);
	if (!alias)
		goto out;
	for (size_t i = 0; i < a->ninc; i++) {
		alias[i] = i;
		for (size_t p = 0; p < a->inc[i].nconns; p++) {
			const struct nt_conninfo *c = nt_analysis_conn(a, a->inc[i].conns[p]);
			int64_t j;
			if (c && !c->listener && !hmap_get(&fwd, pair_key(c->local, c->remote), &j) &&
			    hmap_put(&fwd, pair_key(c->local, c->remote), (int64_t)i))
				goto out;
		}
	}
	for (size_t i = 0; i < a->ninc; i++) {
		struct nt_incident *x = &a->inc[i];
		size_t nc = x->nconns;
		for (size_t p = 0; p < nc && x->nfind; p++) {
			const struct nt_conninfo *c = nt_analysis_conn(a, x->conns[p]);
			int64_t jj;
			size_t j;
			if (!c || c->listener || !hmap_get(&fwd, pair_key(c->remote, c->local), &jj))
				continue;
			for (j = (size_t)jj; alias[j] != j; j = alias[j])
				;
			struct nt_incident *y = &a->inc[j];
			if (j == i || !y->nfind || y->t_start > x->t_end + gap || x->t_start > y->t_end + gap)
				continue;
			if (y->impact > x->impact) {
				x->pid = y->pid;
				x->host_id = y->host_id;
			}
			for (size_t k = 0; k < y->nfind; k++)
				if (inc_add(x, y->find[k]))
					goto out;
			y->nfind = 0;
			alias[j] = i;
			if (inc_compute(a, x))
				goto out;
		}
	}
	compact_incidents(a);
	ret = 0;
out:
	hmap_free(&fwd);
	free(alias);
	return ret;
}

/* Moves x's findings into `into` as context (they never name its cause); x is left empty. */
static int fold_into(struct nt_analysis *a, struct nt_incident *into, struct nt_incident *x)
{
	for (size_t k = 0; k < x->nfind; k++) {
		a->findings.v[x->find[k]].context = 1;
		if (inc_add(into, x->find[k]))
			return -1;
	}
	x->nfind = 0;
	return 0;
}

/* Removes the incidents whose findings were folded into others and reloads
 * the connections (folded findings may name new ones). */
static int drop_emptied(struct nt_analysis *a, struct nt_store *db, char *err)
{
	compact_incidents(a);
	free(a->conns);
	a->conns = NULL;
	a->nconns = 0;
	return load_conns(db, a, err);
}

/* How much an incident's own traffic loaded the queue: QDISC_DROP drops + retransmits. */
static uint64_t queue_load(const struct nt_analysis *a, const struct nt_incident *in)
{
	uint64_t n = 0;

	for (size_t i = 0; i < in->nfind; i++) {
		const struct nt_finding *f = &a->findings.v[in->find[i]];
		if (f->kind == NT_F_DROPS && (f->drop_flags & NT_DROPF_QDISC))
			n += f->count;
		else if (f->kind == NT_F_FAST_RETRANS)
			n += f->count;
		else if (f->kind == NT_F_RTO)
			n += f->count2;
	}
	return n;
}

/* Whether an incident is only congestion of bulk traffic (queue drops, retransmits, its own
 * RTT spike behind its own queue, teardown). */
static int congestion_only(const struct nt_analysis *a, const struct nt_incident *in)
{
	int qd = 0;

	if (in->primary != NT_F_DROPS && in->primary != NT_F_FAST_RETRANS && in->primary != NT_F_RTO &&
	    in->primary != NT_F_RTT_SPIKE)
		return 0;
	for (size_t i = 0; i < in->nfind; i++) {
		const struct nt_finding *f = &a->findings.v[in->find[i]];
		switch (f->kind) {
		case NT_F_DROPS:
			if ((f->drop_flags & NT_DROPF_QDISC))
				qd = 1;
			else if (!nt_drop_teardown(f))
				return 0;
			break;
		case NT_F_FAST_RETRANS: qd = 1; break;
		case NT_F_RTO: case NT_F_RESET: case NT_F_NO_WSCALE: case NT_F_RTT_SPIKE: break;
		default: return 0;
		}
	}
	return qd;
}

/*
 * A latency incident (RTT spike, or a window-limited sender without window
 * scaling) and, on the same host and at the same time, incidents that are
 * only the congestion of other traffic (queue drops, retransmits): that
 * traffic filled the queue that delayed the latency incident. Its findings
 * join the latency incident as context (they never name its cause), so the
 * report tells one story, ranked by the sum.
 */
/* Every connection of incident x has its remote end at one of the listener
 * addresses of incident l (the clients of an overflowing listener). */
static int clients_of(const struct nt_analysis *a, const struct nt_incident *l,
		      const struct nt_incident *x)
{
	if (!x->nconns)
		return 0;
	for (size_t i = 0; i < x->nconns; i++) {
		const struct nt_conninfo *c = nt_analysis_conn(a, x->conns[i]);
		int hit = 0;
		for (size_t j = 0; c && j < l->nconns && !hit; j++) {
			const struct nt_conninfo *lc = nt_analysis_conn(a, l->conns[j]);
			hit = lc && lc->listener == 1 && !strcmp(lc->local, c->remote);
		}
		if (!hit)
			return 0;
	}
	return 1;
}

/* An incident that took others in as context: its connections and impact
 * anew, while its window [t0, t1], primary kind and process stay those of the
 * victim (the latency itself), not of the folded fillers. */
static int recompute_folded(struct nt_analysis *a, struct nt_incident *in, int64_t t0, int64_t t1)
{
	enum nt_fkind pk = in->primary;
	uint32_t pid = in->pid;

	if (inc_compute(a, in))
		return -1;
	in->t_start = t0;
	in->t_end = t1;
	in->primary = pk;
	if (pid)
		in->pid = pid;
	return 0;
}

/* Timeouts, drops and resets of the clients of an overflowing listener, at
 * the same time, are what the overflow did to them (a dropped final ACK
 * leaves the client in ESTABLISHED, retransmitting into the void): they join
 * the listen-overflow incident as context instead of standing as a "path
 * blackhole" of their own. */
static int fold_listen_clients(struct nt_analysis *a, int64_t gap)
{
	int changed = 0;

	for (size_t i = 0; i < a->ninc; i++) {
		struct nt_incident *l = &a->inc[i];
		int got = 0;
		if (!l->nfind || l->primary != NT_F_LISTEN_OVERFLOW)
			continue;
		for (size_t j = 0; j < a->ninc; j++) {
			struct nt_incident *x = &a->inc[j];
			if (j == i || !x->nfind || x->primary == NT_F_LISTEN_OVERFLOW ||
			    x->t_start > l->t_end + gap || l->t_start > x->t_end + gap ||
			    !clients_of(a, l, x))
				continue;
			if (fold_into(a, l, x))
				return -1;
			got = changed = 1;
		}
		if (got && recompute_folded(a, l, l->t_start, l->t_end))
			return -1;
	}
	return changed;
}

static int fold_queue_context(struct nt_analysis *a, struct nt_store *db, int64_t gap, char *err)
{
	int changed = fold_listen_clients(a, gap);

	if (changed < 0)
		goto oom;
	for (size_t i = 0; i < a->ninc; i++) {
		struct nt_incident *l = &a->inc[i];
		int got = 0;
		if (!l->nfind || (l->primary != NT_F_RTT_SPIKE && l->primary != NT_F_RWND_LIMITED))
			continue;
		if (l->primary == NT_F_RWND_LIMITED && !(l->cause_flags & NT_CAUSE_QUEUEING))
			continue;
		uint64_t lload = queue_load(a, l);
		for (size_t j = 0; j < a->ninc; j++) {
			struct nt_incident *x = &a->inc[j];
			/* The filler loaded the queue more than the victim did. */
			if (j == i || !x->nfind || x->host_id != l->host_id || !congestion_only(a, x) ||
			    queue_load(a, x) <= lload)
				continue;
			if (x->t_start > l->t_end + gap || l->t_start > x->t_end + gap)
				continue;
			if (fold_into(a, l, x))
				goto oom;
			got = 1;
		}
		if (got) {
			if (recompute_folded(a, l, l->t_start, l->t_end))
				goto oom;
			changed = 1;
		}
	}
	if (!changed)
		return 0;
	/* Connections of folded findings may be new: reload, then redo the causes. */
	if (drop_emptied(a, db, err))
		return -1;
	for (size_t i = 0; i < a->ninc; i++)
		if (a->inc[i].primary == NT_F_RTT_SPIKE || a->inc[i].primary == NT_F_RWND_LIMITED ||
		    a->inc[i].primary == NT_F_LISTEN_OVERFLOW)
			cause_chain(a, &a->inc[i], db);
	return 0;
oom:
	snprintf(err, NT_ERRLEN, "out of memory");
	return -1;
}

/*
 * The other side of a queueing-delay chain: for a latency incident (an RTT
 * spike, or a window-limited sender behind queueing delay), the processes
 * that sent bulk data (>= 1 MB over their connections of >= 64 KiB each) toward the same
 * destination address from the same host, or toward the victim's own address
 * (the queue its ACKs and requests wait in) from any host, while the latency lasted are the
 * queue's fillers (docs/DETECTORS.md "Cause chains"). They are named in the
 * incident (related, cause, fix, with their containers), and their own
 * congestion incidents of that time (its RTT, window, retransmits, queue
 * drops) join it as context.
 */
static int find_fillers(struct nt_analysis *a, struct nt_store *db, int64_t gap, char *err)
{
	struct nt_stmt *s = NULL;
	int changed = 0;

	if (!(s = nt_store_prepare(db,
			"SELECT c.host_id, h.hostname, c.pid, max(c.comm), max(c.container), count(*), sum(c.bytes_acked),"
			" c.raddr, max(c.raddr = v.laddr) FROM connections v JOIN connections c"
			"  ON (c.host_id = v.host_id AND c.raddr = v.raddr) OR c.raddr = v.laddr"
			" JOIN hosts h ON h.host_id = c.host_id"
			" WHERE v.conn_id = ?1 AND c.conn_id <> v.conn_id AND c.listener = 0"
			" AND (c.host_id <> v.host_id OR c.pid <> v.pid)"
			" AND NOT (c.laddr = v.raddr AND c.lport = v.rport AND c.rport = v.lport)"
			" AND c.first_ts <= ?3 AND c.last_ts >= ?2 AND c.bytes_acked >= 65536"
			" GROUP BY c.host_id, c.pid HAVING sum(c.bytes_acked) >= 1000000"
			" ORDER BY sum(c.bytes_acked) DESC LIMIT 2", NULL))) {
		snprintf(err, NT_ERRLEN, "filler query: %s", nt_store_errmsg(db));
		nt_stmt_finalize(s);
		return -1;
	}
	for (size_t i = 0; i < a->ninc; i++) {
		struct nt_incident *in = &a->inc[i];
		const struct nt_finding *top = NULL;
		int64_t t0, t1;
		if (!in->nfind || (in->primary != NT_F_RTT_SPIKE &&
				   (in->primary != NT_F_RWND_LIMITED || !(in->cause_flags & NT_CAUSE_QUEUEING))))
			continue;
		for (size_t j = 0; j < in->nfind; j++) {
			const struct nt_finding *f = &a->findings.v[in->find[j]];
			if (f->kind == in->primary && f->conn_id && !f->context && (!top || f->impact > top->impact))
				top = f;
		}
		if (!top)
			continue;
		nt_stmt_bind_int(s, 1, top->conn_id);
		nt_stmt_bind_int(s, 2, in->t_start - NS);
		nt_stmt_bind_int(s, 3, in->t_end + NS);
		in->nrelated = 0;
		while (nt_stmt_step(s) == NT_STORE_ROW && in->nrelated < sizeof(in->related) / sizeof(in->related[0])) {
			struct nt_related *r = &in->related[in->nrelated++];
#define T(k) (nt_col_text(s, k) ? nt_col_text(s, k) : "")
			memset(r, 0, sizeof(*r));
			snprintf(r->role, sizeof(r->role), "filler");
			r->host_id = nt_col_int(s, 0);
			snprintf(r->host, sizeof(r->host), "%s", T(1));
			r->pid = (uint32_t)nt_col_int(s, 2);
			snprintf(r->comm, sizeof(r->comm), "%s", T(3));
			container_short(r->container, sizeof(r->container), T(4));
			r->connections = nt_col_int(s, 5);
			r->bytes = nt_col_int(s, 6);
			snprintf(r->dest, sizeof(r->dest), "%s", T(7));
			r->toward_victim = (int)nt_col_int(s, 8);
#undef T
		}
		nt_stmt_reset(s);
		if (!in->nrelated)
			continue;
		changed = 1;
		/* The fillers' own congestion at that time is this incident's context. */
		t0 = in->t_start;
		t1 = in->t_end;
		int got = 0;
		for (size_t j = 0; j < a->ninc + a->nnotes; j++) {
			struct nt_incident *x = &a->inc[j];
			int filler = 0;
			if (j == i || !x->nfind || x->host_id != in->host_id)
				continue;
			for (size_t r = 0; r < in->nrelated; r++)
				filler |= x->pid && x->pid == in->related[r].pid;
			if (!filler || x->t_start > t1 + gap || t0 > x->t_end + gap)
				continue;
			if (x->primary != NT_F_RTT_SPIKE && x->primary != NT_F_RWND_LIMITED && x->primary != NT_F_FAST_RETRANS &&
			    x->primary != NT_F_DROPS && x->primary != NT_F_RTO && x->primary != NT_F_SPURIOUS)
				continue;
			if (fold_into(a, in, x))
				goto oom;
			got = 1;
		}
		if (got && recompute_folded(a, in, t0, t1))
			goto oom;
	}
	nt_stmt_finalize(s);
	s = NULL;
	if (!changed)
		return 0;
	if (drop_emptied(a, db, err))
		return -1;
	for (size_t i = 0; i < a->ninc; i++)
		if (a->inc[i].nrelated)
			cause_chain(a, &a->inc[i], db);
	return 0;
oom:
	nt_stmt_finalize(s);
	snprintf(err, NT_ERRLEN, "out of memory");
	return -1;
}

int nt_analyze(struct nt_store *db, const struct nt_filter *flt, const struct nt_detect_opts *o,
	       struct nt_analysis *a, char *err)
{
	struct item *items = NULL;
	size_t nitems = 0, cap = 0;
	const struct nt_findings *F;
	int64_t gap = (int64_t)(o->incident_gap_s * 1e9);
	int ret = -1;

	memset(a, 0, sizeof(*a));
	a->filter = *flt;
	a->opts = *o;
	data_summary(db, a);
	/* A database imported by an older nettape lacks the columns the detectors read
	 * (read-only opens cannot add them): say how to upgrade it. */
	{
		struct nt_stmt *chk = NULL;
		int ok = !!(chk = nt_store_prepare(db, "SELECT c.undone, k.opt_sysctl, k.dsack_dups, k.busy_ms, k.snd_wnd_max FROM cong c, connections k LIMIT 0",
					    NULL));
		nt_stmt_finalize(chk);
		if (!ok) {
			snprintf(err, NT_ERRLEN, "the database was imported by an older nettape (no cong.undone or connections.snd_wnd_max column): "
				 "run 'nettape import TAPE -o DB' on it once more, which upgrades it in place");
			nt_analysis_free(a);
			return -1;
		}
	}
	if (nt_detect_all(db, flt, o, &a->findings, err)) {
		nt_analysis_free(a);
		return -1;
	}
	F = &a->findings;
	items = malloc((F->n ? F->n : 1) * sizeof(*items));
	if (!items)
		goto oom;
	for (size_t i = 0; i < F->n; i++) {
		if (F->v[i].kind == NT_F_NO_WSCALE || F->v[i].kind == NT_F_RECORDER_LOSS)
			continue;
		items[nitems++] = (struct item){ group_key(&F->v[i]), F->v[i].t_start, i };
	}
	if (nitems)
		qsort(items, nitems, sizeof(*items), cmp_item);
	/* 1. Events of one owner close in time. */
	{
		struct nt_incident *in = NULL;
		uint64_t key = 0;
		int64_t end = 0;
		for (size_t i = 0; i < nitems; i++) {
			const struct nt_finding *f = &F->v[items[i].idx];
			if (!in || items[i].key != key || f->t_start > end + gap) {
				in = inc_new(a, &cap);
				if (!in)
					goto oom;
				key = items[i].key;
				end = f->t_end;
				in->host_id = f->host_id;
				in->pid = f->pid;
				in->t_start = f->t_start;
			}
			if (inc_add(in, items[i].idx))
				goto oom;
			if (f->t_end > end)
				end = f->t_end;
		}
	}
	/* 2. Missing window scaling joins its connection's incident, else one per owner.
	 * Maps (built once): connection -> event incident, (host, pid) -> scaling-only incident
	 * (indices, since inc_new() may move the array). */
	{
		struct hmap by_conn, by_owner;
		size_t nevent = a->ninc;
		int rc = 0;
		hmap_init(&by_conn);
		hmap_init(&by_owner);
		for (size_t j = 0; j < nevent && !rc; j++)
			for (size_t k = 0; k < a->inc[j].nfind && !rc; k++) {
				int64_t conn = F->v[a->inc[j].find[k]].conn_id, dummy;
				if (conn && !hmap_get(&by_conn, (uint64_t)conn, &dummy))
					rc = hmap_put(&by_conn, (uint64_t)conn, (int64_t)j);
			}
		for (size_t i = 0; i < F->n && !rc; i++) {
			const struct nt_finding *f = &F->v[i];
			uint64_t owner = hash_mix((uint64_t)f->host_id * 0x9e3779b97f4a7c15ULL ^ f->pid) | 1;
			int64_t j;
			if (f->kind != NT_F_NO_WSCALE)
				continue;
			if (!hmap_get(&by_conn, (uint64_t)f->conn_id, &j) && !hmap_get(&by_owner, owner, &j)) {
				struct nt_incident *in = inc_new(a, &cap);
				if (!in) {
					rc = -1;
					break;
				}
				in->host_id = f->host_id;
				in->pid = f->pid;
				in->primary = NT_F_NO_WSCALE; /* marks "scaling only" until cause_chain */
				j = (int64_t)(a->ninc - 1);
				rc = hmap_put(&by_owner, owner, j);
			}
			if (!rc)
				rc = inc_add(&a->inc[j], i);
		}
		hmap_free(&by_conn);
		hmap_free(&by_owner);
		if (rc)
			goto oom;
	}
	/* 3. Recorder losses: an incident of their own. */
	for (size_t i = 0; i < F->n; i++) {
		/* With a connection or process filter they only annotate (caveat) the incidents shown. */
		if (F->v[i].kind != NT_F_RECORDER_LOSS || flt->conn_id || flt->pid)
			continue;
		struct nt_incident *in = inc_new(a, &cap);
		if (!in || inc_add(in, i))
			goto oom;
		in->host_id = F->v[i].host_id;
	}
	/* 4. Times, connections, impact; then both ends of a connection; then names and causes. */
	for (size_t j = 0; j < a->ninc; j++)
		if (inc_compute(a, &a->inc[j]))
			goto oom;
	if (load_conns(db, a, err))
		goto out;
	if (merge_peers(a, gap))
		goto oom;
	for (size_t j = 0; j < a->ninc; j++) {
		struct nt_incident *in = &a->inc[j];
		for (size_t i = 0; i < in->nconns && !in->comm[0]; i++) {
			const struct nt_conninfo *c = nt_analysis_conn(a, in->conns[i]);
			if (c && c->pid == in->pid && c->comm[0]) {
				snprintf(in->comm, sizeof(in->comm), "%s", c->comm);
				snprintf(in->container, sizeof(in->container), "%s", c->container);
			}
		}
		lookup_names(db, in);
		cause_chain(a, in, db);
	}
	if (fold_queue_context(a, db, gap, err) || find_fillers(a, db, gap, err))
		goto out;
	/* Caveats: recorder losses overlapping an incident of the same host. */
	for (size_t i = 0; i < F->n; i++) {
		const struct nt_finding *l = &F->v[i];
		char t1[32], t2[32];
		if (l->kind != NT_F_RECORDER_LOSS)
			continue;
		for (size_t j = 0; j < a->ninc; j++) {
			struct nt_incident *in = &a->inc[j];
			if (in->primary == NT_F_RECORDER_LOSS || in->host_id != l->host_id)
				continue;
			if (l->t_end + gap < in->t_start || l->t_start - gap > in->t_end)
				continue;
			snprintf(in->caveat, sizeof(in->caveat),
				 "the recorder lost %llu events on this host between %s and %s: this incident may be incomplete",
				 (unsigned long long)l->count, nt_time_hms(l->t_start, t1, sizeof(t1)),
				 nt_time_hms(l->t_end, t2, sizeof(t2)));
		}
	}
	/* Below the documented impact an incident is a note (the recorder's own
	 * losses always stand: they qualify every other conclusion). Sorted by
	 * impact, incidents first, then notes; each numbered from 1. */
	for (size_t j = 0; j < a->ninc; j++) {
		struct nt_incident *in = &a->inc[j];
		int real_drop = 0;
		for (size_t i = 0; i < in->nfind; i++) {
			const struct nt_finding *f = &F->v[in->find[i]];
			real_drop |= f->kind == NT_F_DROPS && !f->context && !nt_drop_teardown(f) && !nt_drop_duplicate(f);
		}
		/* Evidence without a problem is a note whatever it adds up to: spurious
		 * retransmissions, and drops that are only duplicates or teardown. */
		int evidence_only = in->primary == NT_F_SPURIOUS || (in->primary == NT_F_DROPS && !real_drop);
		in->note = in->primary != NT_F_RECORDER_LOSS &&
			   (in->impact < o->incident_min_impact || evidence_only);
	}
	if (a->ninc)
		qsort(a->inc, a->ninc, sizeof(*a->inc), cmp_inc);
	{
		size_t total = a->ninc, nin = 0;
		for (size_t j = 0; j < total; j++)
			nin += !a->inc[j].note;
		a->ninc = nin;
		a->nnotes = total - nin;
		for (size_t j = 0; j < total; j++)
			a->inc[j].id = (int)j + 1; /* notes go on from the last incident */
	}
	ret = 0;
	goto out;
oom:
	snprintf(err, NT_ERRLEN, "out of memory");
out:
	free(items);
	return ret;
}

void nt_analysis_free(struct nt_analysis *a)
{
	for (size_t i = 0; i < a->ninc + a->nnotes; i++) {
		free(a->inc[i].find);
		free(a->inc[i].conns);
	}
	free(a->inc);
	free(a->conns);
	nt_findings_free(&a->findings);
	memset(a, 0, sizeof(*a));
}
