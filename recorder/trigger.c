/* trigger.c: live trigger rules on the decoded event stream, with per-connection cooldown and a host-wide rate limit. */
#include "trigger.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "names.h"
#include "tape.h"
#include "util.h"

#define SEC 1000000000ULL
#define BURST_MAX 32
#define BURST_SLOTS 4096   /* power of two */
#define COOL_SLOTS 8192    /* power of two */
#define REASON_CACHE 1024  /* drop reasons classified once (enum values are small) */

/* RC_DUP: the receiver discarding data it already has (TCP_OLD_DATA,
 * TCP_OLD_SEQUENCE): a consequence of retransmissions (spurious ones on a
 * healthy veth, ~80 a second under iperf3 on 6.18), not loss; the loss
 * itself shows up as rto or as drops of other reasons. */
enum reason_class { RC_UNKNOWN = 0, RC_NOISE, RC_REAL, RC_LISTEN, RC_DUP };

/* The last BURST_MAX timestamps of one key (a ring). */
struct burst {
	uint64_t key;
	uint32_t n;        /* samples stored, <= BURST_MAX */
	uint32_t head;     /* next write position */
	uint64_t ts[BURST_MAX];
};

struct cool {
	uint64_t key;      /* (kind, connection) hash; 0 = free */
	uint64_t last;     /* last detection of the episode */
};

struct trigger {
	struct trigger_opts o;
	char **noise;
	size_t nnoise;
	uint8_t reason_class[REASON_CACHE];
	struct burst *drops, *syns;
	struct cool *cool;
	uint64_t all_start;
	uint32_t all_count;
	uint64_t rate_start;
	uint32_t rate_count;
	struct trigger_stats st;
};

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* Key of a connection: the cookie when known, else the tuple with its two
 * endpoints in a canonical order (so both directions of a connection and
 * socket-less drops of it share a key). Never 0. */
static uint64_t conn_key(const struct nt_conn *c)
{
	unsigned char a[18], b[18];
	uint64_t h = 0xcbf29ce484222325ULL;

	if (c->cookie)
		return nt_mix64(c->cookie) | 1;
	memcpy(a, c->saddr, 16);
	memcpy(a + 16, &c->sport, 2);
	memcpy(b, c->daddr, 16);
	memcpy(b + 16, &c->dport, 2);
	h = hash_bytes(h, &c->netns, sizeof(c->netns));
	h = hash_bytes(h, &c->family, 1);
	if (memcmp(a, b, sizeof(a)) < 0) {
		h = hash_bytes(h, a, sizeof(a));
		h = hash_bytes(h, b, sizeof(b));
	} else {
		h = hash_bytes(h, b, sizeof(b));
		h = hash_bytes(h, a, sizeof(a));
	}
	return nt_mix64(h) | 1;
}

static uint64_t port_key(uint32_t netns, uint16_t port, uint64_t salt)
{
	return nt_mix64(((uint64_t)netns << 20) ^ ((uint64_t)port << 2) ^ salt) | 1;
}

const char *trigger_kind_name(uint16_t kind)
{
	const char *n = nt_trigger_kind_name(kind);

	return n ? n : "unknown";
}

const char *trigger_meta_reason_name(void *ctx, uint32_t reason)
{
	return ctx ? tape_meta__enum_name(ctx, NT_ENUM_DROP_REASON, reason) : NULL;
}

static void addr_str(uint8_t family, const uint8_t *addr, uint16_t port, char *buf, size_t len)
{
	static const uint8_t zero[16];
	char a[INET6_ADDRSTRLEN] = "*";

	if (memcmp(addr, zero, family == 10 ? 16 : 4))
		inet_ntop(family == 10 ? AF_INET6 : AF_INET, addr, a, sizeof(a));
	if (!port)
		snprintf(buf, len, family == 10 ? "[%s]:*" : "%s:*", a);
	else
		snprintf(buf, len, family == 10 ? "[%s]:%u" : "%s:%u", a, port);
}

