/* import.c: the bulk import of tape chunks into SQLite: one row per event, connections aggregated in memory. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store/store.h"
#include "util/hmap.h"
#include "import/import.h"
#include "packet.h"
#include "tape.h"

#define DEFAULT_BATCH 500000
#define DEFAULT_MSS 1448

/* A connection as the importer aggregates it (one row of `connections`). */
struct iconn {
	int64_t conn_id, host_id;
	uint64_t cookie, cgroup;
	uint32_t netns, pid;
	uint8_t family, laddr[16], raddr[16];
	uint16_t lport, rport;
	int tuple_known, listener, last_state;
	int wscale_ok, snd_wscale, rcv_wscale, mss, sack_ok, ts_ok; /* -1 unknown */
	int64_t rcvbuf, sndbuf;
	char comm[17];
	char *container;
	int64_t first_ts, last_ts;
	uint64_t bytes_acked, bytes_received, retransmits, events;
	uint64_t rtt_samples, rtt_sum, send_samples, rwnd_limited;
	int64_t rtt_min, rtt_max;
	/* Spurious-retransmission evidence and option sysctls (cumulative maxima). */
	int opt_sysctl;                      /* NT_OPT_* bits, -1 unknown */
	uint64_t retrans_segs, dsack_dups, reord_seen, undo_episodes;
	/* The kernel's send-time accounting (tcp_sock.chrono_stat), ms, maxima. */
	uint64_t busy_ms, rwnd_limited_ms, sndbuf_limited_ms;
	int dirty, in_db;
	const struct tape_meta *comm_meta; /* metadata last searched for a missing comm */
};

enum {
	S_DROP, S_RETRANS, S_CONG, S_STATE, S_RESET, S_STALL, S_BUFFER, S_LISTEN, S_PACKET,
	S_LOSS, S_PIN, S_PROC, S_CGROUP, S_NETNS, S_IFACE, S_CONFIG, S_REASON, S_SYMBOL,
	S_CONN_INS, S_CONN_UPD, S_CONN_EXTRA, S_CHUNK_UPD, S_DAMAGE, S_SAMPLE_MULTI, S_COUNT
};

/* Samples dominate every tape: they are inserted this many rows per statement. */
#define SAMPLE_BATCH 1024
#define SAMPLE_COLS 13

static const char *const stmt_sql[S_COUNT] = {
	[S_DROP] = "INSERT INTO drops VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[S_RETRANS] = "INSERT INTO retransmits VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[S_CONG] = "INSERT INTO cong VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[S_STATE] = "INSERT INTO states VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[S_RESET] = "INSERT INTO resets VALUES (?,?,?,?,?,?,?,?)",
	[S_STALL] = "INSERT INTO stalls VALUES (?,?,?,?,?,?,?,?)",
	[S_BUFFER] = "INSERT INTO buffers VALUES (?,?,?,?,?,?,?,?,?,?)",
	[S_LISTEN] = "INSERT INTO listens VALUES (?,?,?,?,?,?,?)",
	[S_PACKET] = "INSERT INTO packets (chunk_id, conn_id, ts, ts_boot, cookie, netns, ifindex, orig_len, linktype,"
		     " dir, data, seq, ack, tcp_flags, win_raw, payload, window) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[S_LOSS] = "INSERT OR IGNORE INTO losses VALUES (?,?,?,?,?,?,?,?,?,?)",
	[S_PIN] = "INSERT OR IGNORE INTO pins VALUES (?,?,?,?,?,?,?,?,?)",
	[S_PROC] = "INSERT OR REPLACE INTO processes VALUES (?,?,?,?,?,?,?,?)",
	[S_CGROUP] = "INSERT OR REPLACE INTO cgroups VALUES (?,?,?,?)",
	[S_NETNS] = "INSERT OR REPLACE INTO netns VALUES (?,?,?)",
	[S_IFACE] = "INSERT OR REPLACE INTO interfaces VALUES (?,?,?,?)",
	[S_CONFIG] = "INSERT OR REPLACE INTO config VALUES (?,?,?)",
	[S_REASON] = "INSERT INTO drop_reasons (name) VALUES (?)",
	[S_SYMBOL] = "INSERT INTO symbols (name) VALUES (?)",
	[S_CONN_INS] = "INSERT INTO connections (conn_id, host_id, cookie, netns, family, laddr, lport, raddr, rport,"
		       " tuple_known, listener, pid, comm, cgroup, container, first_ts, last_ts, last_state,"
		       " wscale_ok, snd_wscale, rcv_wscale, mss, sack_ok, ts_ok, rcvbuf, sndbuf,"
		       " bytes_acked, bytes_received, retransmits, rtt_samples, rtt_min_us, rtt_avg_us, rtt_max_us,"
		       " rtt_sum_us, send_samples, rwnd_limited_samples, events)"
		       " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[S_CONN_UPD] = "UPDATE connections SET tuple_known=?2, listener=?3, pid=?4, comm=?5, cgroup=?6, container=?7,"
		       " first_ts=?8, last_ts=?9, last_state=?10, wscale_ok=?11, snd_wscale=?12, rcv_wscale=?13,"
		       " mss=?14, sack_ok=?15, ts_ok=?16, rcvbuf=?17, sndbuf=?18, bytes_acked=?19,"
		       " bytes_received=?20, retransmits=?21, rtt_samples=?22, rtt_min_us=?23, rtt_avg_us=?24,"
		       " rtt_max_us=?25, rtt_sum_us=?26, send_samples=?27, rwnd_limited_samples=?28, events=?29,"
		       " laddr=?30, lport=?31, raddr=?32, rport=?33, family=?34"
		       " WHERE conn_id=?1",
	[S_CONN_EXTRA] = "UPDATE connections SET opt_sysctl=?2, retrans_segs=?3, dsack_dups=?4, reord_seen=?5,"
			 " undo_episodes=?6, busy_ms=?7, rwnd_limited_ms=?8, sndbuf_limited_ms=?9 WHERE conn_id=?1",
	[S_CHUNK_UPD] = "UPDATE chunks SET first_ts=min(COALESCE(first_ts, ?2), ?2), last_ts=max(COALESCE(last_ts, ?3), ?3),"
			" events=events+?4, partial=?5, has_index=?6, damaged_bytes=?7, imported_at=?8,"
			" last_frame_offset=?9, complete=?10 WHERE chunk_id=?1",
	[S_DAMAGE] = "INSERT INTO damage VALUES (?,?,?,?,?)",
	[S_SAMPLE_MULTI] = NULL, /* "INSERT INTO samples SELECT * FROM nt_sample_feed" */
};

