/* conn_table.c: the importer's connection table: connections found by cookie or tuple, aggregated in memory, written to `connections` at each commit. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import_int.h"

void addr_text(int family, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(family == 10 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static void addr_parse(int family, const char *s, uint8_t *a)
{
	memset(a, 0, 16);
	if (s)
		inet_pton(family == 10 ? AF_INET6 : AF_INET, s, a);
}

/* Key of a tuple, the same for both orientations. */
static uint64_t tuple_key(int64_t host_id, uint32_t netns, uint8_t family, const uint8_t *a1, uint16_t p1,
			  const uint8_t *a2, uint16_t p2)
{
	uint8_t buf[8 + 4 + 1 + 2 * 18];
	uint8_t e1[18], e2[18];

	memcpy(e1, a1, 16);
	memcpy(e1 + 16, &p1, 2);
	memcpy(e2, a2, 16);
	memcpy(e2 + 16, &p2, 2);
	if (memcmp(e1, e2, 18) > 0) {
		uint8_t t[18];
		memcpy(t, e1, 18);
		memcpy(e1, e2, 18);
		memcpy(e2, t, 18);
	}
	memcpy(buf, &host_id, 8);
	memcpy(buf + 8, &netns, 4);
	buf[12] = family;
	memcpy(buf + 13, e1, 18);
	memcpy(buf + 31, e2, 18);
	return hash_bytes(buf, sizeof(buf), 1) | 1;
}

uint64_t cookie_key(int64_t host_id, uint64_t cookie)
{
	return hash_mix(cookie ^ hash_mix((uint64_t)host_id + 0x9e3779b97f4a7c15ULL)) | 1;
}

static inline uint32_t cache_slot(int64_t host_id, uint64_t cookie)
{
	return (uint32_t)(((cookie ^ ((uint64_t)host_id << 40)) * 0x9E3779B97F4A7C15ULL) >> (64 - CONN_CACHE_BITS));
}

static struct iconn *conn_new(struct importer *im)
{
	if (im->nconns == im->capconns) {
		size_t ncap = im->capconns ? im->capconns * 2 : 1024;
		struct iconn *n = realloc(im->conns, ncap * sizeof(*n));
		if (!n)
			return NULL;
		im->conns = n;
		im->capconns = ncap;
	}
	struct iconn *c = &im->conns[im->nconns++];
	memset(c, 0, sizeof(*c));
	c->wscale_ok = c->snd_wscale = c->rcv_wscale = c->mss = c->sack_ok = c->ts_ok = -1;
	c->opt_sysctl = -1;
	c->isn_local = c->isn_peer = -1;
	c->last_state = -1;
	c->rcvbuf = c->sndbuf = -1;
	c->rtt_min = -1;
	c->rtt_max = -1;
	c->first_ts = INT64_MAX;
	c->last_ts = INT64_MIN;
	return c;
}

static void conn_index(struct importer *im, size_t idx)
{
	struct iconn *c = &im->conns[idx];

	if (c->cookie)
		hmap_put(&im->by_cookie, cookie_key(c->host_id, c->cookie), (int64_t)idx);
	if (c->tuple_known && (c->lport || c->rport))
		hmap_put(&im->by_tuple, tuple_key(c->host_id, c->netns, c->family, c->laddr, c->lport,
						  c->raddr, c->rport), (int64_t)idx);
}

static void set_owner(struct importer *im, struct iconn *c, uint32_t pid, uint64_t cgroup)
{
	if (pid && pid != c->pid) {
		const struct nt_rec_process *p = im->meta ? tape_meta__process(im->meta, pid, NULL) : NULL;
		c->pid = pid;
		if (p) {
			memcpy(c->comm, p->comm, 16);
			c->comm[16] = 0;
		} else {
			c->comm[0] = 0;
		}
		c->dirty = 1;
	} else if (pid && !c->comm[0] && im->meta && c->comm_meta != im->meta) {
		c->comm_meta = im->meta; /* look a missing name up once per chunk, not per event */
		const struct nt_rec_process *p = tape_meta__process(im->meta, pid, NULL);
		if (p) {
			memcpy(c->comm, p->comm, 16);
			c->comm[16] = 0;
		}
	}
	if (cgroup && cgroup != c->cgroup) {
		const char *ct = im->meta ? tape_meta__container(im->meta, cgroup) : NULL;
		c->cgroup = cgroup;
		free(c->container);
		c->container = ct && *ct ? strdup(ct) : NULL;
	}
}