const char *trigger_conn_str(const struct nt_conn *c, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN + 10], d[INET6_ADDRSTRLEN + 10];

	if (c->family != 2 && c->family != 10) {
		snprintf(buf, len, "all connections");
		return buf;
	}
	addr_str(c->family, c->saddr, c->sport, s, sizeof(s));
	addr_str(c->family, c->daddr, c->dport, d, sizeof(d));
	snprintf(buf, len, "%s <-> %s", s, d);
	return buf;
}

static void free_noise(struct trigger *t)
{
	size_t i;

	for (i = 0; i < t->nnoise; i++)
		free(t->noise[i]);
	free(t->noise);
	t->noise = NULL;
	t->nnoise = 0;
}

static int add_noise(struct trigger *t, const char *name, size_t n)
{
	char **p;

	if (!n)
		return 0;
	if (n >= 16 && nt_drop_reason_short(name) != name) {
		name += 16;
		n -= 16;
	}
	p = realloc(t->noise, (t->nnoise + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	t->noise = p;
	t->noise[t->nnoise] = strndup(name, n);
	if (!t->noise[t->nnoise])
		return -ENOMEM;
	t->nnoise++;
	return 0;
}

static int parse_noise(struct trigger *t, const char *list)
{
	const char *p = list, *e;
	int err;

	if (!strcasecmp(list, "none"))
		list = "";
	for (p = list; *p; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		if (!e)
			e = p + strlen(p);
		err = add_noise(t, p, (size_t)(e - p));
		if (err)
			return err;
	}
	return add_noise(t, "PACKET_SOCK_ERROR", strlen("PACKET_SOCK_ERROR"));
}

struct trigger *trigger__new(const struct trigger_opts *opts)
{
	struct trigger *t = calloc(1, sizeof(*t));
	int err = -ENOMEM;

	if (!t)
		goto fail;
	t->o = *opts;
	if (!t->o.kinds)
		t->o.kinds = TRIGGER_ALL_KINDS;
	if (!t->o.cooldown_ns)
		t->o.cooldown_ns = 60 * SEC;
	if (!t->o.max_per_min)
		t->o.max_per_min = 30;
	if (!t->o.drop_n)
		t->o.drop_n = 10;
	if (!t->o.drop_window_ns)
		t->o.drop_window_ns = SEC;
	if (!t->o.drop_all_n)
		t->o.drop_all_n = 200;
	if (!t->o.syn_n)
		t->o.syn_n = 8;
	if (!t->o.syn_window_ns)
		t->o.syn_window_ns = SEC;
	t->o.noise = NULL;
	if (t->o.drop_n > BURST_MAX || t->o.syn_n > BURST_MAX) {
		err = -EINVAL;
		goto fail;
	}
	err = parse_noise(t, opts->noise ? opts->noise : NT_DROP_NOISE_DEFAULT);
	if (err)
		goto fail;
	err = -ENOMEM;
	t->drops = calloc(BURST_SLOTS, sizeof(*t->drops));
	t->syns = calloc(BURST_SLOTS, sizeof(*t->syns));
	t->cool = calloc(COOL_SLOTS, sizeof(*t->cool));
	if (!t->drops || !t->syns || !t->cool)
		goto fail;
	return t;
fail:
	trigger__free(t);
	errno = -err;
	return NULL;
}

void trigger__free(struct trigger *t)
{
	if (!t)
		return;
	free_noise(t);
	free(t->drops);
	free(t->syns);
	free(t->cool);
	free(t);
}

void trigger__stats(const struct trigger *t, struct trigger_stats *st)
{
	*st = t->st;
}

static enum reason_class classify(struct trigger *t, uint32_t reason)
{
	const char *name = NULL;
	enum reason_class rc = RC_REAL;
	size_t i;

	if (reason < REASON_CACHE && t->reason_class[reason] != RC_UNKNOWN)
		return (enum reason_class)t->reason_class[reason];
	if (t->o.reason_name)
		name = t->o.reason_name(t->o.reason_ctx, reason);
	if (name) {
		enum nt_drop_class dc = nt_drop_class_of(name);

		name = nt_drop_reason_short(name);
		if (dc == NT_DROP_CLASS_LISTEN)
			rc = RC_LISTEN;
		if (dc == NT_DROP_CLASS_DUPLICATE)
			rc = RC_DUP;
		/* noise is the configured list, not the default class */
		for (i = 0; i < t->nnoise; i++)
			if (!strcasecmp(name, t->noise[i]))
				rc = RC_NOISE;
	}
	/* Unknown names are cached too: the table of one kernel does not change. */
	if (reason < REASON_CACHE)
		t->reason_class[reason] = (uint8_t)rc;
	return rc;
}

/* Adds ts to key's burst ring; returns 1 when the last n samples lie within
 * window (a burst), else 0. */
static int burst_add(struct burst *tab, uint64_t key, uint64_t ts, uint32_t n, uint64_t window)
{
	struct burst *b = &tab[key & (BURST_SLOTS - 1)];
	uint64_t first;

	if (b->key != key) {
		b->key = key;
		b->n = 0;
		b->head = 0;
	}
	b->ts[b->head] = ts;
	b->head = (b->head + 1) % BURST_MAX;
	if (b->n < BURST_MAX)
		b->n++;
	if (b->n < n)
		return 0;
	first = b->ts[(b->head + BURST_MAX - n) % BURST_MAX];
	return ts >= first ? ts - first <= window : 1;
}

/* A rule matched: cooldown, rate limit, then the fire callback. */
static int detect(struct trigger *t, uint16_t kind, uint64_t ts, const struct nt_conn *c,
		  uint64_t key, const char *what)
{
	uint64_t ck = nt_mix64(key ^ ((uint64_t)kind << 56)) | 1;
	struct cool *cs = &t->cool[ck & (COOL_SLOTS - 1)];
	struct trigger_fire f;
	char tuple[2 * (INET6_ADDRSTRLEN + 10) + 8];

	if (!(t->o.kinds & TRIGGER_KIND_BIT(kind)))
		return 0;
	if (cs->key == ck && (ts < cs->last || ts - cs->last < t->o.cooldown_ns)) {
		/* Same episode: stays silent, and keeps the episode open. */
		if (ts > cs->last)
			cs->last = ts;
		t->st.cooldown++;
		return 0;
	}
	if (!t->rate_start || ts < t->rate_start || ts - t->rate_start >= 60 * SEC) {
		t->rate_start = ts ? ts : 1;
		t->rate_count = 0;
	}
	if (t->rate_count >= t->o.max_per_min) {
		t->st.rate_limited++;
		return 0;
	}
	t->rate_count++;
	cs->key = ck;
	cs->last = ts;
	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.ts = ts;
	f.conn = *c;
	f.cookie = c->cookie;
	snprintf(f.desc, sizeof(f.desc), "%s: %s on %s", trigger_kind_name(kind), what,
		 trigger_conn_str(c, tuple, sizeof(tuple)));
	t->st.fired[kind]++;
	if (t->o.fire)
		t->o.fire(t->o.fire_ctx, &f);
	return 1;
}

/* The local endpoint only (remote wildcard), for listener-level triggers. */
static void local_only(const struct nt_conn *in, struct nt_conn *out)
{
	*out = *in;
	if (in->flags & NT_CONN_F_PKT_ORDER) {
		memcpy(out->saddr, in->daddr, 16);
		out->sport = in->dport;
	}
	memset(out->daddr, 0, 16);
	out->dport = 0;
	out->flags &= (uint16_t)~NT_CONN_F_PKT_ORDER;
}

static int on_drop(struct trigger *t, uint64_t ts, const struct nt_ev_drop *d)
{
	enum reason_class rc = classify(t, d->reason);
	char what[96];
	int fired = 0;

	if (rc == RC_NOISE) {
		t->st.noise_drops++;
		return 0;
	}
	if (rc == RC_DUP) {
		t->st.dup_drops++;
		return 0;
	}
	if (rc == RC_LISTEN) {
		struct nt_conn l;

		local_only(&d->c, &l);
		l.cookie = (d->c.flags & NT_CONN_F_PKT_ORDER) ? 0 : d->c.cookie;
		snprintf(what, sizeof(what), "accept queue full, SYN dropped (TCP_LISTEN_OVERFLOW)");
		return detect(t, NT_TRIGGER_LISTEN_OVERFLOW, ts, &l,
			      port_key(l.netns, l.sport, 0x11), what);
	}
	if (burst_add(t->drops, conn_key(&d->c), ts, t->o.drop_n, t->o.drop_window_ns)) {
		snprintf(what, sizeof(what), ">= %u drops within %llu ms", t->o.drop_n,
			 (unsigned long long)(t->o.drop_window_ns / 1000000ULL));
		fired = detect(t, NT_TRIGGER_DROP_BURST, ts, &d->c, conn_key(&d->c), what);
	}
	/* Host-wide: fixed windows (cheap; a burst straddling two windows
	 * needs up to twice the count). */
	if (!t->all_start || ts < t->all_start || ts - t->all_start > t->o.drop_window_ns) {
		t->all_start = ts ? ts : 1;
		t->all_count = 0;
	}
	if (++t->all_count == t->o.drop_all_n && !fired) {
		struct nt_conn all;

		memset(&all, 0, sizeof(all));
		snprintf(what, sizeof(what), ">= %u drops host-wide within %llu ms", t->o.drop_all_n,
			 (unsigned long long)(t->o.drop_window_ns / 1000000ULL));
		fired = detect(t, NT_TRIGGER_DROP_BURST, ts, &all, 2, what);
	}
	return fired;
}

static int on_retrans(struct trigger *t, uint64_t ts, const struct nt_ev_retrans *r)
{
	char what[96];

	if (r->kind == NT_RETRANS_SYN || r->kind == NT_RETRANS_SYNACK) {
		struct nt_conn l = r->c;
		/* SYNACK: we are the listener (local port); SYN: the peer's
		 * listener does not answer (remote port). */
		uint16_t port = r->kind == NT_RETRANS_SYNACK ? r->c.sport : r->c.dport;
		uint64_t key = port_key(r->c.netns, port, r->kind);

		if (!burst_add(t->syns, key, ts, t->o.syn_n, t->o.syn_window_ns))
			return 0;
		if (r->kind == NT_RETRANS_SYNACK) {
			local_only(&r->c, &l);
			l.cookie = 0;
		} else {
			memset(l.saddr, 0, 16);
			l.sport = 0;
			l.cookie = 0;
		}
		snprintf(what, sizeof(what), ">= %u %s retransmits within %llu ms", t->o.syn_n,
			 r->kind == NT_RETRANS_SYN ? "SYN" : "SYN-ACK",
			 (unsigned long long)(t->o.syn_window_ns / 1000000ULL));
		return detect(t, NT_TRIGGER_LISTEN_OVERFLOW, ts, &l, key, what);
	}
	if (r->ca_state != 4)
		return 0;
	snprintf(what, sizeof(what), "retransmit timeout (Loss state, backoff %u, rto %u ms)",
		 r->backoff, r->rto_us / 1000);
	return detect(t, NT_TRIGGER_RTO, ts, &r->c, conn_key(&r->c), what);
}

static int on_cong(struct trigger *t, uint64_t ts, const struct nt_ev_cong *c)
{
	char what[96];

	if (c->new_state != 4 || c->old_state == 4)
		return 0;
	snprintf(what, sizeof(what), "retransmit timeout (CA state -> Loss, cwnd %u)", c->snd_cwnd);
	return detect(t, NT_TRIGGER_RTO, ts, &c->c, conn_key(&c->c), what);
}

static int on_sample(struct trigger *t, uint64_t ts, const struct nt_ev_sample *s)
{
	char what[128];

	switch (s->kind) {
	case NT_SAMPLE_RCV_ZERO_START:
		snprintf(what, sizeof(what), "we advertise a zero window (%u bytes unread)",
			 s->rcv_queue);
		return detect(t, NT_TRIGGER_ZERO_WINDOW, ts, &s->c, conn_key(&s->c), what);
	case NT_SAMPLE_SND_ZERO_START:
		snprintf(what, sizeof(what), "the peer advertises a zero window (%u bytes unacked)",
			 s->snd_queue);
		return detect(t, NT_TRIGGER_ZERO_WINDOW, ts, &s->c, conn_key(&s->c), what);
	case NT_SAMPLE_RTT_SPIKE:
		snprintf(what, sizeof(what), "srtt %u us vs. minimum %u us", s->srtt_us,
			 s->min_rtt_us);
		return detect(t, NT_TRIGGER_RTT_SPIKE, ts, &s->c, conn_key(&s->c), what);
	default:
		return 0;
	}
}

static int on_listen(struct trigger *t, uint64_t ts, const struct nt_ev_listen *l)
{
	struct nt_conn c;
	char what[96];

	if (!l->overflows)
		return 0;
	local_only(&l->c, &c);
	snprintf(what, sizeof(what), "%u accept queue overflows (backlog %u/%u)", l->overflows,
		 l->backlog, l->max_backlog);
	return detect(t, NT_TRIGGER_LISTEN_OVERFLOW, ts, &c, port_key(c.netns, c.sport, 0x11), what);
}

int trigger__feed(struct trigger *t, uint16_t type, uint64_t ts, const void *data, uint32_t len)
{
	uint32_t need = nt_rec_min_size(type);
	/* Copied: the caller's buffer need not be aligned for the structs. */
	union {
		struct nt_ev_drop drop;
		struct nt_ev_retrans retrans;
		struct nt_ev_cong cong;
		struct nt_ev_sample sample;
		struct nt_ev_listen listen;
	} u;

	t->st.events++;
	if (type != NT_REC_DROP && type != NT_REC_RETRANS && type != NT_REC_CONG &&
	    type != NT_REC_SAMPLE && type != NT_REC_LISTEN)
		return 0;
	if (!data || len < need)
		return -EINVAL;
	memcpy(&u, data, need);
	switch (type) {
	case NT_REC_DROP:
		return on_drop(t, ts, &u.drop);
	case NT_REC_RETRANS:
		return on_retrans(t, ts, &u.retrans);
	case NT_REC_CONG:
		return on_cong(t, ts, &u.cong);
	case NT_REC_SAMPLE:
		return on_sample(t, ts, &u.sample);
	default:
		return on_listen(t, ts, &u.listen);
	}
}

void trigger__manual(struct trigger *t, uint64_t ts, const struct nt_conn *conn, const char *desc)
{
	struct trigger_fire f;
	char tuple[2 * (INET6_ADDRSTRLEN + 10) + 8];

	memset(&f, 0, sizeof(f));
	f.kind = NT_TRIGGER_MANUAL;
	f.ts = ts;
	if (conn)
		f.conn = *conn;
	f.cookie = f.conn.cookie;
	snprintf(f.desc, sizeof(f.desc), "manual: %s on %s", desc ? desc : "requested",
		 trigger_conn_str(&f.conn, tuple, sizeof(tuple)));
	t->st.fired[NT_TRIGGER_MANUAL]++;
	if (t->o.fire)
		t->o.fire(t->o.fire_ctx, &f);
}
