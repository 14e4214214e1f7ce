/* row_writers.c: the importer's row writers: one row per event record (samples through a feed, SAMPLE_BATCH at a time), the metadata tables, interned names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import_int.h"
#include "packet.h"

#define DEFAULT_MSS 1448


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
			 " undo_episodes=?6, busy_ms=?7, rwnd_limited_ms=?8, sndbuf_limited_ms=?9, isn_local=?10,"
			 " isn_peer=?11, snd_wnd_max=?12 WHERE conn_id=?1",
	[S_CHUNK_UPD] = "UPDATE chunks SET first_ts=min(COALESCE(first_ts, ?2), ?2), last_ts=max(COALESCE(last_ts, ?3), ?3),"
			" events=events+?4, partial=?5, has_index=?6, damaged_bytes=?7, imported_at=?8,"
			" last_frame_offset=?9, complete=?10 WHERE chunk_id=?1",
	[S_DAMAGE] = "INSERT INTO damage VALUES (?,?,?,?,?)",
	[S_SAMPLE_MULTI] = NULL, /* sample_stmt(): INSERT INTO samples SELECT ... FROM nt_sample_feed */
};

static inline void bind_conn(struct nt_stmt *s, int i, struct importer *im, int64_t idx)
{
	if (idx < 0)
		nt_stmt_bind_null(s, i);
	else
		nt_stmt_bind_int(s, i, im->conns[idx].conn_id);
}


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


/* Binds the common prefix (chunk_id, conn_id, ts, ts_boot). */
static void bind_head(struct importer *im, struct nt_stmt *s, int64_t idx, int64_t ts, uint64_t boot)
{
	BI(s, 1, im->chunk_id);
	bind_conn(s, 2, im, idx);
	BI(s, 3, ts);
	BI(s, 4, boot);
}

/*
 * Sample rows reach the store through a feed (store.h) that reads the pending
 * buffer ("INSERT INTO samples SELECT ... FROM nt_sample_feed"): one statement
 * per SAMPLE_BATCH rows, and no bind per column, which costs more than the
 * insert itself on the bulk path. A column read from the feed is still one
 * virtual-table call per row, the larger part of SQLite's cost per sample; a
 * column with one value in every pending row (chunk_id always, and on most
 * tapes kind, ca_state, windows or queues for a batch) is bound once as a
 * parameter instead. Each set of such columns has its own statement.
 */

/* The statement for the columns in mask bound once (bit c = column c). NULL with im->err. */
static struct nt_stmt *sample_stmt(struct importer *im, uint32_t mask)
{
	char sql[512];
	size_t len;
	unsigned k;

	for (k = 0; k < SAMPLE_STMTS; k++)
		if (im->sample_stmt[k] && im->sample_mask[k] == mask)
			return im->sample_stmt[k];
	len = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO samples SELECT ");
	for (int c = 0; c < SAMPLE_COLS; c++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s%c%d", c ? ", " : "",
					mask & (1u << c) ? '?' : 'c', mask & (1u << c) ? c + 1 : c);
	snprintf(sql + len, sizeof(sql) - len, " FROM nt_sample_feed");
	k = im->sample_next++ % SAMPLE_STMTS;
	nt_stmt_finalize(im->sample_stmt[k]);
	im->sample_mask[k] = mask;
	im->sample_stmt[k] = nt_store_prepare(im->db, sql, im->err);
	return im->sample_stmt[k];
}