struct importer {
	struct nt_store *db;
	char *err;
	const struct nt_import_opts *opts;
	struct nt_import_stats *st;
	struct nt_stmt *s[S_COUNT];
	struct iconn *conns;
	size_t nconns, capconns;
	int64_t next_conn_id;
	struct hmap by_cookie, by_tuple;
	struct smap reasons, symbols;
	/* Per chunk. */
	int64_t host_id, chunk_id;
	int64_t shift;              /* the host's clock correction (hosts.clock_offset_ns), added to every ts */
	const struct tape_meta *meta;
	int64_t reason_cache[1024];
	struct hmap sym_cache;      /* addr -> index into sym_ids/sym_offs */
	int64_t *sym_ids, *sym_offs;
	size_t nsym, capsym;
	int64_t chunk_first, chunk_last;
	uint64_t chunk_events;
	uint64_t skip_until;        /* frames at or below this offset were imported before */
	int have_skip;
	uint64_t pending;
	uint64_t done_bytes, total_bytes, cur_chunk_size;
	int indexes_dropped;
	struct timespec last_progress;
	char first_failure[NT_ERRLEN - 100];
	uint64_t last_cookie;       /* one-entry cache of conn_of() */
	int64_t last_host, last_idx;
	int64_t sbuf[SAMPLE_BATCH][SAMPLE_COLS]; /* pending sample rows; conn_id < 0 = NULL */
	unsigned sn;
};

static int fail_sql(struct importer *im, const char *what)
{
	snprintf(im->err, NT_ERRLEN, "%s: %s", what, nt_store_errmsg(im->db));
	return -1;
}

static void warn(struct importer *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct importer *im, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!im->opts->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	im->opts->warn(im->opts->ctx, line);
}

static void addr_text(int family, const uint8_t *a, char *buf, size_t len)
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

