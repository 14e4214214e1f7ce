/* selection.c: the one grammar of the options that select a slice of the data in every command: --from/--to (against the data's span) and --conn. */
#include "util/selection.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/errlen.h"
#include "tape.h"
#include "util/timefmt.h"

/* ------------------------------------------------------------------ */
/* --conn: parsing                                                    */
/* ------------------------------------------------------------------ */

/* Decimal, or hex with 0x; "010" is ten. */
static int parse_u64(const char *s, uint64_t *v, int *hex_out)
{
	char *end;
	int hex;
	const char *d;
	unsigned long long x;

	if (!*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -EINVAL;
	hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	d = hex ? s + 2 : s;
	if (!(hex ? isxdigit((unsigned char)*d) : isdigit((unsigned char)*d)))
		return -EINVAL;
	errno = 0;
	x = strtoull(d, &end, hex ? 16 : 10);
	if (errno || *end)
		return -EINVAL;
	*v = x;
	if (hex_out)
		*hex_out = hex;
	return 0;
}

static int parse_port(const char *s, uint16_t *port)
{
	uint64_t v;

	if (parse_u64(s, &v, NULL) || v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

static int parse_endpoint(const char *s, struct conn_endpoint *ep)
{
	char buf[128], *colon;

	memset(ep, 0, sizeof(*ep));
	if (strlen(s) >= sizeof(buf) || !*s)
		return -EINVAL;
	strcpy(buf, s);
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close)
			return -EINVAL;
		*close = '\0';
		if (inet_pton(AF_INET6, buf + 1, ep->addr) != 1)
			return -EINVAL;
		ep->family = 10;
		if (close[1] == ':') {
			if (parse_port(close + 2, &ep->port))
				return -EINVAL;
			ep->has_port = 1;
		} else if (close[1]) {
			return -EINVAL;
		}
		return 0;
	}
	if (buf[0] == ':') {
		if (parse_port(buf + 1, &ep->port))
			return -EINVAL;
		ep->has_port = 1;
		return 0;
	}
	colon = strchr(buf, ':');
	if (colon && strchr(colon + 1, ':')) { /* bare IPv6 */
		if (inet_pton(AF_INET6, buf, ep->addr) != 1)
			return -EINVAL;
		ep->family = 10;
		return 0;
	}
	if (colon) {
		*colon = '\0';
		if (parse_port(colon + 1, &ep->port))
			return -EINVAL;
		ep->has_port = 1;
	}
	if (inet_pton(AF_INET, buf, ep->addr) != 1)
		return -EINVAL;
	ep->family = 2;
	return 0;
}

static int parse_alt(const char *s, struct conn_alt *x)
{
	const char *dash;
	uint64_t v;
	int hex = 0;

	memset(x, 0, sizeof(*x));
	if (!s || !*s)
		return -EINVAL;
	if (!strncmp(s, "cookie:", 7)) {
		if (parse_u64(s + 7, &v, NULL) || !v) /* 0 means "no socket" in the records */
			return -EINVAL;
		x->by_cookie = 1;
		x->cookie = v;
		return 0;
	}
	if (isdigit((unsigned char)s[0]) && !strchr(s, '.') && !strchr(s, ':') && !strchr(s, '-')) {
		if (parse_u64(s, &v, &hex) || !v)
			return -EINVAL;
		x->by_cookie = 1;
		x->cookie = v;
		if (!hex && v <= 65535) { /* a bare decimal number that can be a port is both */
			x->nep = 1;
			x->ep[0].has_port = 1;
			x->ep[0].port = (uint16_t)v;
		}
		return 0;
	}
	dash = strchr(s, '-');
	if (dash) {
		char a[128];
		size_t n = (size_t)(dash - s);

		if (strchr(dash + 1, '-') || n >= sizeof(a))
			return -EINVAL;
		memcpy(a, s, n);
		a[n] = '\0';
		if (parse_endpoint(a, &x->ep[0]) || parse_endpoint(dash + 1, &x->ep[1]))
			return -EINVAL;
		x->nep = 2;
		return 0;
	}
	if (parse_endpoint(s, &x->ep[0]))
		return -EINVAL;
	x->nep = 1;
	return 0;
}

int conn_filter_add(struct conn_filter *f, const char *s)
{
	struct conn_alt x;

	if (parse_alt(s, &x))
		return -EINVAL;
	if (f->nalt >= NT_CONN_MAX_ALT)
		return -E2BIG;
	f->alt[f->nalt++] = x;
	f->active = 1;
	return 0;
}

int conn_filter_parse(const char *s, struct conn_filter *f)
{
	memset(f, 0, sizeof(*f));
	return conn_filter_add(f, s);
}

void conn_filter_free(struct conn_filter *f)
{
	if (!f)
		return;
	free(f->cookies);
	f->cookies = NULL;
	f->ncookies = f->capcookies = 0;
}

/* ------------------------------------------------------------------ */
/* --conn: matching                                                   */
/* ------------------------------------------------------------------ */

static int v4mapped(const uint8_t *a6)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a6, pfx, 12);
}

