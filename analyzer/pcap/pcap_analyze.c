/* pcap_analyze.c: per-connection TCP analysis of captured packets: handshake, windows, retransmissions, RTT, resets. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/hmap.h"
#include "pcap/pcap_analyze.h"

struct nt_pa {
	struct nt_pa_sink sink;
	struct nt_pa_conn **conns;  /* open connections; NULL slots are done */
	size_t n, cap;
	struct hmap by_tuple;       /* tuple hash -> index in conns */
	int64_t next_id;
	uint64_t packets;           /* for the periodic sweep of closed connections */
};

static int seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static int seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }

static uint64_t tuple_hash(const struct nt_packet *p, uint64_t seed)
{
	uint8_t b[1 + 2 * 18], e1[18], e2[18];

	memcpy(e1, p->saddr, 16);
	memcpy(e1 + 16, &p->sport, 2);
	memcpy(e2, p->daddr, 16);
	memcpy(e2 + 16, &p->dport, 2);
	b[0] = p->family;
	if (memcmp(e1, e2, 18) <= 0) {
		memcpy(b + 1, e1, 18);
		memcpy(b + 19, e2, 18);
	} else {
		memcpy(b + 1, e2, 18);
		memcpy(b + 19, e1, 18);
	}
	return hash_bytes(b, sizeof(b), seed) | 1;
}

/* Side of the connection that sent p: 0 local, 1 remote, -1 not this connection. */
static int side_of(const struct nt_pa_conn *c, const struct nt_packet *p)
{
	if (c->family != p->family)
		return -1;
	for (int s = 0; s < 2; s++)
		if (c->port[s] == p->sport && c->port[1 - s] == p->dport && !memcmp(c->addr[s], p->saddr, 16) &&
		    !memcmp(c->addr[1 - s], p->daddr, 16))
			return s;
	return -1;
}

struct nt_pa *nt_pa__new(const struct nt_pa_sink *sink, int64_t first_conn_id)
{
	struct nt_pa *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->sink = *sink;
	a->next_id = first_conn_id;
	hmap_init(&a->by_tuple);
	return a;
}

int64_t nt_pa__next_conn_id(const struct nt_pa *a)
{
	return a->next_id;
}

static void conn_free(struct nt_pa_conn *c)
{
	if (!c)
		return;
	for (int s = 0; s < 2; s++) {
		free(c->side[s].segs);
		free(c->side[s].rtt);
	}
	free(c);
}

void nt_pa__free(struct nt_pa *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		conn_free(a->conns[i]);
	free(a->conns);
	hmap_free(&a->by_tuple);
	free(a);
}

static struct nt_pa_conn *conn_new(struct nt_pa *a, const struct nt_packet *p, size_t *slot)
{
	struct nt_pa_conn *c = calloc(1, sizeof(*c));
	int src_local;

	if (!c)
		return NULL;
	if (a->n == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 256;
		struct nt_pa_conn **v = realloc(a->conns, ncap * sizeof(*v));
		if (!v) {
			free(c);
			return NULL;
		}
		a->conns = v;
		a->cap = ncap;
	}
	/* Orientation: the server is local. */
	if ((p->flags & (NT_TH_SYN | NT_TH_ACK)) == NT_TH_SYN) {
		src_local = 0;
		c->by_handshake = 1;
	} else if ((p->flags & (NT_TH_SYN | NT_TH_ACK)) == (NT_TH_SYN | NT_TH_ACK)) {
		src_local = 1;
		c->by_handshake = 1;
	} else if (p->sport != p->dport) {
		src_local = p->sport < p->dport;
	} else {
		src_local = 0;
	}
	c->family = p->family;
	memcpy(c->addr[0], src_local ? p->saddr : p->daddr, 16);
	memcpy(c->addr[1], src_local ? p->daddr : p->saddr, 16);
	c->port[0] = src_local ? p->sport : p->dport;
	c->port[1] = src_local ? p->dport : p->sport;
	c->conn_id = a->next_id++;
	c->wscale_known = 0;
	c->wscale_ok = -1;
	c->rtt_side = 0;
	for (int s = 0; s < 2; s++) {
		c->side[s].wscale = -1;
		c->side[s].win = -1;
	}
	*slot = a->n;
	a->conns[a->n++] = c;
	return c;
}