/*
 * The connection of an event: by cookie, else by tuple (either
 * orientation). A cookie-less event with an unknown tuple creates a
 * tuple-only connection unless may_create is 0 (drops keep their own tuple).
 * Returns the index or -1.
 */
/* IPv4-mapped IPv6 (a dual-stack socket's v4 peer) as plain IPv4, so that it
 * matches the IPv4 tuples parsed from packets. Returns ec or tmp. */
static const struct nt_conn *unmap_v4(const struct nt_conn *ec, struct nt_conn *tmp)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (ec->family != 10 || memcmp(ec->saddr, mapped, 12) || memcmp(ec->daddr, mapped, 12))
		return ec;
	*tmp = *ec;
	tmp->family = 2;
	memset(tmp->saddr, 0, 16);
	memset(tmp->daddr, 0, 16);
	memcpy(tmp->saddr, ec->saddr + 12, 4);
	memcpy(tmp->daddr, ec->daddr + 12, 4);
	return tmp;
}

int64_t conn_of(struct importer *im, const struct nt_conn *orig, int64_t ts, int may_create)
{
	int64_t idx = -1;
	struct iconn *c;
	struct nt_conn tmp;
	const struct nt_conn *ec = unmap_v4(orig, &tmp);
	uint32_t *slot = NULL;

	if (ec->cookie) {
		/* most events are of a connection seen recently: one slot to check */
		slot = &im->by_cookie_cache[cache_slot(im->host_id, ec->cookie)];
		if (*slot && im->conns[*slot - 1].cookie == ec->cookie && im->conns[*slot - 1].host_id == im->host_id)
			idx = *slot - 1;
		else if (!hmap_get(&im->by_cookie, cookie_key(im->host_id, ec->cookie), &idx))
			idx = -1;
	} else if (!hmap_get(&im->by_tuple, tuple_key(im->host_id, ec->netns, ec->family, ec->saddr, ec->sport,
						      ec->daddr, ec->dport), &idx)) {
		idx = -1;
	}
	if (idx < 0) {
		if (!ec->cookie && !may_create)
			return -1;
		c = conn_new(im);
		if (!c)
			return -1;
		idx = (int64_t)(im->nconns - 1);
		c->conn_id = im->next_conn_id++;
		c->host_id = im->host_id;
		c->cookie = ec->cookie;
		c->netns = ec->netns;
		c->family = ec->family;
		c->tuple_known = !(ec->flags & NT_CONN_F_PKT_ORDER);
		if (ec->flags & NT_CONN_F_PKT_ORDER) {
			/* Packet order: a received packet's destination is the local side. */
			memcpy(c->laddr, ec->daddr, 16);
			c->lport = ec->dport;
			memcpy(c->raddr, ec->saddr, 16);
			c->rport = ec->sport;
		} else {
			memcpy(c->laddr, ec->saddr, 16);
			c->lport = ec->sport;
			memcpy(c->raddr, ec->daddr, 16);
			c->rport = ec->dport;
		}
		c->dirty = 1;
		im->st->connections++;
		conn_index(im, (size_t)idx);
	}
	if (slot && idx < UINT32_MAX)
		*slot = (uint32_t)idx + 1;
	c = &im->conns[idx];
	/* The tuple becomes complete later (a SYN_SENT record before the local
	 * port was bound, a drop seen before the socket): take the full one. */
	if (ec->cookie && !(ec->flags & NT_CONN_F_PKT_ORDER) && ec->sport && ec->dport &&
	    (!c->tuple_known || !c->lport || !c->rport) && (ec->sport != c->lport || ec->dport != c->rport)) {
		memcpy(c->laddr, ec->saddr, 16);
		c->lport = ec->sport;
		memcpy(c->raddr, ec->daddr, 16);
		c->rport = ec->dport;
		c->family = ec->family;
		c->tuple_known = 1;
		conn_index(im, (size_t)idx);
	}
	if (ts) {
		if (ts < c->first_ts)
			c->first_ts = ts;
		if (ts > c->last_ts)
			c->last_ts = ts;
		c->events++;
	}
	set_owner(im, c, ec->pid, ec->cgroup);
	c->dirty = 1;
	return idx;
}