/* v4-mapped IPv6 addresses compare as IPv4. */
static void norm_addr(uint8_t family, const uint8_t *in, uint8_t *fam_out, uint8_t *out)
{
	if (family == 10 && v4mapped(in)) {
		*fam_out = 2;
		memset(out, 0, 16);
		memcpy(out, in + 12, 4);
		return;
	}
	*fam_out = family;
	memcpy(out, in, 16);
}

static int ep_match(const struct conn_endpoint *ep, uint8_t family, const uint8_t *addr, uint16_t port)
{
	uint8_t f, na[16];

	if (ep->has_port && ep->port != port)
		return 0;
	if (!ep->family)
		return 1;
	norm_addr(family, addr, &f, na);
	if (f != ep->family)
		return 0;
	return !memcmp(na, ep->addr, f == 2 ? 4 : 16);
}

static int tuple_match(const struct conn_alt *x, uint8_t family, const uint8_t *sa, uint16_t sp,
		       const uint8_t *da, uint16_t dp)
{
	if (x->nep == 1)
		return ep_match(&x->ep[0], family, sa, sp) || ep_match(&x->ep[0], family, da, dp);
	if (x->nep == 2)
		return (ep_match(&x->ep[0], family, sa, sp) && ep_match(&x->ep[1], family, da, dp)) ||
		       (ep_match(&x->ep[0], family, da, dp) && ep_match(&x->ep[1], family, sa, sp));
	return 0;
}

int conn_filter_has_cookie(const struct conn_filter *f, uint64_t cookie)
{
	if (!f->active)
		return 1;
	if (!cookie)
		return 0;
	for (int i = 0; i < f->nalt; i++)
		if (f->alt[i].by_cookie && f->alt[i].cookie == cookie)
			return 1;
	for (size_t i = 0; i < f->ncookies; i++)
		if (f->cookies[i] == cookie)
			return 1;
	return 0;
}

static void learn_cookie(struct conn_filter *f, uint64_t cookie)
{
	if (!cookie || conn_filter_has_cookie(f, cookie))
		return;
	if (f->ncookies == f->capcookies) {
		size_t nc = f->capcookies ? f->capcookies * 2 : 16;
		uint64_t *n = realloc(f->cookies, nc * sizeof(*n));

		if (!n)
			return; /* learning is best effort: tuples still match */
		f->cookies = n;
		f->capcookies = nc;
	}
	f->cookies[f->ncookies++] = cookie;
}

int conn_filter_match_conn(struct conn_filter *f, const struct nt_conn *c)
{
	int hit = 0;

	if (!f->active)
		return 1;
	for (int i = 0; i < f->nalt; i++) {
		struct conn_alt *x = &f->alt[i];

		if (x->by_cookie && c->cookie == x->cookie) {
			if (!x->have_tuple && c->family) {
				x->tuple = *c;
				x->have_tuple = 1;
			}
			hit = 1;
		} else if (tuple_match(x, c->family, c->saddr, c->sport, c->daddr, c->dport)) {
			learn_cookie(f, c->cookie);
			hit = 1;
		}
	}
	return hit || conn_filter_has_cookie(f, c->cookie);
}

/* A cookie alternative's learned tuple against a packet's, either direction. */
static int learned_tuple_match(const struct conn_alt *x, const struct nt_packet *p)
{
	const struct nt_conn *t = &x->tuple;
	uint8_t tf, ts[16], td[16], pf, ps[16], pd[16];

	norm_addr(t->family, t->saddr, &tf, ts);
	norm_addr(t->family, t->daddr, &tf, td);
	norm_addr(p->family, p->saddr, &pf, ps);
	norm_addr(p->family, p->daddr, &pf, pd);
	if (tf != pf)
		return 0;
	return (!memcmp(ts, ps, 16) && !memcmp(td, pd, 16) && t->sport == p->sport && t->dport == p->dport) ||
	       (!memcmp(ts, pd, 16) && !memcmp(td, ps, 16) && t->sport == p->dport && t->dport == p->sport);
}

int conn_filter_match_packet(struct conn_filter *f, uint64_t cookie, const struct nt_packet *p)
{
	uint16_t sp, dp;

	if (!f->active)
		return 1;
	if (cookie && conn_filter_has_cookie(f, cookie))
		return 1;
	if (!p->family)
		return 0;
	/* an endpoint with a port cannot match a packet whose ports were not captured */
	sp = p->has_ports ? p->sport : 0;
	dp = p->has_ports ? p->dport : 0;
	for (int i = 0; i < f->nalt; i++) {
		const struct conn_alt *x = &f->alt[i];

		if (x->by_cookie && x->have_tuple && p->has_ports && learned_tuple_match(x, p))
			return 1;
		if (tuple_match(x, p->family, p->saddr, sp, p->daddr, dp))
			return 1;
	}
	return 0;
}