static uint64_t cookie_key(int64_t host_id, uint64_t cookie)
{
	return hash_mix(cookie ^ hash_mix((uint64_t)host_id + 0x9e3779b97f4a7c15ULL)) | 1;
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

static int64_t conn_of(struct importer *im, const struct nt_conn *orig, int64_t ts, int may_create)
{
	int64_t idx = -1;
	struct iconn *c;
	struct nt_conn tmp;
	const struct nt_conn *ec = unmap_v4(orig, &tmp);

	if (ec->cookie && ec->cookie == im->last_cookie && im->host_id == im->last_host) {
		idx = im->last_idx; /* events of one connection come in runs */
	} else if (ec->cookie) {
		if (!hmap_get(&im->by_cookie, cookie_key(im->host_id, ec->cookie), &idx))
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
	if (ec->cookie) {
		im->last_cookie = ec->cookie;
		im->last_host = im->host_id;
		im->last_idx = idx;
	}
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

static inline void bind_conn(struct nt_stmt *s, int i, struct importer *im, int64_t idx)
{
	if (idx < 0)
		nt_stmt_bind_null(s, i);
	else
		nt_stmt_bind_int(s, i, im->conns[idx].conn_id);
}

#define BI(s, i, v) nt_stmt_bind_int((s), (i), (int64_t)(v))

static int64_t intern(struct importer *im, struct smap *m, int stmt, const char *name)
{
	int64_t id;

	if (smap_get(m, name, &id))
		return id;
	struct nt_stmt *s = im->s[stmt];
	nt_stmt_bind_text(s, 1, name);
	if (nt_stmt_step(s) != NT_STORE_DONE) {
		nt_stmt_reset(s);
		return -1;
	}
	nt_stmt_reset(s);
	id = nt_store_last_id(im->db);
	smap_put(m, name, id);
	return id;
}

static int64_t reason_id(struct importer *im, uint32_t reason)
{
	char buf[48];
	const char *name;
	int64_t id;

	if (reason < 1024 && im->reason_cache[reason])
		return im->reason_cache[reason];
	name = im->meta ? tape_meta__enum_name(im->meta, NT_ENUM_DROP_REASON, reason) : NULL;
	if (!name) {
		snprintf(buf, sizeof(buf), "reason_%u", reason);
		name = buf;
	}
	id = intern(im, &im->reasons, S_REASON, name);
	if (reason < 1024)
		im->reason_cache[reason] = id;
	return id;
}

static void symbol_of(struct importer *im, uint64_t addr, int64_t *sym_id, int64_t *off)
{
	int64_t slot;
	uint64_t o = 0;
	const char *name;
	char buf[32];

	if (hmap_get(&im->sym_cache, addr, &slot)) {
		*sym_id = im->sym_ids[slot];
		*off = im->sym_offs[slot];
		return;
	}
	name = im->meta ? tape_meta__symbol(im->meta, addr, &o) : NULL;
	if (!name) {
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)addr);
		name = buf;
		o = 0;
	}
	*sym_id = addr ? intern(im, &im->symbols, S_SYMBOL, name) : -1;
	*off = (int64_t)o;
	if (im->nsym == im->capsym) {
		size_t ncap = im->capsym ? im->capsym * 2 : 64;
		int64_t *a = realloc(im->sym_ids, ncap * sizeof(*a));
		if (!a)
			return;
		im->sym_ids = a;
		int64_t *b = realloc(im->sym_offs, ncap * sizeof(*b));
		if (!b)
			return;
		im->sym_offs = b;
		im->capsym = ncap;
	}
	im->sym_ids[im->nsym] = *sym_id;
	im->sym_offs[im->nsym] = *off;
	hmap_put(&im->sym_cache, addr, (int64_t)im->nsym++);
}

static int step(struct importer *im, struct nt_stmt *s, const char *what)
{
	int rc = nt_stmt_step(s);

	nt_stmt_reset(s);
	if (rc != NT_STORE_DONE)
		return fail_sql(im, what);
	return 0;
}

/* Binds the common prefix (chunk_id, conn_id, ts, ts_boot). */
static void bind_head(struct importer *im, struct nt_stmt *s, int64_t idx, int64_t ts, uint64_t boot)
{
	BI(s, 1, im->chunk_id);
	bind_conn(s, 2, im, idx);
	BI(s, 3, ts);
	BI(s, 4, boot);
}

/* Cumulative per-connection counters only grow: keep the largest seen. */
static void conn_counters(struct iconn *c, uint32_t total_retrans, uint32_t dsack_dups, uint32_t reord_seen)
{
	if (total_retrans > c->retrans_segs)
		c->retrans_segs = total_retrans;
	if (dsack_dups > c->dsack_dups)
		c->dsack_dups = dsack_dups;
	if (reord_seen > c->reord_seen)
		c->reord_seen = reord_seen;
}

static void apply_handshake(struct iconn *c, const struct nt_ev_state *e)
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

/*
 * Sample rows reach the store through a feed (store.h) that reads the pending
 * buffer ("INSERT INTO samples SELECT * FROM nt_sample_feed"): one statement
 * per SAMPLE_BATCH rows, and no bind per column, which costs more than the
 * insert itself on the bulk path.
 */

/* Writes the pending sample rows. */
static int flush_samples(struct importer *im)
{
	int rc;

	if (!im->sn)
		return 0;
	if (im->opts->sample_sink) {
		rc = im->opts->sample_sink(im->opts->sink_ctx, (const int64_t (*)[SAMPLE_COLS])im->sbuf, im->sn);
		im->sn = 0;
		return rc;
	}
	struct nt_feed feed = { &im->sbuf[0][0], im->sn, SAMPLE_COLS, 1 };
	nt_store_feed_set(&feed);
	rc = step(im, im->s[S_SAMPLE_MULTI], "insert samples");
	nt_store_feed_set(NULL);
	im->sn = 0;
	return rc;
}

static int ev_sample(struct importer *im, const struct tape_record *rec, int64_t ts)
{
	const struct nt_ev_sample *e = rec->data;
	int64_t idx = conn_of(im, &e->c, ts, 1);
	if (idx >= 0) {
		struct iconn *c = &im->conns[idx];
		if (e->srtt_us) {
			c->rtt_samples++;
			c->rtt_sum += e->srtt_us;
			if (c->rtt_min < 0 || e->srtt_us < c->rtt_min)
				c->rtt_min = e->srtt_us;
			if ((int64_t)e->srtt_us > c->rtt_max)
				c->rtt_max = e->srtt_us;
		}
		if (e->bytes_acked > c->bytes_acked)
			c->bytes_acked = e->bytes_acked;
		if (e->bytes_received > c->bytes_received)
			c->bytes_received = e->bytes_received;
		conn_counters(c, e->total_retrans, e->dsack_dups, 0);
		if (e->busy_ms > c->busy_ms)
			c->busy_ms = e->busy_ms;
		if (e->rwnd_limited_ms > c->rwnd_limited_ms)
			c->rwnd_limited_ms = e->rwnd_limited_ms;
		if (e->sndbuf_limited_ms > c->sndbuf_limited_ms)
			c->sndbuf_limited_ms = e->sndbuf_limited_ms;
		if (e->kind == NT_SAMPLE_PERIODIC && e->snd_queue > 0) {
			uint64_t cwnd_bytes = (uint64_t)e->snd_cwnd * (uint64_t)(c->mss > 0 ? c->mss : DEFAULT_MSS);
			c->send_samples++;
			if (e->snd_queue > e->snd_wnd && e->snd_wnd < cwnd_bytes)
				c->rwnd_limited++;
		}
	}
	int64_t *r = im->sbuf[im->sn++];
	r[0] = im->chunk_id;
	r[1] = idx < 0 ? -1 : im->conns[idx].conn_id;
	r[2] = ts;
	r[3] = (int64_t)rec->ts;
	r[4] = e->kind;
	r[5] = e->ca_state;
	r[6] = e->srtt_us;
	r[7] = e->rcv_wnd;
	r[8] = e->snd_wnd;
	r[9] = e->snd_cwnd;
	r[10] = e->rcv_queue;
	r[11] = e->snd_queue;
	r[12] = (int64_t)e->bytes_acked;
	return im->sn == SAMPLE_BATCH ? flush_samples(im) : 0;
}

static int ev_drop(struct importer *im, const struct tape_record *rec, int64_t ts)
{
	const struct nt_ev_drop *e = rec->data;
	int64_t idx = conn_of(im, &e->c, ts, 0);
	struct nt_stmt *s = im->s[S_DROP];
	char a[64], b[64];
	int64_t sym, off;

	symbol_of(im, e->location, &sym, &off);
	addr_text(e->c.family, e->c.saddr, a, sizeof(a));
	addr_text(e->c.family, e->c.daddr, b, sizeof(b));
	bind_head(im, s, idx, ts, rec->ts);
	BI(s, 5, e->c.netns);
	BI(s, 6, e->c.pid);
	BI(s, 7, e->c.family);
	nt_stmt_bind_text(s, 8, a);
	BI(s, 9, e->c.sport);
	nt_stmt_bind_text(s, 10, b);
	BI(s, 11, e->c.dport);
	BI(s, 12, (e->c.flags & NT_CONN_F_PKT_ORDER) ? 1 : 0);
	BI(s, 13, reason_id(im, e->reason));
	if (sym < 0)
		nt_stmt_bind_null(s, 14);
	else
		BI(s, 14, sym);
	BI(s, 15, off);
	BI(s, 16, e->skb_len);
	BI(s, 17, e->seq);
	BI(s, 18, e->ack_seq);
	BI(s, 19, e->ifindex);
	BI(s, 20, e->window);
	BI(s, 21, e->tcp_flags);
	BI(s, 22, e->sk_state);
	return step(im, s, "insert drop");
}

static int ev_retrans(struct importer *im, const struct tape_record *rec, int64_t ts)
{
	const struct nt_ev_retrans *e = rec->data;
	int64_t idx = conn_of(im, &e->c, ts, 1);
	struct nt_stmt *s = im->s[S_RETRANS];

	if (idx >= 0) {
		im->conns[idx].retransmits++;
		conn_counters(&im->conns[idx], e->total_retrans, 0, 0);
	}
	bind_head(im, s, idx, ts, rec->ts);
	BI(s, 5, e->kind);
	BI(s, 6, e->state);
	BI(s, 7, e->ca_state);
	BI(s, 8, e->seq);
	BI(s, 9, e->srtt_us);
	BI(s, 10, e->rto_us);
	BI(s, 11, e->snd_wnd);
	BI(s, 12, e->snd_cwnd);
	BI(s, 13, e->total_retrans);
	BI(s, 14, e->backoff);
	return step(im, s, "insert retransmit");
}

static int ev_cong(struct importer *im, const struct tape_record *rec, int64_t ts)
{
	const struct nt_ev_cong *e = rec->data;
	int64_t idx = conn_of(im, &e->c, ts, 1);
	struct nt_stmt *s = im->s[S_CONG];
	int known = !(rec->flags & TAPE_REC_F_SHORT); /* older tapes lack the undo fields */
	/* Leaving Recovery or Loss for Open with undo_marker cleared: the kernel undid
	 * the reduction (D-SACKs or timestamps showed the retransmits were spurious). */
	int undone = known && (e->old_state == 3 || e->old_state == 4) && e->new_state == 0 && !e->undo_marker;

	if (idx >= 0 && known) {
		conn_counters(&im->conns[idx], e->total_retrans, e->dsack_dups, e->reord_seen);
		im->conns[idx].undo_episodes += (uint64_t)undone;
		im->conns[idx].dirty = 1;
	}
	bind_head(im, s, idx, ts, rec->ts);
	BI(s, 5, e->old_state);
	BI(s, 6, e->new_state);
	BI(s, 7, e->snd_cwnd);
	BI(s, 8, e->ssthresh);
	BI(s, 9, e->srtt_us);
	BI(s, 10, e->packets_out);
	BI(s, 11, e->retrans_out);
	if (known) {
		BI(s, 12, e->total_retrans);
		BI(s, 13, e->dsack_dups);
		BI(s, 14, e->reord_seen);
		BI(s, 15, undone);
		BI(s, 16, e->undo_retrans);
	} else {
		for (int i = 12; i <= 16; i++)
			nt_stmt_bind_null(s, i);
	}
	return step(im, s, "insert cong");
}

static int ev_state(struct importer *im, const struct tape_record *rec, int64_t ts)
{
	const struct nt_ev_state *e = rec->data;
	int64_t idx = conn_of(im, &e->c, ts, 1);
	struct nt_stmt *s = im->s[S_STATE];

	if (idx >= 0) {
		apply_handshake(&im->conns[idx], e);
		im->conns[idx].last_state = e->new_state;
	}
	bind_head(im, s, idx, ts, rec->ts);
	BI(s, 5, e->old_state);
	BI(s, 6, e->new_state);
	BI(s, 7, e->flags);
	BI(s, 8, e->wscale_ok);
	BI(s, 9, e->snd_wscale);
	BI(s, 10, e->rcv_wscale);
	BI(s, 11, e->mss);
	BI(s, 12, e->srtt_us);
	BI(s, 13, e->total_retrans);
	BI(s, 14, e->bytes_acked);
	BI(s, 15, e->bytes_received);
	BI(s, 16, e->dsack_dups);
	if (e->opt_sysctl & NT_OPT_VALID)
		BI(s, 17, e->opt_sysctl & (NT_OPT_WSCALE | NT_OPT_TS | NT_OPT_SACK));
	else
		nt_stmt_bind_null(s, 17);
	return step(im, s, "insert state");
}

static int ev_reset(struct importer *im, const struct tape_record *rec, int64_t ts)
{
	const struct nt_ev_reset *e = rec->data;
	int64_t idx = conn_of(im, &e->c, ts, 1);
	struct nt_stmt *s = im->s[S_RESET];
	const char *name = e->kind == NT_RESET_SENT && im->meta ?
			   tape_meta__enum_name(im->meta, NT_ENUM_RST_REASON, e->reason) : NULL;

	bind_head(im, s, idx, ts, rec->ts);
	BI(s, 5, e->kind);
	BI(s, 6, e->state);
	BI(s, 7, e->reason);
	if (name)
		nt_stmt_bind_text(s, 8, name);
	else
		nt_stmt_bind_null(s, 8);
	return step(im, s, "insert reset");
}

static int ev_stall(struct importer *im, const struct tape_record *rec, int64_t ts)
{
	const struct nt_ev_stall *e = rec->data;
	int64_t idx = conn_of(im, &e->c, ts, 1);
	struct nt_stmt *s = im->s[S_STALL];

	bind_head(im, s, idx, ts, rec->ts);
	BI(s, 5, e->kind);
	BI(s, 6, e->state);
	BI(s, 7, e->bytes);
	BI(s, 8, e->wait_ns);
	return step(im, s, "insert stall");
}

static int ev_buffer(struct importer *im, const struct tape_record *rec, int64_t ts)
{
	const struct nt_ev_buffer *e = rec->data;
	int64_t idx = conn_of(im, &e->c, ts, 1);
	struct nt_stmt *s = im->s[S_BUFFER];

	bind_head(im, s, idx, ts, rec->ts);
	BI(s, 5, e->kind);
	BI(s, 6, e->state);
	BI(s, 7, e->value);
	BI(s, 8, e->limit);
	BI(s, 9, e->rcvbuf);
	BI(s, 10, e->sndbuf);
	return step(im, s, "insert buffer");
}

static int ev_listen(struct importer *im, const struct tape_record *rec, int64_t ts)
{
	const struct nt_ev_listen *e = rec->data;
	int64_t idx = conn_of(im, &e->c, ts, 1);
	struct nt_stmt *s = im->s[S_LISTEN];

	if (idx >= 0)
		im->conns[idx].listener = 1;
	bind_head(im, s, idx, ts, rec->ts);
	BI(s, 5, e->backlog);
	BI(s, 6, e->max_backlog);
	BI(s, 7, e->overflows);
	return step(im, s, "insert listen");
}

/* The advertised window of a snippet segment in bytes: the raw field shifted
 * by the sender's scale (ours = rcv_wscale when the segment comes from the
 * connection's local side, the peer's = snd_wscale otherwise; SYNs are never
 * scaled). -1 when the negotiation or the orientation is unknown. */
static int64_t snippet_window(const struct iconn *c, const struct nt_packet *t)
{
	size_t alen = c->family == 10 ? 16 : 4;
	int from_local, to_local;

	if (t->flags & NT_TH_SYN)
		return t->win;
	if (c->wscale_ok < 0 || !c->tuple_known || t->family != c->family)
		return -1;
	from_local = t->sport == c->lport && !memcmp(t->saddr, c->laddr, alen);
	to_local = t->dport == c->lport && !memcmp(t->daddr, c->laddr, alen);
	if (from_local == to_local)
		return -1;
	if (!c->wscale_ok)
		return t->win;
	return (int64_t)t->win << (from_local ? c->rcv_wscale : c->snd_wscale);
}

static int ev_packet(struct importer *im, const struct tape_record *rec, int64_t ts)
{
	const struct nt_rec_packet *e = rec->data;
	struct nt_packet t;
	int64_t idx = -1;
	struct nt_stmt *s = im->s[S_PACKET];

	if (e->cookie && !hmap_get(&im->by_cookie, cookie_key(im->host_id, e->cookie), &idx))
		idx = -1;
	bind_head(im, s, idx, ts, rec->ts);
	BI(s, 5, e->cookie);
	BI(s, 6, e->netns);
	BI(s, 7, e->ifindex);
	BI(s, 8, e->orig_len);
	BI(s, 9, e->linktype);
	BI(s, 10, e->dir);
	nt_stmt_bind_blob(s, 11, (const char *)rec->data + sizeof(*e), rec->len - sizeof(*e));
	/* The TCP header of the snippet, as for captures; the window is scaled
	 * with the shifts the recorder saw negotiated (the ESTABLISHED event). */
	if (nt_packet_parse(e->linktype, (const uint8_t *)rec->data + sizeof(*e), rec->len - sizeof(*e),
			 e->orig_len, &t) == NT_PKT_TCP) {
		int64_t win = -1;

		BI(s, 12, t.seq);
		BI(s, 13, t.ack);
		BI(s, 14, t.flags);
		BI(s, 15, t.win);
		BI(s, 16, t.payload);
		if (idx >= 0)
			win = snippet_window(&im->conns[idx], &t);
		if (win >= 0)
			BI(s, 17, win);
		else
			nt_stmt_bind_null(s, 17);
	} else {
		for (int i = 12; i <= 17; i++)
			nt_stmt_bind_null(s, i);
	}
	return step(im, s, "insert packet");
}

/* ---- metadata ---- */

static void bind_textn(struct nt_stmt *s, int i, const void *p, size_t n)
{
	const char *c = p;

	while (n && c[n - 1] == 0)
		n--;
	nt_stmt_bind_textn(s, i, c, n);
}

struct meta_ctx {
	struct importer *im;
	const struct tape_source *src;
	int rc;
};

static int64_t boot_to_real(const struct importer *im, const struct tape_source *src, uint64_t boot)
{
	return boot ? (int64_t)tape_header__to_realtime(&src->hdr, boot) + im->shift : 0;
}

static int meta_record(struct importer *im, const struct tape_source *src, uint16_t type,
		       const void *data, uint32_t len)
{
	struct nt_stmt *s;

	if (len < nt_rec_min_size(type))
		return 0;
	im->st->meta++;
	switch (type) {
	case NT_REC_PROCESS: {
		const struct nt_rec_process *p = data;
		const char *ct = tape_meta__container(im->meta, p->cgroup);
		s = im->s[S_PROC];
		BI(s, 1, im->host_id);
		BI(s, 2, p->pid);
		BI(s, 3, p->ppid);
		bind_textn(s, 4, p->comm, strnlen(p->comm, 16));
		bind_textn(s, 5, (const char *)data + sizeof(*p), len - sizeof(*p));
		BI(s, 6, p->cgroup);
		if (ct && *ct)
			nt_stmt_bind_text(s, 7, ct);
		else
			nt_stmt_bind_null(s, 7);
		BI(s, 8, p->start_ns);
		return step(im, s, "insert process");
	}
	case NT_REC_CGROUP: {
		const struct nt_rec_cgroup *g = data;
		const char *str = (const char *)data + sizeof(*g);
		if (sizeof(*g) + g->path_len + g->container_len > len)
			return 0;
		s = im->s[S_CGROUP];
		BI(s, 1, im->host_id);
		BI(s, 2, g->id);
		bind_textn(s, 3, str, g->path_len);
		if (g->container_len)
			bind_textn(s, 4, str + g->path_len, g->container_len);
		else
			nt_stmt_bind_null(s, 4);
		return step(im, s, "insert cgroup");
	}
	case NT_REC_NETNS: {
		const struct nt_rec_netns *n = data;
		s = im->s[S_NETNS];
		BI(s, 1, im->host_id);
		BI(s, 2, n->inode);
		bind_textn(s, 3, (const char *)data + sizeof(*n), len - sizeof(*n));
		return step(im, s, "insert netns");
	}
	case NT_REC_IFACE: {
		const struct nt_rec_iface *f = data;
		s = im->s[S_IFACE];
		BI(s, 1, im->host_id);
		BI(s, 2, f->netns);
		BI(s, 3, f->ifindex);
		bind_textn(s, 4, (const char *)data + sizeof(*f), len - sizeof(*f));
		return step(im, s, "insert interface");
	}
	case NT_REC_CONFIG: {
		const char *t = data;
		const char *eq = memchr(t, '=', len);
		s = im->s[S_CONFIG];
		BI(s, 1, im->host_id);
		bind_textn(s, 2, t, eq ? (size_t)(eq - t) : len);
		if (eq)
			bind_textn(s, 3, eq + 1, len - (size_t)(eq - t) - 1);
		else
			nt_stmt_bind_null(s, 3);
		return step(im, s, "insert config");
	}
	case NT_REC_LOSS: {
		const struct nt_rec_loss *l = data;
		s = im->s[S_LOSS];
		BI(s, 1, im->host_id);
		BI(s, 2, im->chunk_id);
		BI(s, 3, l->rec_type);
		nt_stmt_bind_text(s, 4, l->rec_type ? nt_rec_type_name(l->rec_type) : "all");
		BI(s, 5, l->cpu);
		BI(s, 6, l->count);
		BI(s, 7, boot_to_real(im, src, l->from_ns));
		BI(s, 8, boot_to_real(im, src, l->to_ns));
		BI(s, 9, l->from_ns);
		BI(s, 10, l->to_ns);
		return step(im, s, "insert loss");
	}
	case NT_REC_PIN: {
		const struct nt_rec_pin *p = data;
		s = im->s[S_PIN];
		BI(s, 1, im->host_id);
		BI(s, 2, im->chunk_id);
		nt_stmt_bind_null(s, 3);
		nt_stmt_bind_null(s, 4);
		BI(s, 5, p->kind);
		BI(s, 6, p->cookie);
		BI(s, 7, p->pre_ns);
		BI(s, 8, p->post_ns);
		bind_textn(s, 9, (const char *)data + sizeof(*p), len - sizeof(*p));
		return step(im, s, "insert pin");
	}
	case NT_REC_SOCKET: {
		const struct nt_ev_state *e = data;
		int64_t idx = conn_of(im, &e->c, 0, 1);
		if (idx >= 0) {
			apply_handshake(&im->conns[idx], e);
			if (im->conns[idx].last_state < 0)
				im->conns[idx].last_state = e->new_state;
		}
		return 0;
	}
	default:
		return 0;
	}
}

static int meta_cb(void *ctx, uint16_t type, const void *data, uint32_t len)
{
	struct meta_ctx *m = ctx;

	m->rc = meta_record(m->im, m->src, type, data, len);
	return m->rc;
}

/* ---- connections, chunks, transactions ---- */

static void bind_opt(struct nt_stmt *s, int i, int64_t v)
{
	if (v < 0)
		nt_stmt_bind_null(s, i);
	else
		BI(s, i, v);
}

static int conn_flush(struct importer *im)
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
		if (step(im, s, "write connection counters"))
			return -1;
		c->in_db = 1;
		c->dirty = 0;
	}
	return 0;
}

