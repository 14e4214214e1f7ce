/* gen_hosts.c: writes deterministic tapes of three hosts (a client, a server whose clock is skewed, and a host that shares nothing) for the pairing and clock-alignment CLI tests. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tape.h"

/*
 * Usage: nt-multihost-gentape [-i | -d] DIR_ALPHA DIR_BETA DIR_GAMMA SKEW_NS N [DIR_DELTA]
 * True time starts at T0. alpha (client, 198.18.1.2) opens N connections to
 * beta (server, 198.18.1.1:80), one every 10 ms, each with a handshake, a
 * client-first close and a one-way delay of 50 us; beta's wall clock is true
 * time + SKEW_NS. The tuple of connection 0 is used again 2 s later (tuple
 * reuse: four candidates, two pairs). One more client connection (port 39999,
 * at T0 + 3 s) has a server end at T0 + 0.5 s: the same tuple, another
 * connection (a NAT mix-up), which must be rejected. gamma records one
 * connection to a peer nobody recorded. With DIR_DELTA, alpha also opens one
 * connection to delta (198.18.1.5:80) of which both ends recorded only the
 * handshake (one-sided bounds: delta stays unaligned). With -i, the moves to
 * ESTABLISHED carry initial sequence numbers (NT_STATE_F_ISN; each end's own
 * derived from its cookie, so the reused tuple's two connections have other
 * ones, and the NAT mix-up's server end names another client's), and one more
 * connection (port 39998, 1.5 s) whose server end has the client's tuple and
 * times that fit but other sequence numbers: only -i tells it apart.
 * With -d, alpha and beta share only one connection (port 42000) of which no
 * state change is recorded, only samples: the client sends 1000 bytes every
 * 10 ms for 1 s; the server samples at each arrival (bytes_received before the
 * segment), the client at each ACK (bytes_acked before it, its SYN counted,
 * snd_queue 1000): the data and ACK edges alone bound beta's clock to
 * (SKEW - 10.05 ms, SKEW + 19.95 ms) (docs/SCHEMA.md "Several hosts").
 * Prints nothing; exit 0.
 */

#define T0 1795305600000000000ll /* 2026-11-22T00:00:00Z */
#define OWD 50000ll              /* one-way delay, ns */

struct ev {
	int64_t t;                   /* true time */
	uint64_t cookie;
	uint16_t sport, dport;
	uint8_t saddr[4], daddr[4];
	uint8_t old_state, new_state;
	uint32_t isn_l, isn_p;
	int sample;                  /* an NT_REC_SAMPLE with the three counters below */
	uint64_t acked, rcvd;
	uint32_t sq;
};

static int g_isn;  /* -i */
static int g_data; /* -d */

static uint32_t isn_of(uint64_t cookie) { return (uint32_t)(cookie * 2654435761u + 12345u); }

struct host {
	struct ev *v;
	size_t n, cap;
	int64_t skew;
};

static const uint8_t CLI[4] = { 198, 18, 1, 2 }, SRV[4] = { 198, 18, 1, 1 }, OTHER[4] = { 198, 18, 1, 9 },
		     DELTA[4] = { 198, 18, 1, 5 };

static void add(struct host *h, int64_t t, uint64_t cookie, const uint8_t *la, uint16_t lp, const uint8_t *ra,
		uint16_t rp, int o, int n)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 256;
		h->v = realloc(h->v, h->cap * sizeof(*h->v));
		if (!h->v)
			exit(1);
	}
	struct ev *e = &h->v[h->n++];
	memset(e, 0, sizeof(*e));
	e->t = t;
	e->cookie = cookie;
	memcpy(e->saddr, la, 4);
	memcpy(e->daddr, ra, 4);
	e->sport = lp;
	e->dport = rp;
	e->old_state = (uint8_t)o;
	e->new_state = (uint8_t)n;
}

/* One connection: client at alpha (cookie cc), server at beta (cookie sc), true
 * times; the server's events are moved by srv_shift (0: the same connection);
 * other: the server end's peer is another client (its peer ISN differs). */