static int emit(struct nt_pa *a, struct nt_pa_conn *c, struct nt_pa_event *e)
{
	e->rcv_wnd = c->side[0].win;
	e->snd_wnd = c->side[1].win;
	if (c->side[0].have_seq && c->side[0].have_una)
		e->bytes_acked = (uint64_t)(uint32_t)(c->side[0].snd_una - c->side[0].base);
	return a->sink.event ? a->sink.event(a->sink.ctx, c, e) : 0;
}

/* Completes c: picks the side whose RTT samples to keep, emits them, then conn_done. */
static int conn_done(struct nt_pa *a, struct nt_pa_conn *c)
{
	int rc;
	struct nt_pa_side *s0 = &c->side[0], *s1 = &c->side[1];
	int d;

	/* The side with more RTT samples (the bulk sender); ties: more bytes, then local. */
	if (s1->nrtt_rows != s0->nrtt_rows)
		d = s1->nrtt_rows > s0->nrtt_rows;
	else
		d = s1->bytes > s0->bytes;
	c->rtt_side = d;
	for (size_t i = 0; i < c->side[d].nrtt_rows; i++) {
		const struct nt_pa_rtt *r = &c->side[d].rtt[i];
		struct nt_pa_event e = { .type = NT_PA_EV_RTT, .ts = r->ts, .side = d, .kind = r->kind,
					 .srtt_us = r->srtt_us };
		if (a->sink.event) {
			e.rcv_wnd = r->rcv_wnd;
			e.snd_wnd = r->snd_wnd;
			e.bytes_acked = r->bytes_acked;
			rc = a->sink.event(a->sink.ctx, c, &e);
			if (rc)
				return rc;
		}
	}
	return a->sink.conn_done ? a->sink.conn_done(a->sink.ctx, c) : 0;
}

/* Window scaling from the SYN (client) and SYN-ACK (server) options, as far as they were seen. */
static void handshake_scale(struct nt_pa_conn *c)
{
	struct nt_pa_side *srv = &c->side[0], *cli = &c->side[1];

	if (c->wscale_known)
		return;
	if (cli->syn_seen && srv->syn_seen) {
		c->wscale_ok = cli->wscale >= 0 && srv->wscale >= 0;
	} else if ((cli->syn_seen && cli->wscale < 0) || (srv->syn_seen && srv->wscale < 0)) {
		c->wscale_ok = 0; /* one side did not offer it: scaling is off whatever the other did */
	} else {
		return;
	}
	c->wscale_known = 1;
	for (int s = 0; s < 2; s++)
		c->shift[s] = c->wscale_ok ? c->side[s].wscale : 0;
}