static int load_state(struct importer *im)
{
	struct nt_stmt *s = NULL;
	int rc;

	im->next_conn_id = nt_store_int(im->db, "SELECT max(conn_id) FROM connections", 0) + 1;
	s = nt_store_prepare(im->db,
			  "SELECT conn_id, host_id, cookie, netns, family, laddr, lport, raddr, rport, tuple_known,"
			  " listener, pid, comm, cgroup, container, first_ts, last_ts, last_state, wscale_ok, snd_wscale,"
			  " rcv_wscale, mss, sack_ok, ts_ok, rcvbuf, sndbuf, bytes_acked, bytes_received, retransmits,"
			  " rtt_samples, rtt_min_us, rtt_max_us, rtt_sum_us, send_samples, rwnd_limited_samples, events,"
			  " opt_sysctl, retrans_segs, dsack_dups, reord_seen, undo_episodes,"
			  " busy_ms, rwnd_limited_ms, sndbuf_limited_ms"
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
		c->in_db = 1;
#undef COLI
		conn_index(im, im->nconns - 1);
	}
	nt_stmt_finalize(s);
	if (rc != NT_STORE_DONE)
		return fail_sql(im, "read connections");
	s = nt_store_prepare(im->db, "SELECT reason_id, name FROM drop_reasons", im->err);
	if (!s)
		return -1;
	while (nt_stmt_step(s) == NT_STORE_ROW)
		smap_put(&im->reasons, nt_col_text(s, 1), nt_col_int(s, 0));
	nt_stmt_finalize(s);
	s = nt_store_prepare(im->db, "SELECT sym_id, name FROM symbols", im->err);
	if (!s)
		return -1;
	while (nt_stmt_step(s) == NT_STORE_ROW)
		smap_put(&im->symbols, nt_col_text(s, 1), nt_col_int(s, 0));
	nt_stmt_finalize(s);
	return 0;
}