static void conn(struct host *a, struct host *b, uint16_t port, int64_t t, int64_t srv_shift, uint64_t cc, uint64_t sc,
		 int other)
{
	int64_t s = srv_shift, f = t + 5000000; /* the client closes first, 5 ms later */
	/* handshake: SYN at t, SYN-ACK 5 us after it arrived, the final ACK creates the server's socket */
	add(a, t, cc, CLI, port, SRV, 80, 7, 2);
	add(a, t + 2 * OWD + 5000, cc, CLI, port, SRV, 80, 2, 1);
	a->v[a->n - 1].isn_l = isn_of(cc);
	a->v[a->n - 1].isn_p = isn_of(sc);
	add(b, s + t + 3 * OWD + 5000, sc, SRV, 80, CLI, port, 10, 3);
	add(b, s + t + 3 * OWD + 5000, sc, SRV, 80, CLI, port, 3, 1);
	b->v[b->n - 1].isn_l = isn_of(sc);
	b->v[b->n - 1].isn_p = isn_of(cc) + (other ? 7777u : 0u);
	/* close: FIN, its ACK, the server's FIN 20 us later, its ACK */
	add(a, f, cc, CLI, port, SRV, 80, 1, 4);
	add(b, s + f + OWD, sc, SRV, 80, CLI, port, 1, 8);
	add(a, f + 2 * OWD, cc, CLI, port, SRV, 80, 4, 5);
	add(b, s + f + OWD + 20000, sc, SRV, 80, CLI, port, 8, 9);
	add(a, f + 2 * OWD + 20000, cc, CLI, port, SRV, 80, 5, 7);
	add(b, s + f + 3 * OWD + 20000, sc, SRV, 80, CLI, port, 9, 7);
}

static int cmp_ev(const void *p, const void *q)
{
	const struct ev *x = p, *y = q;
	return (x->t > y->t) - (x->t < y->t);
}

static uint64_t g_boot, g_real;
static uint64_t fake_boot(void *ctx) { (void)ctx; return g_boot; }
static uint64_t fake_real(void *ctx) { (void)ctx; return g_real; }