/* Writes the pending sample rows. */
int flush_samples(struct importer *im)
{
	int rc;

	if (!im->sn)
		return 0;
	if (im->opts->sample_sink) {
		rc = im->opts->sample_sink(im->opts->sink_ctx, (const int64_t (*)[SAMPLE_COLS])im->sbuf, im->sn);
		im->sn = 0;
		return rc;
	}
	/* the columns with one value in every pending row; chunk_id always (ev_sample) */
	uint32_t mask = (1u << SAMPLE_COLS) - 2;
	const int64_t *first = im->sbuf[0];
	for (unsigned r = 1; r < im->sn && mask; r++)
		for (int c = 1; c < SAMPLE_COLS; c++)
			if (im->sbuf[r][c] != first[c])
				mask &= ~(1u << c);
	mask |= 1;
	struct nt_stmt *s = sample_stmt(im, mask);
	if (!s)
		return -1;
	for (int c = 0; c < SAMPLE_COLS; c++) {
		if (!(mask & (1u << c)))
			continue;
		if (c == 1 && first[c] < 0)
			nt_stmt_bind_null(s, c + 1);
		else
			BI(s, c + 1, first[c]);
	}
	struct nt_feed feed = { &im->sbuf[0][0], im->sn, SAMPLE_COLS, 1 };
	nt_store_feed_set(&feed);
	rc = step(im, s, "insert samples");
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
		if (e->snd_wnd > c->snd_wnd_max)
			c->snd_wnd_max = e->snd_wnd;
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
	/* pending rows are of one chunk (its id is bound once, not read per row) */
	if (im->sn && im->sbuf[0][0] != im->chunk_id && !im->opts->sample_sink && flush_samples(im))
		return -1;
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
	r[13] = (int64_t)e->bytes_received;
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

int meta_record(struct importer *im, const struct tape_source *src, uint16_t type,
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

int meta_snapshot(struct importer *im, const struct tape_source *src)
{
	struct meta_ctx mc = { im, src, 0 };

	if (tape_meta__foreach(src->meta, meta_cb, &mc) || mc.rc)
		return -1;
	return 0;
}

int ev_row(struct importer *im, const struct tape_record *rec, int64_t ts)
{
	switch (rec->type) {
	case NT_REC_SAMPLE: return ev_sample(im, rec, ts);
	case NT_REC_DROP: return ev_drop(im, rec, ts);
	case NT_REC_RETRANS: return ev_retrans(im, rec, ts);
	case NT_REC_CONG: return ev_cong(im, rec, ts);
	case NT_REC_STATE: return ev_state(im, rec, ts);
	case NT_REC_RESET: return ev_reset(im, rec, ts);
	case NT_REC_STALL: return ev_stall(im, rec, ts);
	case NT_REC_BUFFER: return ev_buffer(im, rec, ts);
	case NT_REC_LISTEN: return ev_listen(im, rec, ts);
	case NT_REC_PACKET: return ev_packet(im, rec, ts);
	default: return 1;
	}
}

int rows_prepare(struct importer *im)
{
	for (int i = 0; i < S_COUNT; i++) {
		if (i == S_SAMPLE_MULTI) {
			/* the statements are made as the batches need them (sample_stmt()) */
			if (nt_store_feed_register(im->db, "nt_sample_feed", SAMPLE_COLS, im->err))
				return -1;
			continue;
		}
		im->s[i] = nt_store_prepare(im->db, stmt_sql[i], im->err);
		if (!im->s[i])
			return -1;
	}
	return 0;
}

void rows_finalize(struct importer *im)
{
	for (int i = 0; i < S_COUNT; i++) {
		nt_stmt_finalize(im->s[i]);
		im->s[i] = NULL;
	}
	for (int i = 0; i < SAMPLE_STMTS; i++) {
		nt_stmt_finalize(im->sample_stmt[i]);
		im->sample_stmt[i] = NULL;
	}
	free(im->sym_ids);
	free(im->sym_offs);
	im->sym_ids = im->sym_offs = NULL;
}

void rows_chunk_start(struct importer *im)
{
	memset(im->reason_cache, 0, sizeof(im->reason_cache));
	hmap_clear(&im->sym_cache);
	im->nsym = 0;
}

int rows_load_names(struct importer *im)
{
	struct nt_stmt *s = nt_store_prepare(im->db, "SELECT reason_id, name FROM drop_reasons", im->err);

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