static int64_t host_of(struct importer *im, const struct tape_header *h)
{
	struct nt_stmt *s = nt_store_prepare(im->db, "SELECT host_id, clock_offset_ns FROM hosts WHERE hostname = ? AND boot_id = ?",
					    im->err);
	int64_t id = -1;

	if (!s)
		return -1;
	im->shift = 0;
	nt_stmt_bind_text(s, 1, h->hostname);
	nt_stmt_bind_text(s, 2, h->boot_id);
	if (nt_stmt_step(s) == NT_STORE_ROW) {
		id = nt_col_int(s, 0);
		im->shift = nt_col_int(s, 1); /* rows of this host carry its correction */
	}
	nt_stmt_finalize(s);
	if (id >= 0)
		return id;
	s = nt_store_prepare(im->db, "INSERT INTO hosts (hostname, boot_id, kernel) VALUES (?, ?, ?)", im->err);
	if (!s)
		return -1;
	nt_stmt_bind_text(s, 1, h->hostname);
	nt_stmt_bind_text(s, 2, h->boot_id);
	nt_stmt_bind_text(s, 3, h->kernel);
	if (nt_stmt_step(s) != NT_STORE_DONE) {
		nt_stmt_finalize(s);
		return fail_sql(im, "insert host");
	}
	nt_stmt_finalize(s);
	return nt_store_last_id(im->db);
}