static int write_host(const char *dir, const char *name, const char *boot_id, struct host *h)
{
	struct tape_writer_opts wo = { 0 };
	/* boottime = true time - T0 + 100 s; realtime = true time + skew */
	const int64_t boot_base = 100000000000ll;
	qsort(h->v, h->n, sizeof(*h->v), cmp_ev);
	g_boot = (uint64_t)(h->n ? h->v[0].t - T0 + boot_base : boot_base);
	g_real = (uint64_t)(g_boot - boot_base + T0 + h->skew);
	wo.dir = dir;
	wo.hostname = name;
	wo.boot_id = boot_id;
	wo.kernel = "6.18.0-test";
	wo.version = "gentape";
	wo.cmdline = "nt-multihost-gentape";
	wo.now_ns = fake_boot;
	wo.realtime_ns = fake_real;
	struct tape_writer *w = tape_writer__open(&wo);
	if (!w) {
		fprintf(stderr, "gentape: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < h->n; i++) {
		const struct ev *e = &h->v[i];
		g_boot = (uint64_t)(e->t - T0 + boot_base);
		g_real = (uint64_t)(e->t + h->skew);
		if (e->sample) {
			struct nt_ev_sample sm;
			memset(&sm, 0, sizeof(sm));
			sm.c.cookie = e->cookie;
			sm.c.netns = 4026531840u;
			sm.c.family = 2;
			sm.c.proto = 6;
			sm.c.sport = e->sport;
			sm.c.dport = e->dport;
			memcpy(sm.c.saddr, e->saddr, 4);
			memcpy(sm.c.daddr, e->daddr, 4);
			sm.state = 1;
			sm.kind = NT_SAMPLE_WND_CHANGE;
			sm.bytes_acked = e->acked;
			sm.bytes_received = e->rcvd;
			sm.snd_queue = e->sq;
			int err = tape_writer__append(w, NT_REC_SAMPLE, g_boot, &sm, sizeof(sm));
			if (err) {
				fprintf(stderr, "gentape: %s\n", tape_strerror(err));
				tape_writer__close(w);
				return 1;
			}
			continue;
		}
		struct nt_ev_state s;
		memset(&s, 0, sizeof(s));
		s.c.cookie = e->cookie;
		s.c.netns = 4026531840u;
		s.c.family = 2;
		s.c.proto = 6;
		s.c.sport = e->sport;
		s.c.dport = e->dport;
		memcpy(s.c.saddr, e->saddr, 4);
		memcpy(s.c.daddr, e->daddr, 4);
		s.old_state = e->old_state;
		s.new_state = e->new_state;
		if (e->new_state == 1)
			s.flags = NT_STATE_F_HANDSHAKE, s.wscale_ok = 1, s.mss = 1448;
		if (e->new_state == 1 && g_isn && (e->isn_l || e->isn_p)) {
			s.flags |= NT_STATE_F_ISN;
			s.isn_local = e->isn_l;
			s.isn_peer = e->isn_p;
		}
		int err = tape_writer__append(w, NT_REC_STATE, g_boot, &s, sizeof(s));
		if (err) {
			fprintf(stderr, "gentape: %s\n", tape_strerror(err));
			tape_writer__close(w);
			return 1;
		}
	}
	int err = tape_writer__close(w);
	if (err)
		fprintf(stderr, "gentape: close: %s\n", tape_strerror(err));
	return err != 0;
}

int main(int argc, char **argv)
{
	struct host a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };
	long n;

	if (argc > 1 && (!strcmp(argv[1], "-i") || !strcmp(argv[1], "-d"))) {
		g_isn = argv[1][1] == 'i';
		g_data = argv[1][1] == 'd';
		argv++;
		argc--;
	}
	if ((argc != 6 && argc != 7) || (n = strtol(argv[5], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: nt-multihost-gentape [-i] DIR_ALPHA DIR_BETA DIR_GAMMA SKEW_NS N [DIR_DELTA]\n");
		return 2;
	}
	b.skew = strtoll(argv[4], NULL, 10);
	for (long k = 0; g_data && k < 100; k++) {
		/* segment k (1000 bytes) written and sent at t, received at t + OWD, its ACK back at t + 2 OWD */
		int64_t t = T0 + 1000000000ll + k * 10000000ll;
		add(&b, t + OWD, 6000, SRV, 80, CLI, 42000, 1, 1);
		b.v[b.n - 1].sample = 1;
		b.v[b.n - 1].rcvd = 1000 * (uint64_t)k;
		add(&a, t + 2 * OWD, 2000, CLI, 42000, SRV, 80, 1, 1);
		a.v[a.n - 1].sample = 1;
		a.v[a.n - 1].acked = 1000 * (uint64_t)k + 1;
		a.v[a.n - 1].sq = 1000;
	}
	for (long i = 0; i < n && !g_data; i++) {
		int64_t t = T0 + 1000000000ll + i * 10000000ll;
		conn(&a, &b, (uint16_t)(40000 + i), t, 0, 1000 + (uint64_t)i, 5000 + (uint64_t)i, 0);
	}
	/* tuple reuse: connection 0's tuple again, 2 s later */
	if (!g_data)
		conn(&a, &b, 40000, T0 + 3000000000ll, 0, 999, 4999, 0);
	/* a NAT mix-up: the same tuple on both hosts, but not the same connection */
	if (!g_data)
		conn(&a, &b, 39999, T0 + 4000000000ll, -2500000000ll, 998, 4998, 1);
	/* with -i: the same tuple, fitting times, but the server end's other sequence numbers */
	if (g_isn)
		conn(&a, &b, 39998, T0 + 1500000000ll, 0, 997, 4997, 1);
	/* gamma: one connection nobody else recorded */
	add(&c, T0 + 1000000000ll, 77, OTHER, 45000, SRV, 443, 7, 2);
	add(&c, T0 + 1000100000ll, 77, OTHER, 45000, SRV, 443, 2, 1);
	if (argc == 7) {
		int64_t t = T0 + 5000000000ll;
		add(&a, t, 66, CLI, 41000, DELTA, 80, 7, 2);
		add(&a, t + 2 * OWD, 66, CLI, 41000, DELTA, 80, 2, 1);
		add(&d, t + 3 * OWD, 67, DELTA, 80, CLI, 41000, 3, 1);
	}
	int rc = write_host(argv[1], "alpha", "00000000-0000-4000-8000-0000000000a1", &a) ||
		 write_host(argv[2], "beta", "00000000-0000-4000-8000-0000000000b1", &b) ||
		 write_host(argv[3], "gamma", "00000000-0000-4000-8000-0000000000c1", &c) ||
		 (argc == 7 && write_host(argv[6], "delta", "00000000-0000-4000-8000-0000000000d1", &d));
	free(a.v);
	free(b.v);
	free(c.v);
	free(d.v);
	return rc;
}