void conn_filter_learn_sockets(struct conn_filter *f, const struct tape_meta *m)
{
	if (!f->active || !m)
		return;
	for (int i = 0; i < f->nalt; i++) {
		struct conn_alt *x = &f->alt[i];
		const struct nt_ev_state *so;

		if (!x->by_cookie || x->have_tuple)
			continue;
		so = tape_meta__socket(m, x->cookie);
		if (so && so->c.family) {
			x->tuple = so->c;
			x->have_tuple = 1;
		}
	}
}

static void format_endpoint(const struct conn_endpoint *ep0, conn_endpoint_map map, void *ctx, char *buf, size_t len)
{
	struct conn_endpoint ep = *ep0;
	char addr[INET6_ADDRSTRLEN] = "";

	if (map)
		map(ctx, &ep);
	if (ep.family)
		inet_ntop(ep.family == 2 ? AF_INET : AF_INET6, ep.addr, addr, sizeof(addr));
	if (ep.family == 10 && ep.has_port)
		snprintf(buf, len, "[%s]:%u", addr, ep.port);
	else if (ep.has_port)
		snprintf(buf, len, "%s:%u", addr, ep.port);
	else
		snprintf(buf, len, "%s", addr);
}

static void format_alt(const struct conn_alt *x, conn_endpoint_map map, void *ctx, char *buf, size_t len)
{
	char e0[80], e1[80];

	if (x->by_cookie) {
		/* a bare number stays bare (cookie or port): without pseudonyms */
		if (x->nep && !map)
			snprintf(buf, len, "%" PRIu64, x->cookie);
		else
			snprintf(buf, len, "cookie:%" PRIu64, x->cookie);
		return;
	}
	format_endpoint(&x->ep[0], map, ctx, e0, sizeof(e0));
	if (x->nep == 2) {
		format_endpoint(&x->ep[1], map, ctx, e1, sizeof(e1));
		snprintf(buf, len, "%s-%s", e0, e1);
	} else {
		snprintf(buf, len, "%s", e0);
	}
}

void conn_filter_format(const struct conn_filter *f, conn_endpoint_map map, void *ctx, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return;
	buf[0] = '\0';
	if (!f->active) {
		snprintf(buf, len, "(all connections)");
		return;
	}
	for (int i = 0; i < f->nalt && off + 1 < len; i++) {
		char one[200];
		int w;

		format_alt(&f->alt[i], map, ctx, one, sizeof(one));
		w = snprintf(buf + off, len - off, "%s%s", i ? "," : "", one);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

/* ------------------------------------------------------------------ */
/* --from / --to                                                      */
/* ------------------------------------------------------------------ */

void nt_tape_span(const char *const *paths, size_t npaths, int64_t *first, int64_t *last)
{
	*first = *last = 0;
	for (size_t i = 0; i < npaths; i++) {
		char **chunks = NULL, *one[1];
		int n = tape_list_chunks(paths[i], &chunks);
		int single = 0;

		if (n < 0) { /* a chunk file rather than a directory */
			one[0] = (char *)paths[i];
			chunks = one;
			n = 1;
			single = 1;
		}
		for (int k = 0; k < n; k++) {
			int err = 0;
			struct tape_chunk_reader *r = tape_chunk_reader__open(chunks[k], &err);
			struct tape_frame_info fi;

			if (!r)
				continue;
			while (tape_chunk_reader__next_frame(r, 0, &fi) == 1) {
				const struct tape_header *h = &tape_chunk_reader__source(r)->hdr;
				int64_t a, b;

				if (fi.type != TAPE_FRAME_DATA || !fi.nrecords)
					continue;
				a = (int64_t)tape_header__to_realtime(h, fi.first_ts);
				b = (int64_t)tape_header__to_realtime(h, fi.last_ts);
				if (!*first || a < *first)
					*first = a;
				if (b > *last)
					*last = b;
			}
			tape_chunk_reader__free(r);
		}
		if (!single)
			tape_list_free(chunks, n);
	}
}

int nt_select_window(const char *from, const char *to, int64_t first, int64_t last, int64_t *from_ns,
		     int64_t *to_ns, char *err)
{
	char msg[NT_ERRLEN];

	if (from && nt_time_parse(from, first, last, from_ns, msg)) {
		snprintf(err, NT_ERRLEN, "--from: %.480s", msg);
		return -1;
	}
	if (to && nt_time_parse(to, first, last, to_ns, msg)) {
		snprintf(err, NT_ERRLEN, "--to: %.480s", msg);
		return -1;
	}
	if (from && to && *to_ns < *from_ns) {
		snprintf(err, NT_ERRLEN, "--from is after --to; swap them");
		return -1;
	}
	return 0;
}