void conn_counters(struct iconn *c, uint32_t total_retrans, uint32_t dsack_dups, uint32_t reord_seen)
{
	if (total_retrans > c->retrans_segs)
		c->retrans_segs = total_retrans;
	if (dsack_dups > c->dsack_dups)
		c->dsack_dups = dsack_dups;
	if (reord_seen > c->reord_seen)
		c->reord_seen = reord_seen;
}

void apply_handshake(struct iconn *c, const struct nt_ev_state *e)
{
	if (e->opt_sysctl & NT_OPT_VALID)
		c->opt_sysctl = e->opt_sysctl & (NT_OPT_WSCALE | NT_OPT_TS | NT_OPT_SACK);
	if (e->flags & NT_STATE_F_TOTALS || e->flags & NT_STATE_F_HANDSHAKE)
		conn_counters(c, e->total_retrans, e->dsack_dups, e->reord_seen);
	if (e->flags & NT_STATE_F_LISTENER || e->new_state == 10 /* TCP_LISTEN */)
		c->listener = 1;
	if (e->flags & NT_STATE_F_HANDSHAKE) {
		c->wscale_ok = e->wscale_ok;
		c->snd_wscale = e->snd_wscale;
		c->rcv_wscale = e->rcv_wscale;
		c->mss = e->mss;
		c->sack_ok = e->sack_ok;
		c->ts_ok = e->ts_ok;
		c->rcvbuf = e->rcvbuf;
		c->sndbuf = e->sndbuf;
	}
	if (e->flags & NT_STATE_F_ISN) {
		c->isn_local = e->isn_local;
		c->isn_peer = e->isn_peer;
	}
	if (e->flags & NT_STATE_F_TOTALS) {
		if (e->bytes_acked > c->bytes_acked)
			c->bytes_acked = e->bytes_acked;
		if (e->bytes_received > c->bytes_received)
			c->bytes_received = e->bytes_received;
		if (e->srtt_us && c->rtt_samples == 0) {
			c->rtt_min = c->rtt_max = e->srtt_us;
		}
	}
	c->dirty = 1;
}

static void bind_opt(struct nt_stmt *s, int i, int64_t v)
{
	if (v < 0)
		nt_stmt_bind_null(s, i);
	else
		BI(s, i, v);
}