/* Finds or creates the chunk row. Returns 1 to import, 0 to skip, -1 on error. */
static int chunk_row(struct importer *im, const struct tape_source *src)
{
	char rid[33];
	struct nt_stmt *s;
	int rc = 1;

	for (int i = 0; i < 16; i++)
		snprintf(rid + 2 * i, 3, "%02x", src->hdr.recording_id[i]);
	s = nt_store_prepare(im->db, "SELECT chunk_id, complete, partial, last_frame_offset FROM chunks"
				  " WHERE recording_id = ? AND seq = ?", im->err);
	if (!s)
		return -1;
	nt_stmt_bind_text(s, 1, rid);
	BI(s, 2, src->hdr.chunk_seq);
	im->have_skip = 0;
	if (nt_stmt_step(s) == NT_STORE_ROW) {
		im->chunk_id = nt_col_int(s, 0);
		if ((int)nt_col_int(s, 1) && !(int)nt_col_int(s, 2))
			rc = 0;
		else if (nt_col_type(s, 3) != NT_COL_NULL) {
			im->have_skip = 1;
			im->skip_until = (uint64_t)nt_col_int(s, 3);
		}
		nt_stmt_finalize(s);
		return rc;
	}
	nt_stmt_finalize(s);
	s = nt_store_prepare(im->db, "INSERT INTO chunks (host_id, recording_id, seq, path, recorder_version,"
				  " recorder_cmdline, created_ts, partial, has_index) VALUES (?,?,?,?,?,?,?,?,?)", im->err);
	if (!s)
		return -1;
	BI(s, 1, im->host_id);
	nt_stmt_bind_text(s, 2, rid);
	BI(s, 3, src->hdr.chunk_seq);
	nt_stmt_bind_text(s, 4, src->path);
	nt_stmt_bind_text(s, 5, src->hdr.version);
	nt_stmt_bind_text(s, 6, src->hdr.cmdline);
	BI(s, 7, (int64_t)src->hdr.created_real_ns + im->shift);
	BI(s, 8, src->partial);
	BI(s, 9, src->has_index);
	if (nt_stmt_step(s) != NT_STORE_DONE) {
		nt_stmt_finalize(s);
		return fail_sql(im, "insert chunk");
	}
	nt_stmt_finalize(s);
	im->chunk_id = nt_store_last_id(im->db);
	return 1;
}