static int seg_push(struct nt_pa_side *s, uint32_t end, int64_t ts, int rtx)
{
	if (s->seg_n == s->seg_cap) {
		if (s->seg_cap >= NT_PA_SEG_MAX) {
			/* The ACKs are not in the capture: forget the oldest. */
			s->seg_head = (s->seg_head + 1) % s->seg_cap;
			s->seg_n--;
		} else {
			size_t ncap = s->seg_cap ? s->seg_cap * 2 : 64;
			struct nt_pa_seg *v = malloc(ncap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			for (size_t i = 0; i < s->seg_n; i++)
				v[i] = s->segs[(s->seg_head + i) % s->seg_cap];
			free(s->segs);
			s->segs = v;
			s->seg_cap = ncap;
			s->seg_head = 0;
		}
	}
	struct nt_pa_seg *g = &s->segs[(s->seg_head + s->seg_n) % s->seg_cap];
	g->end = end;
	g->ts = ts;
	g->rtx = (uint8_t)rtx;
	s->seg_n++;
	return 0;
}

/* Karn: outstanding segments overlapping [seq, end) were sent again. */
static void seg_mark_rtx(struct nt_pa_side *s, uint32_t seq, uint32_t end)
{
	for (size_t i = 0; i < s->seg_n; i++) {
		struct nt_pa_seg *g = &s->segs[(s->seg_head + i) % s->seg_cap];
		if (seq_lt(seq, g->end))
			g->rtx = 1;
		(void)end;
	}
}

static int rtt_row(struct nt_pa_conn *c, struct nt_pa_side *s, int64_t ts, int kind)
{
	if (s->nrtt_rows == s->caprtt) {
		size_t ncap = s->caprtt ? s->caprtt * 2 : 64;
		struct nt_pa_rtt *v = realloc(s->rtt, ncap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->rtt = v;
		s->caprtt = ncap;
	}
	struct nt_pa_rtt *r = &s->rtt[s->nrtt_rows++];
	r->ts = ts;
	r->srtt_us = (uint32_t)s->srtt_us;
	r->kind = (uint8_t)kind;
	r->rcv_wnd = c->side[0].win;
	r->snd_wnd = c->side[1].win;
	r->bytes_acked = c->side[0].have_una ? (uint64_t)(uint32_t)(c->side[0].snd_una - c->side[0].base) : 0;
	s->last_row_ts = ts;
	return 0;
}

/* An RTT measurement r_us of side s's data: RFC 6298 smoothing, spike edges, sample rows. */
static int rtt_sample(struct nt_pa_conn *c, struct nt_pa_side *s, int64_t ts, int64_t r_us)
{
	int kind = 0;

	if (r_us < 1)
		r_us = 1;
	if (!s->nrtt) {
		s->srtt_us = r_us;
		s->rttvar_us = r_us / 2;
	} else {
		int64_t d = s->srtt_us - r_us;
		s->rttvar_us += ((d < 0 ? -d : d) - s->rttvar_us) / 4;
		s->srtt_us += (r_us - s->srtt_us) / 8;
		if (s->srtt_us < 1)
			s->srtt_us = 1;
	}
	s->nrtt++;
	if (!s->min_srtt_us || s->srtt_us < s->min_srtt_us)
		s->min_srtt_us = s->srtt_us;
	if (s->srtt_us >= NT_PA_SPIKE_MULT * s->min_srtt_us && s->srtt_us >= s->min_srtt_us + NT_PA_SPIKE_MIN_US) {
		if (!s->in_spike) {
			s->in_spike = 1;
			kind = 5;
		}
	} else if (s->in_spike && s->srtt_us < 2 * s->min_srtt_us) {
		s->in_spike = 0;
	}
	if (kind || !s->nrtt_rows || ts - s->last_row_ts >= NT_PA_RTT_ROW_NS)
		return rtt_row(c, s, ts, kind);
	return 0;
}

/* Side o's data acknowledged up to ack at ts (by the peer). */
static int on_new_ack(struct nt_pa *a, struct nt_pa_conn *c, struct nt_pa_side *o, int oi, uint32_t ack, int64_t ts,
		      int zero_win)
{
	struct nt_pa_seg last = { 0 };
	int got = 0, rtx = 0, rc;

	while (o->seg_n) {
		struct nt_pa_seg *g = &o->segs[o->seg_head];
		if (!seq_le(g->end, ack))
			break;
		last = *g;
		rtx |= g->rtx;
		got = 1;
		o->seg_head = (o->seg_head + 1) % o->seg_cap;
		o->seg_n--;
	}
	/* Karn (no sample from a retransmitted segment); an ACK closing the window is timed by
	 * the receiver's full buffer, not by the path: no sample either. */
	if (got && !rtx && !zero_win) {
		rc = rtt_sample(c, o, ts, (ts - last.ts) / 1000);
		if (rc)
			return rc;
	}
	o->snd_una = ack;
	o->have_una = 1;
	if ((o->ca == 3 || o->ca == 4) && seq_le(o->recover, ack)) {
		struct nt_pa_event e = { .type = NT_PA_EV_CONG, .ts = ts, .side = oi, .ca_state = 0,
					 .old_state = o->ca, .srtt_us = (uint32_t)o->srtt_us };
		o->ca = 0;
		o->backoff = 0;
		return emit(a, c, &e);
	}
	return 0;
}

/* A retransmission by side si of [seq, seq + len): classify and emit. */
static int on_retrans(struct nt_pa *a, struct nt_pa_conn *c, int si, const struct nt_packet *p, int64_t ts,
		      uint32_t seg_len)
{
	struct nt_pa_side *s = &c->side[si], *o = &c->side[1 - si];
	int64_t last = s->last_ts > o->last_ts ? s->last_ts : o->last_ts;
	int64_t gap = last ? ts - last : 0;
	struct nt_pa_event e = { .type = NT_PA_EV_RETRANS, .ts = ts, .side = si, .seq = p->seq,
				 .srtt_us = (uint32_t)s->srtt_us };
	int new_ca, rc;

	s->retrans++;
	seg_mark_rtx(s, p->seq, p->seq + seg_len);
	e.gap_us = gap > 0 ? (uint32_t)(gap / 1000 > UINT32_MAX ? UINT32_MAX : gap / 1000) : 0;
	if (p->flags & NT_TH_SYN) {
		e.kind = (p->flags & NT_TH_ACK) ? 2 : 1;
		e.ca_state = 0;
		return emit(a, c, &e);
	}
	if (gap >= NT_PA_RTO_MIN_NS + s->srtt_us * 1000)
		new_ca = 4;                               /* a timer fired: RTO */
	else if (s->ca == 4 && seq_lt(p->seq, s->recover))
		new_ca = 4;                               /* go-back-N after an RTO */
	else if (s->ca == 3 || o->dupacks >= 3 || (o->last_sack && o->last_ack == p->seq))
		new_ca = 3;                               /* duplicate ACKs / SACK: fast retransmit */
	else
		new_ca = 1;                               /* tail-loss probe, early retransmit */
	if (new_ca == 4 && (s->ca != 4 || gap >= NT_PA_RTO_MIN_NS + s->srtt_us * 1000))
		s->backoff = s->ca == 4 ? s->backoff + 1 : 1;
	if ((new_ca == 3 || new_ca == 4) && s->ca != new_ca && !(new_ca == 3 && s->ca == 4)) {
		struct nt_pa_event ce = { .type = NT_PA_EV_CONG, .ts = ts, .side = si, .ca_state = new_ca,
					  .old_state = s->ca, .srtt_us = (uint32_t)s->srtt_us };
		s->ca = new_ca;
		s->recover = s->snd_max;
		rc = emit(a, c, &ce);
		if (rc)
			return rc;
	}
	if (new_ca == 3 && s->ca == 4)
		new_ca = 4;
	e.kind = 0;
	e.ca_state = new_ca;
	e.backoff = new_ca == 4 ? s->backoff : 0;
	return emit(a, c, &e);
}

static struct nt_pa_conn *lookup(struct nt_pa *a, const struct nt_packet *p, int *side, size_t *slot,
				 uint64_t *keyp, int *err)
{
	int64_t idx;
	uint64_t key = 0;

	*err = 0;
	for (uint64_t seed = 1; seed < 5; seed++) {
		key = tuple_hash(p, seed);
		if (!hmap_get(&a->by_tuple, key, &idx))
			break;
		struct nt_pa_conn *c = a->conns[idx];
		int s = c ? side_of(c, p) : -1;
		if (s >= 0) {
			*side = s;
			*slot = (size_t)idx;
			*keyp = key;
			return c;
		}
		if (!c)
			break; /* a completed connection's slot: reuse the key */
		key = 0;   /* hash collision with another tuple: next seed */
	}
	if (!key)
		return NULL; /* four collisions in a row: give up on this packet */
	struct nt_pa_conn *c = conn_new(a, p, slot);
	if (!c || hmap_put(&a->by_tuple, key, (int64_t)*slot)) {
		*err = -ENOMEM;
		return NULL;
	}
	*side = side_of(c, p);
	*keyp = key;
	return c;
}

/* Completes connections closed (RST, or FIN both ways) and quiet for NT_PA_CLOSED_IDLE_NS,
 * so that memory follows the open connections, not the capture's length. A completed
 * slot stays in the tuple map as NULL: a later packet of that tuple starts a new connection. */
static int sweep(struct nt_pa *a, int64_t now)
{
	for (size_t i = 0; i < a->n; i++) {
		struct nt_pa_conn *c = a->conns[i];
		int rc;
		if (!c || c->state != 7 || now - c->last_ts < NT_PA_CLOSED_IDLE_NS)
			continue;
		rc = conn_done(a, c);
		conn_free(c);
		a->conns[i] = NULL;
		if (rc)
			return rc;
	}
	return 0;
}

int nt_pa__packet(struct nt_pa *a, const struct nt_packet *p, int64_t ts)
{
	struct nt_pa_conn *c;
	struct nt_pa_side *s, *o;
	int si, err, rc;
	size_t slot;
	uint64_t key;
	unsigned an = 0;
	uint32_t seg_len, end;
	int syn = p->flags & NT_TH_SYN, fin = p->flags & NT_TH_FIN, rst = p->flags & NT_TH_RST;
	int64_t window = -1;

	if (!(++a->packets % NT_PA_SWEEP_EVERY)) {
		rc = sweep(a, ts);
		if (rc)
			return rc;
	}
	c = lookup(a, p, &si, &slot, &key, &err);
	if (!c)
		return err;
	s = &c->side[si];
	/* A new SYN with another ISN on a known tuple: the tuple was reused by a new connection. */
	if (syn && !(p->flags & NT_TH_ACK) && c->packets &&
	    ((s->syn_seen && s->isn != p->seq) || (!s->syn_seen && (c->reset || (s->fin && c->side[1 - si].fin))))) {
		rc = conn_done(a, c);
		conn_free(c);
		a->conns[slot] = NULL;
		if (rc)
			return rc;
		c = conn_new(a, p, &slot);
		if (!c)
			return -ENOMEM;
		if (hmap_put(&a->by_tuple, key, (int64_t)slot))
			return -ENOMEM;
		si = side_of(c, p);
		s = &c->side[si];
	}
	o = &c->side[1 - si];
	if (!c->packets)
		c->first_ts = ts;
	c->last_ts = ts;
	c->packets++;

	/* Handshake options. */
	if (syn) {
		if (!s->syn_seen) {
			s->syn_seen = 1;
			s->isn = p->seq;
			s->wscale = p->wscale;
			s->mss = p->mss;
			s->sack_perm = p->sack_perm;
			s->ts_opt = p->has_ts;
		}
		handshake_scale(c);
		if (!c->state)
			c->state = (p->flags & NT_TH_ACK) ? 3 /* SYN_RECV */ : 2 /* SYN_SENT */;
	}

	/* Sequence space: new data, retransmissions, keep-alives. */
	seg_len = p->payload + (syn ? 1 : 0) + (fin ? 1 : 0);
	end = p->seq + seg_len;
	if (!s->have_seq) {
		s->have_seq = 1;
		s->base = syn ? p->seq + 1 : p->seq;
		s->snd_max = p->seq;
	}
	if (!syn && !fin && !rst && p->payload <= 1 && p->seq + 1 == s->snd_max) {
		an |= NT_PA_A_KEEPALIVE; /* keep-alive or zero-window probe: one byte below the highest seq */
	} else if (seg_len) {
		if (seq_lt(p->seq, s->snd_max)) {
			an |= NT_PA_A_RETRANS;
			rc = on_retrans(a, c, si, p, ts, seg_len);
			if (rc)
				return rc;
			if (seq_lt(s->snd_max, end)) {
				s->bytes += (uint32_t)(end - s->snd_max) - (fin ? 1 : 0);
				s->snd_max = end;
			}
		} else {
			if (seq_lt(s->snd_max, p->seq) && s->snd_max != s->base)
				an |= NT_PA_A_GAP;
			s->bytes += p->payload;
			rc = seg_push(s, end, ts, 0);
			if (rc)
				return rc;
			s->snd_max = end;
		}
	}
	if (fin)
		s->fin = 1;

	/* ACKs of the other side's data: RTT, duplicate ACKs, end of recovery. */
	if (p->flags & NT_TH_ACK && !rst) {
		if (!o->have_una || seq_lt(o->snd_una, p->ack)) {
			if (o->have_seq) {
				rc = on_new_ack(a, c, o, 1 - si, p->ack, ts, p->win == 0);
				if (rc)
					return rc;
			} else {
				o->snd_una = p->ack;
				o->have_una = 1;
			}
			s->dupacks = 0;
		} else if (p->ack == o->snd_una && !p->payload && !syn && !fin && s->win_seen && p->win &&
			   p->win == s->win_raw && p->seq == s->snd_max) {
			s->dupacks++;
			an |= NT_PA_A_DUP_ACK;
		}
		s->last_ack = p->ack;
		s->last_sack = p->sack_blocks > 0;
		if (!c->established && o->syn_seen && s->syn_seen && !syn) {
			struct nt_pa_event e = { .type = NT_PA_EV_ESTABLISHED, .ts = ts, .side = si };
			c->established = 1;
			c->state = 1;
			rc = emit(a, c, &e);
			if (rc)
				return rc;
		} else if (!c->state && !syn) {
			c->state = 1; /* mid-stream: established before the capture started */
		}
	}

	/* Windows: scaled when the handshake was seen; zero-window episodes per side. */
	if (!rst) {
		if (syn)
			window = p->win; /* never scaled in a SYN */
		else if (c->wscale_known)
			window = (int64_t)p->win << c->shift[si];
		s->win = window >= 0 ? window : p->win;
		s->win_raw = p->win;
		s->win_seen = 1;
		if (p->win == 0 && !(p->flags & (NT_TH_SYN | NT_TH_FIN))) {
			an |= NT_PA_A_ZERO_WINDOW;
			s->zero_segments++;
			if (!s->zero) {
				/* srtt_us stays 0: the RTT detector reads every sample with an RTT, and
				 * which direction's RTT is kept is only decided at the end. */
				struct nt_pa_event e = { .type = NT_PA_EV_ZERO_START, .ts = ts, .side = si };
				s->zero = 1;
				s->zero_episodes++;
				rc = emit(a, c, &e);
				if (rc)
					return rc;
			}
		} else if (p->win > 0 && s->zero) {
			struct nt_pa_event e = { .type = NT_PA_EV_ZERO_END, .ts = ts, .side = si };
			s->zero = 0;
			rc = emit(a, c, &e);
			if (rc)
				return rc;
		}
	} else {
		struct nt_pa_event e = { .type = NT_PA_EV_RESET, .ts = ts, .side = si, .seq = p->seq };
		c->reset = 1;
		rc = emit(a, c, &e);
		if (rc)
			return rc;
		c->state = 7;
	}
	if (s->fin && o->fin && !c->reset)
		c->state = 7;
	rc = a->sink.packet ? a->sink.packet(a->sink.ctx, c, p, ts, si, rst ? -1 : window, an) : 0;
	s->last_ts = ts;
	return rc;
}

int nt_pa__finish(struct nt_pa *a)
{
	int rc = 0;

	for (size_t i = 0; i < a->n; i++) {
		if (!a->conns[i])
			continue;
		if (!rc)
			rc = conn_done(a, a->conns[i]);
		conn_free(a->conns[i]);
		a->conns[i] = NULL;
	}
	a->n = 0;
	hmap_clear(&a->by_tuple);
	return rc;
}