int conn_flush(struct importer *im)
{
	for (size_t i = 0; i < im->nconns; i++) {
		struct iconn *c = &im->conns[i];
		char la[64], ra[64];
		struct nt_stmt *s;
		int b;

		if (!c->dirty)
			continue;
		addr_text(c->family ? c->family : 2, c->laddr, la, sizeof(la));
		addr_text(c->family ? c->family : 2, c->raddr, ra, sizeof(ra));
		if (c->in_db) {
			s = im->s[S_CONN_UPD];
			BI(s, 1, c->conn_id);
			b = 2;
		} else {
			s = im->s[S_CONN_INS];
			BI(s, 1, c->conn_id);
			BI(s, 2, c->host_id);
			BI(s, 3, c->cookie);
			BI(s, 4, c->netns);
			BI(s, 5, c->family);
			nt_stmt_bind_text(s, 6, la);
			BI(s, 7, c->lport);
			nt_stmt_bind_text(s, 8, ra);
			BI(s, 9, c->rport);
			b = 10;
		}
		BI(s, b++, c->tuple_known);
		BI(s, b++, c->listener);
		BI(s, b++, c->pid);
		if (c->comm[0])
			nt_stmt_bind_text(s, b++, c->comm);
		else
			nt_stmt_bind_null(s, b++);
		BI(s, b++, c->cgroup);
		if (c->container)
			nt_stmt_bind_text(s, b++, c->container);
		else
			nt_stmt_bind_null(s, b++);
		if (c->first_ts == INT64_MAX)
			nt_stmt_bind_null(s, b++), nt_stmt_bind_null(s, b++);
		else
			BI(s, b++, c->first_ts), BI(s, b++, c->last_ts);
		bind_opt(s, b++, c->last_state);
		bind_opt(s, b++, c->wscale_ok);
		bind_opt(s, b++, c->snd_wscale);
		bind_opt(s, b++, c->rcv_wscale);
		bind_opt(s, b++, c->mss);
		bind_opt(s, b++, c->sack_ok);
		bind_opt(s, b++, c->ts_ok);
		bind_opt(s, b++, c->rcvbuf);
		bind_opt(s, b++, c->sndbuf);
		BI(s, b++, c->bytes_acked);
		BI(s, b++, c->bytes_received);
		BI(s, b++, c->retransmits);
		BI(s, b++, c->rtt_samples);
		bind_opt(s, b++, c->rtt_min);
		if (c->rtt_samples)
			BI(s, b++, c->rtt_sum / c->rtt_samples);
		else
			bind_opt(s, b++, c->rtt_min >= 0 ? c->rtt_min : -1);
		bind_opt(s, b++, c->rtt_max);
		BI(s, b++, c->rtt_sum);
		BI(s, b++, c->send_samples);
		BI(s, b++, c->rwnd_limited);
		BI(s, b++, c->events);
		if (c->in_db) {
			nt_stmt_bind_text(s, b++, la);
			BI(s, b++, c->lport);
			nt_stmt_bind_text(s, b++, ra);
			BI(s, b++, c->rport);
			BI(s, b++, c->family);
		}
		if (step(im, s, "write connection"))
			return -1;
		s = im->s[S_CONN_EXTRA];
		BI(s, 1, c->conn_id);
		bind_opt(s, 2, c->opt_sysctl);
		BI(s, 3, c->retrans_segs);
		BI(s, 4, c->dsack_dups);
		BI(s, 5, c->reord_seen);
		BI(s, 6, c->undo_episodes);
		BI(s, 7, c->busy_ms);
		BI(s, 8, c->rwnd_limited_ms);
		BI(s, 9, c->sndbuf_limited_ms);
		bind_opt(s, 10, c->isn_local);
		bind_opt(s, 11, c->isn_peer);
		BI(s, 12, c->snd_wnd_max);
		if (step(im, s, "write connection counters"))
			return -1;
		c->in_db = 1;
		c->dirty = 0;
	}
	return 0;
}