static int chunk_update(struct importer *im, const struct tape_source *src, uint64_t frame_off,
			int complete, uint64_t damaged)
{
	struct nt_stmt *s = im->s[S_CHUNK_UPD];

	BI(s, 1, im->chunk_id);
	if (im->chunk_events) {
		BI(s, 2, im->chunk_first);
		BI(s, 3, im->chunk_last);
	} else {
		nt_stmt_bind_null(s, 2);
		nt_stmt_bind_null(s, 3);
	}
	BI(s, 4, im->chunk_events);
	BI(s, 5, src->partial);
	BI(s, 6, src->has_index);
	BI(s, 7, damaged);
	BI(s, 8, (int64_t)time(NULL) * 1000000000LL);
	BI(s, 9, frame_off);
	BI(s, 10, complete);
	im->chunk_events = 0;
	return step(im, s, "update chunk");
}

static int begin_batch(struct importer *im)
{
	return nt_store_exec(im->db, "BEGIN", "begin transaction", im->err);
}

static int commit_batch(struct importer *im)
{
	if (flush_samples(im) || conn_flush(im))
		return -1;
	if (nt_store_exec(im->db, "COMMIT", "commit", im->err))
		return -1;
	im->pending = 0;
	return 0;
}

static void progress(struct importer *im, uint64_t done)
{
	struct timespec now;

	if (!im->opts->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done < im->total_bytes &&
	    (now.tv_sec - im->last_progress.tv_sec) * 1000000000LL + (now.tv_nsec - im->last_progress.tv_nsec) < 100000000LL)
		return;
	im->last_progress = now;
	im->opts->progress(im->opts->ctx, done, im->total_bytes, im->st->events);
}

static int drop_indexes(struct importer *im)
{
	if (im->indexes_dropped)
		return 0;
	im->indexes_dropped = 1;
	return nt_store_indexes(im->db, 0, im->err);
}

static int import_chunk(struct importer *im, const char *path, uint64_t fsize)
{
	int e = 0, rc, ret = -1;
	struct tape_chunk_reader *r = tape_chunk_reader__open(path, &e);
	const struct tape_source *src;
	struct tape_record rec;
	struct meta_ctx mc;
	uint64_t cur_frame = 0, last_done_frame = 0, damaged = 0;
	int have_frame = 0;

	if (!r) {
		if (!im->st->chunks_failed)
			snprintf(im->first_failure, sizeof(im->first_failure), "%s: %s", path,
				 tape_strerror(e ? e : -errno));
		im->st->chunks_failed++;
		return 0;
	}
	src = tape_chunk_reader__source(r);
	im->meta = src->meta;
	im->host_id = host_of(im, &src->hdr);
	if (im->host_id < 0)
		goto out;
	rc = chunk_row(im, src);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		im->st->chunks_skipped++;
		ret = 0;
		goto out;
	}
	if (drop_indexes(im))
		goto out;
	im->st->chunks_imported++;
	memset(im->reason_cache, 0, sizeof(im->reason_cache));
	hmap_clear(&im->sym_cache);
	im->nsym = 0;
	im->chunk_events = 0;
	im->chunk_first = INT64_MAX;
	im->chunk_last = INT64_MIN;
	mc.im = im;
	mc.src = src;
	mc.rc = 0;
	if (tape_meta__foreach(src->meta, meta_cb, &mc) || mc.rc)
		goto out;
	for (;;) {
		rc = tape_chunk_reader__next(r, &rec);
		if (rc < 0) {
			snprintf(im->err, NT_ERRLEN, "%s: %s", path, tape_strerror(rc));
			goto out;
		}
		if (rc == 0)
			break;
		if (!have_frame || rec.frame_offset != cur_frame) {
			/* Frame boundary: a safe place to commit a batch. */
			if (have_frame)
				last_done_frame = cur_frame;
			cur_frame = rec.frame_offset;
			if (im->pending >= im->opts->batch_events && have_frame) {
				if (chunk_update(im, src, last_done_frame, 0, damaged) || commit_batch(im) ||
				    begin_batch(im))
					goto out;
				progress(im, im->done_bytes + (rec.frame_offset < fsize ? rec.frame_offset : fsize));
			}
			have_frame = 1;
		}
		if (nt_rec_is_meta(rec.type)) {
			if (meta_record(im, src, rec.type, rec.data, rec.len))
				goto out;
			continue;
		}
		if (im->have_skip && rec.frame_offset <= im->skip_until)
			continue;
		if (rec.len < nt_rec_min_size(rec.type) || !nt_rec_min_size(rec.type))
			continue; /* unknown or short record: skippable by the format's rules */
		int64_t ts = (int64_t)tape_record_realtime(&rec) + im->shift;
		switch (rec.type) {
		case NT_REC_SAMPLE: rc = ev_sample(im, &rec, ts); break;
		case NT_REC_DROP: rc = ev_drop(im, &rec, ts); break;
		case NT_REC_RETRANS: rc = ev_retrans(im, &rec, ts); break;
		case NT_REC_CONG: rc = ev_cong(im, &rec, ts); break;
		case NT_REC_STATE: rc = ev_state(im, &rec, ts); break;
		case NT_REC_RESET: rc = ev_reset(im, &rec, ts); break;
		case NT_REC_STALL: rc = ev_stall(im, &rec, ts); break;
		case NT_REC_BUFFER: rc = ev_buffer(im, &rec, ts); break;
		case NT_REC_LISTEN: rc = ev_listen(im, &rec, ts); break;
		case NT_REC_PACKET: rc = ev_packet(im, &rec, ts); break;
		default: continue;
		}
		if (rc)
			goto out;
		if (ts < im->chunk_first)
			im->chunk_first = ts;
		if (ts > im->chunk_last)
			im->chunk_last = ts;
		im->chunk_events++;
		im->st->events++;
		im->pending++;
	}
	for (size_t i = 0; i < tape_chunk_reader__ndamage(r); i++) {
		const struct tape_damage *d = tape_chunk_reader__damage(r, i);
		struct nt_stmt *s = im->s[S_DAMAGE];
		/* A chunk still being written ends inside a frame: that is not damage worth a warning. */
		if (!(src->partial && d->err == -TAPE_E_TRUNCATED))
			warn(im, "%s: damaged at offset %llu: %s (%llu bytes skipped); the rest was imported", path,
			     (unsigned long long)d->offset, d->reason, (unsigned long long)d->lost_bytes);
		damaged += d->lost_bytes;
		im->st->damaged++;
		BI(s, 1, im->chunk_id);
		BI(s, 2, d->offset);
		BI(s, 3, d->lost_bytes);
		nt_stmt_bind_text(s, 4, tape_strerror(d->err));
		nt_stmt_bind_text(s, 5, d->reason);
		if (step(im, s, "insert damage"))
			goto out;
	}
	if (have_frame && (!im->have_skip || cur_frame > im->skip_until))
		last_done_frame = cur_frame;
	else if (im->have_skip)
		last_done_frame = im->skip_until;
	if (chunk_update(im, src, last_done_frame, 1, damaged))
		goto out;
	ret = 0;
out:
	im->meta = NULL;
	tape_chunk_reader__free(r);
	return ret;
}

static int collect(struct importer *im, const char *path, char ***list, size_t *n, size_t *cap, uint64_t **sizes)
{
	struct stat stb;
	char **chunks = NULL;
	int k;

	if (stat(path, &stb)) {
		snprintf(im->err, NT_ERRLEN, "%s: %s; give a tape directory or a chunk file", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(stb.st_mode)) {
		k = tape_list_chunks(path, &chunks);
		if (k < 0) {
			snprintf(im->err, NT_ERRLEN, "%s: %s", path, tape_strerror(k));
			return -1;
		}
		if (k == 0) {
			snprintf(im->err, NT_ERRLEN, "%s: no chunk files (chunk-*.ntc) in this directory; is it a tape?", path);
			tape_list_free(chunks, k);
			return -1;
		}
	} else {
		k = 1;
		chunks = malloc(sizeof(*chunks));
		if (!chunks || !(chunks[0] = strdup(path))) {
			free(chunks);
			snprintf(im->err, NT_ERRLEN, "out of memory");
			return -1;
		}
	}
	for (int i = 0; i < k; i++) {
		if (*n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 64;
			char **nl = realloc(*list, ncap * sizeof(*nl));
			uint64_t *ns = realloc(*sizes, ncap * sizeof(*ns));
			if (nl)
				*list = nl;
			if (ns)
				*sizes = ns;
			if (!nl || !ns) {
				tape_list_free(chunks, k);
				snprintf(im->err, NT_ERRLEN, "out of memory");
				return -1;
			}
			*cap = ncap;
		}
		(*sizes)[*n] = stat(chunks[i], &stb) == 0 ? (uint64_t)stb.st_size : 0;
		(*list)[(*n)++] = chunks[i];
		chunks[i] = NULL;
	}
	tape_list_free(chunks, k);
	return 0;
}

int nt_import(struct nt_store *db, const char *const *paths, size_t npaths,
	      const struct nt_import_opts *opts, struct nt_import_stats *st, char *err)
{
	struct importer im;
	struct nt_import_opts dflt = { 0 };
	char **list = NULL;
	uint64_t *sizes = NULL;
	size_t n = 0, cap = 0;
	int ret = -1, in_tx = 0;

	memset(&im, 0, sizeof(im));
	memset(st, 0, sizeof(*st));
	im.db = db;
	im.err = err;
	im.st = st;
	if (!opts)
		opts = &dflt;
	dflt = *opts;
	if (!dflt.batch_events)
		dflt.batch_events = DEFAULT_BATCH;
	im.opts = &dflt;
	hmap_init(&im.by_cookie);
	hmap_init(&im.by_tuple);
	hmap_init(&im.sym_cache);
	smap_init(&im.reasons);
	smap_init(&im.symbols);

	for (size_t i = 0; i < npaths; i++)
		if (collect(&im, paths[i], &list, &n, &cap, &sizes))
			goto out;
	st->chunks = n;
	for (size_t i = 0; i < n; i++)
		im.total_bytes += sizes[i];
	if (nt_store_bulk(db, err))
		goto out;
	for (int i = 0; i < S_COUNT; i++) {
		if (i == S_SAMPLE_MULTI) {
			if (nt_store_feed_register(db, "nt_sample_feed", SAMPLE_COLS, err))
				goto out;
			im.s[i] = nt_store_prepare(db, "INSERT INTO samples SELECT * FROM nt_sample_feed", err);
		} else {
			im.s[i] = nt_store_prepare(db, stmt_sql[i], err);
		}
		if (!im.s[i])
			goto out;
	}
	if (load_state(&im))
		goto out;
	if (begin_batch(&im))
		goto out;
	in_tx = 1;
	for (size_t i = 0; i < n; i++) {
		if (import_chunk(&im, list[i], sizes[i]))
			goto out;
		im.done_bytes += sizes[i];
		st->bytes += sizes[i];
		progress(&im, im.done_bytes);
	}
	if (commit_batch(&im))
		goto out;
	in_tx = 0;
	if (im.indexes_dropped && !dflt.no_indexes && nt_store_indexes(db, 1, err))
		goto out;
	if (im.indexes_dropped && !dflt.no_indexes && nt_store_analyze(db, err))
		goto out;
	if (n && st->chunks_failed == n) {
		snprintf(err, NT_ERRLEN, "%s; no chunk could be read: give a nettape tape, or a pcap/pcapng capture", im.first_failure);
		goto out;
	}
	if (st->chunks_failed)
		warn(&im, "%llu of %zu chunks unreadable and skipped, first: %s", (unsigned long long)st->chunks_failed, n,
		     im.first_failure);
	ret = 0;
out:
	if (in_tx)
		nt_store_exec(db, "ROLLBACK", NULL, NULL);
	if (ret && im.indexes_dropped)
		nt_store_indexes(db, 1, NULL);
	for (int i = 0; i < S_COUNT; i++)
		nt_stmt_finalize(im.s[i]);
	for (size_t i = 0; i < im.nconns; i++)
		free(im.conns[i].container);
	free(im.conns);
	free(im.sym_ids);
	free(im.sym_offs);
	hmap_free(&im.by_cookie);
	hmap_free(&im.by_tuple);
	hmap_free(&im.sym_cache);
	smap_free(&im.reasons);
	smap_free(&im.symbols);
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
	free(sizes);
	return ret;
}