int conn_load(struct importer *im)
{
	struct nt_stmt *s = NULL;
	int rc;

	im->by_cookie_cache = calloc(CONN_CACHE, sizeof(*im->by_cookie_cache));
	if (!im->by_cookie_cache) {
		snprintf(im->err, NT_ERRLEN, "out of memory");
		return -1;
	}
	im->next_conn_id = nt_store_int(im->db, "SELECT max(conn_id) FROM connections", 0) + 1;
	s = nt_store_prepare(im->db,
			  "SELECT conn_id, host_id, cookie, netns, family, laddr, lport, raddr, rport, tuple_known,"
			  " listener, pid, comm, cgroup, container, first_ts, last_ts, last_state, wscale_ok, snd_wscale,"
			  " rcv_wscale, mss, sack_ok, ts_ok, rcvbuf, sndbuf, bytes_acked, bytes_received, retransmits,"
			  " rtt_samples, rtt_min_us, rtt_max_us, rtt_sum_us, send_samples, rwnd_limited_samples, events,"
			  " opt_sysctl, retrans_segs, dsack_dups, reord_seen, undo_episodes,"
			  " busy_ms, rwnd_limited_ms, sndbuf_limited_ms, isn_local, isn_peer, snd_wnd_max"
			  " FROM connections", im->err);
	if (!s)
		return -1;
	while ((rc = nt_stmt_step(s)) == NT_STORE_ROW) {
		struct iconn *c = conn_new(im);
		const char *t;
#define COLI(i, dflt) (nt_col_type(s, i) == NT_COL_NULL ? (dflt) : nt_col_int(s, i))
		if (!c) {
			nt_stmt_finalize(s);
			snprintf(im->err, NT_ERRLEN, "out of memory");
			return -1;
		}
		c->conn_id = COLI(0, 0);
		c->host_id = COLI(1, 0);
		c->cookie = (uint64_t)COLI(2, 0);
		c->netns = (uint32_t)COLI(3, 0);
		c->family = (uint8_t)COLI(4, 2);
		addr_parse(c->family, nt_col_text(s, 5), c->laddr);
		c->lport = (uint16_t)COLI(6, 0);
		addr_parse(c->family, nt_col_text(s, 7), c->raddr);
		c->rport = (uint16_t)COLI(8, 0);
		c->tuple_known = (int)COLI(9, 1);
		c->listener = (int)COLI(10, 0);
		c->pid = (uint32_t)COLI(11, 0);
		t = nt_col_text(s, 12);
		if (t)
			snprintf(c->comm, sizeof(c->comm), "%s", t);
		c->cgroup = (uint64_t)COLI(13, 0);
		t = nt_col_text(s, 14);
		c->container = t ? strdup(t) : NULL;
		c->first_ts = COLI(15, INT64_MAX);
		c->last_ts = COLI(16, INT64_MIN);
		c->last_state = (int)COLI(17, -1);
		c->wscale_ok = (int)COLI(18, -1);
		c->snd_wscale = (int)COLI(19, -1);
		c->rcv_wscale = (int)COLI(20, -1);
		c->mss = (int)COLI(21, -1);
		c->sack_ok = (int)COLI(22, -1);
		c->ts_ok = (int)COLI(23, -1);
		c->rcvbuf = COLI(24, -1);
		c->sndbuf = COLI(25, -1);
		c->bytes_acked = (uint64_t)COLI(26, 0);
		c->bytes_received = (uint64_t)COLI(27, 0);
		c->retransmits = (uint64_t)COLI(28, 0);
		c->rtt_samples = (uint64_t)COLI(29, 0);
		c->rtt_min = COLI(30, -1);
		c->rtt_max = COLI(31, -1);
		c->rtt_sum = (uint64_t)COLI(32, 0);
		c->send_samples = (uint64_t)COLI(33, 0);
		c->rwnd_limited = (uint64_t)COLI(34, 0);
		c->events = (uint64_t)COLI(35, 0);
		c->opt_sysctl = (int)COLI(36, -1);
		c->retrans_segs = (uint64_t)COLI(37, 0);
		c->dsack_dups = (uint64_t)COLI(38, 0);
		c->reord_seen = (uint64_t)COLI(39, 0);
		c->undo_episodes = (uint64_t)COLI(40, 0);
		c->busy_ms = (uint64_t)COLI(41, 0);
		c->rwnd_limited_ms = (uint64_t)COLI(42, 0);
		c->sndbuf_limited_ms = (uint64_t)COLI(43, 0);
		c->isn_local = COLI(44, -1);
		c->isn_peer = COLI(45, -1);
		c->snd_wnd_max = (uint64_t)COLI(46, 0);
		c->in_db = 1;
#undef COLI
		conn_index(im, im->nconns - 1);
	}
	nt_stmt_finalize(s);
	return 0;
}

void conn_free(struct importer *im)
{
	for (size_t i = 0; i < im->nconns; i++)
		free(im->conns[i].container);
	free(im->conns);
	free(im->by_cookie_cache);
	im->by_cookie_cache = NULL;
	im->conns = NULL;
	im->nconns = im->capconns = 0;
}
