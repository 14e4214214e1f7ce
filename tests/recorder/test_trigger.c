/* test_trigger.c: unit tests of recorder/trigger.c: each rule fires, must-not-fire cases, cooldown, rate limit, noise. */
#include <string.h>

#include "check.h"
#include "trigger.h"

#define MS 1000000ULL
#define SEC 1000000000ULL

struct sink {
	int n;
	struct trigger_fire last;
	struct trigger_fire all[64];
};

static void on_fire(void *ctx, const struct trigger_fire *f)
{
	struct sink *s = ctx;

	if (s->n < 64)
		s->all[s->n] = *f;
	s->n++;
	s->last = *f;
}

/* Reason table of the test "kernel". */
static const char *reason_name(void *ctx, uint32_t r)
{
	switch (r) {
	case 2: return "NOT_SPECIFIED";
	case 3: return "NO_SOCKET";
	case 4: return "TCP_CSUM";
	case 5: return "SKB_DROP_REASON_PACKET_SOCK_ERROR";
	case 6: return "TCP_LISTEN_OVERFLOW";
	case 7: return "OTHERHOST";
	case 8: return "TCP_OLD_DATA";
	case 9: return "SKB_DROP_REASON_TCP_OLD_SEQUENCE";
	default: return NULL;
	}
}

static struct nt_conn conn(uint64_t cookie, uint8_t last, uint16_t sport, uint16_t dport)
{
	struct nt_conn c;

	memset(&c, 0, sizeof(c));
	c.cookie = cookie;
	c.family = 2;
	c.proto = 6;
	c.netns = 4026531840u;
	c.saddr[0] = 198;
	c.saddr[1] = 18;
	c.saddr[3] = 1;
	c.daddr[0] = 198;
	c.daddr[1] = 18;
	c.daddr[3] = last;
	c.sport = sport;
	c.dport = dport;
	return c;
}

static struct trigger *mk(struct sink *s, struct trigger_opts *o)
{
	memset(s, 0, sizeof(*s));
	o->fire = on_fire;
	o->fire_ctx = s;
	if (!o->reason_name)
		o->reason_name = reason_name;
	return trigger__new(o);
}

static int sample(struct trigger *t, uint64_t ts, const struct nt_conn *c, uint8_t kind)
{
	struct nt_ev_sample s;

	memset(&s, 0, sizeof(s));
	s.c = *c;
	s.kind = kind;
	s.srtt_us = 90000;
	s.min_rtt_us = 1000;
	return trigger__feed(t, NT_REC_SAMPLE, ts, &s, sizeof(s));
}

static int drop(struct trigger *t, uint64_t ts, const struct nt_conn *c, uint32_t reason)
{
	struct nt_ev_drop d;

	memset(&d, 0, sizeof(d));
	d.c = *c;
	d.reason = reason;
	return trigger__feed(t, NT_REC_DROP, ts, &d, sizeof(d));
}

static void test_zero_window(void)
{
	struct trigger_opts o = { .cooldown_ns = 10 * SEC };
	struct sink s;
	struct trigger *t = mk(&s, &o);
	struct nt_conn a = conn(11, 2, 5001, 40000), b = conn(12, 3, 5001, 40001);
	struct trigger_stats st;

	CHECK(t);
	CHECK_EQ(sample(t, 1 * SEC, &a, NT_SAMPLE_PERIODIC), 0);
	CHECK_EQ(sample(t, 1 * SEC, &a, NT_SAMPLE_RCV_ZERO_END), 0);
	CHECK_EQ(sample(t, 2 * SEC, &a, NT_SAMPLE_RCV_ZERO_START), 1);
	CHECK_EQ(s.last.kind, NT_TRIGGER_ZERO_WINDOW);
	CHECK_EQ(s.last.cookie, 11);
	CHECK_EQ(s.last.ts, 2 * SEC);
	CHECK(!memcmp(&s.last.conn, &a, sizeof(a)));
	CHECK(strstr(s.last.desc, "zero_window") && strstr(s.last.desc, "198.18.0.2:40000"));
	/* Same episode (starts again within the cooldown): silent; each
	 * detection keeps the episode open. */
	CHECK_EQ(sample(t, 8 * SEC, &a, NT_SAMPLE_RCV_ZERO_START), 0);
	CHECK_EQ(sample(t, 17 * SEC, &a, NT_SAMPLE_SND_ZERO_START), 0);
	/* Another connection fires on its own. */
	CHECK_EQ(sample(t, 9 * SEC, &b, NT_SAMPLE_SND_ZERO_START), 1);
	CHECK(strstr(s.last.desc, "peer advertises"));
	/* Quiet for longer than the cooldown: a new episode. */
	CHECK_EQ(sample(t, 28 * SEC, &a, NT_SAMPLE_RCV_ZERO_START), 1);
	trigger__stats(t, &st);
	CHECK_EQ(st.fired[NT_TRIGGER_ZERO_WINDOW], 3);
	CHECK_EQ(st.cooldown, 2);
	trigger__free(t);
}

static void test_drop_burst(void)
{
	struct trigger_opts o = { .drop_n = 10, .drop_window_ns = SEC, .drop_all_n = 1000 };
	struct sink s;
	struct trigger *t = mk(&s, &o);
	struct nt_conn a = conn(21, 2, 443, 50000), nosock = conn(0, 9, 443, 50001), rev;
	struct trigger_stats st;
	int i, fired = 0;

	CHECK(t);
	/* 9 drops within a second: not a burst. */
	for (i = 0; i < 9; i++)
		fired += drop(t, 10 * SEC + (uint64_t)i * 50 * MS, &a, 4);
	CHECK_EQ(fired, 0);
	/* Spread out (one every 200 ms), many: never a burst. */
	for (i = 0; i < 40; i++)
		fired += drop(t, 20 * SEC + (uint64_t)i * 200 * MS, &a, 4);
	CHECK_EQ(fired, 0);
	/* Noise: PACKET_SOCK_ERROR (the capture's own), NOT_SPECIFIED,
	 * OTHERHOST never count, however many. */
	for (i = 0; i < 100; i++) {
		fired += drop(t, 40 * SEC + (uint64_t)i * MS, &a, 5);
		fired += drop(t, 40 * SEC + (uint64_t)i * MS, &a, 2);
		fired += drop(t, 40 * SEC + (uint64_t)i * MS, &a, 7);
	}
	CHECK_EQ(fired, 0);
	/* Duplicates discarded by the receiver (spurious retransmits) are not
	 * loss: 200 within 100 ms do not fire. */
	for (i = 0; i < 100; i++) {
		fired += drop(t, 45 * SEC + (uint64_t)i * MS, &a, 8);
		fired += drop(t, 45 * SEC + (uint64_t)i * MS, &a, 9);
	}
	CHECK_EQ(fired, 0);
	/* 10 within a second: fires once, at the 10th. */
	for (i = 0; i < 30; i++)
		fired += drop(t, 50 * SEC + (uint64_t)i * 20 * MS, &a, 4);
	CHECK_EQ(fired, 1);
	CHECK_EQ(s.last.kind, NT_TRIGGER_DROP_BURST);
	CHECK_EQ(s.last.ts, 50 * SEC + 9 * 20 * MS);
	/* Socket-less drops (packet order) of one connection, both directions,
	 * share a key: 5 + 5 make a burst. */
	rev = nosock;
	memcpy(rev.saddr, nosock.daddr, 16);
	memcpy(rev.daddr, nosock.saddr, 16);
	rev.sport = nosock.dport;
	rev.dport = nosock.sport;
	nosock.flags = rev.flags = NT_CONN_F_PKT_ORDER;
	for (i = 0; i < 5; i++) {
		fired += drop(t, 60 * SEC + (uint64_t)i * MS, &nosock, 3);
		fired += drop(t, 60 * SEC + (uint64_t)i * MS, &rev, 3);
	}
	CHECK_EQ(fired, 2);
	CHECK_EQ(s.last.cookie, 0);
	trigger__stats(t, &st);
	CHECK_EQ(st.noise_drops, 300);
	CHECK_EQ(st.dup_drops, 200);
	trigger__free(t);

	/* A user noise list replaces the default, PACKET_SOCK_ERROR stays. */
	o.noise = "TCP_CSUM";
	t = mk(&s, &o);
	CHECK(t);
	for (i = 0; i < 20; i++)
		fired = drop(t, 70 * SEC + (uint64_t)i * MS, &a, 4) + drop(t, 70 * SEC, &a, 5);
	CHECK_EQ(s.n, 0);
	for (i = 0; i < 20; i++)
		drop(t, 80 * SEC + (uint64_t)i * MS, &a, 2); /* NOT_SPECIFIED counts now */
	CHECK_EQ(s.n, 1);
	trigger__free(t);
	(void)fired;

	/* Host-wide burst: many connections, one drop each. */
	memset(&o, 0, sizeof(o));
	o.drop_all_n = 50;
	t = mk(&s, &o);
	CHECK(t);
	for (i = 0; i < 60; i++) {
		struct nt_conn c = conn(1000 + (uint64_t)i, 2, 443, (uint16_t)(30000 + i));

		drop(t, 90 * SEC + (uint64_t)i * MS, &c, 3);
	}
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.last.conn.family, 0);
	CHECK(strstr(s.last.desc, "host-wide") && strstr(s.last.desc, "all connections"));
	trigger__free(t);
}

static void test_rto(void)
{
	struct trigger_opts o = { 0 };
	struct sink s;
	struct trigger *t = mk(&s, &o);
	struct nt_conn a = conn(31, 2, 5001, 40000), b = conn(32, 3, 5001, 40001);
	struct nt_ev_cong cg;
	struct nt_ev_retrans rt;

	CHECK(t);
	memset(&cg, 0, sizeof(cg));
	memset(&rt, 0, sizeof(rt));
	cg.c = a;
	cg.old_state = 0;
	cg.new_state = 3; /* Recovery: not an RTO */
	CHECK_EQ(trigger__feed(t, NT_REC_CONG, SEC, &cg, sizeof(cg)), 0);
	cg.new_state = 4;
	CHECK_EQ(trigger__feed(t, NT_REC_CONG, 2 * SEC, &cg, sizeof(cg)), 1);
	CHECK_EQ(s.last.kind, NT_TRIGGER_RTO);
	/* The retransmits of the same episode: silent. */
	rt.c = a;
	rt.ca_state = 4;
	rt.kind = NT_RETRANS_DATA;
	CHECK_EQ(trigger__feed(t, NT_REC_RETRANS, 2 * SEC + 200 * MS, &rt, sizeof(rt)), 0);
	/* Fast retransmit (Recovery) on b: not an RTO; Loss on b: fires. */
	rt.c = b;
	rt.ca_state = 3;
	CHECK_EQ(trigger__feed(t, NT_REC_RETRANS, 3 * SEC, &rt, sizeof(rt)), 0);
	rt.ca_state = 4;
	CHECK_EQ(trigger__feed(t, NT_REC_RETRANS, 3 * SEC, &rt, sizeof(rt)), 1);
	CHECK_EQ(s.last.cookie, 32);
	/* Short payload. */
	CHECK_EQ(trigger__feed(t, NT_REC_RETRANS, 3 * SEC, &rt, 10), -22);
	trigger__free(t);
}

static void test_rtt_and_mask(void)
{
	struct trigger_opts o = { 0 };
	struct sink s;
	struct trigger *t = mk(&s, &o);
	struct nt_conn a = conn(41, 2, 5001, 40000);

	CHECK(t);
	CHECK_EQ(sample(t, SEC, &a, NT_SAMPLE_RTT_SPIKE), 1);
	CHECK_EQ(s.last.kind, NT_TRIGGER_RTT_SPIKE);
	CHECK(strstr(s.last.desc, "srtt 90000 us"));
	CHECK_EQ(sample(t, SEC, &a, NT_SAMPLE_WND_CHANGE), 0);
	trigger__free(t);

	o.kinds = TRIGGER_KIND_BIT(NT_TRIGGER_ZERO_WINDOW);
	t = mk(&s, &o);
	CHECK_EQ(sample(t, SEC, &a, NT_SAMPLE_RTT_SPIKE), 0);
	CHECK_EQ(sample(t, SEC, &a, NT_SAMPLE_RCV_ZERO_START), 1);
	trigger__free(t);
}

static void test_listen_overflow(void)
{
	struct trigger_opts o = { .syn_n = 8, .syn_window_ns = SEC };
	struct sink s;
	struct trigger *t = mk(&s, &o);
	struct nt_conn syn = conn(0, 2, 40000, 8080), lst = conn(51, 0, 8080, 0);
	struct nt_ev_listen l;
	struct nt_ev_retrans rt;
	int i, n = 0;

	CHECK(t);
	/* A SYN dropped on overflow, packet order (client -> listener). */
	memcpy(syn.saddr, syn.daddr, 16);
	syn.daddr[3] = 1;
	syn.flags = NT_CONN_F_PKT_ORDER;
	CHECK_EQ(drop(t, SEC, &syn, 6), 1);
	CHECK_EQ(s.last.kind, NT_TRIGGER_LISTEN_OVERFLOW);
	/* The trigger names the listener: local side, remote wildcard. */
	CHECK_EQ(s.last.conn.sport, 8080);
	CHECK_EQ(s.last.conn.dport, 0);
	CHECK_EQ(s.last.conn.saddr[3], 1);
	CHECK_EQ(s.last.conn.daddr[0], 0);
	CHECK(strstr(s.last.desc, "198.18.0.1:8080 <-> *:*"));
	/* The listener's overflow counter, same port, same episode: silent. */
	memset(&l, 0, sizeof(l));
	l.c = lst;
	l.overflows = 3;
	l.max_backlog = 128;
	l.backlog = 129;
	CHECK_EQ(trigger__feed(t, NT_REC_LISTEN, 2 * SEC, &l, sizeof(l)), 0);
	/* Another listener with overflows: fires; without overflows: not. */
	l.c.sport = 9090;
	l.overflows = 0;
	CHECK_EQ(trigger__feed(t, NT_REC_LISTEN, 2 * SEC, &l, sizeof(l)), 0);
	l.overflows = 1;
	CHECK_EQ(trigger__feed(t, NT_REC_LISTEN, 2 * SEC, &l, sizeof(l)), 1);
	CHECK_EQ(s.last.cookie, 51);
	/* SYN-ACK retransmits on port 7070: 7 in a second do not fire, the 8th does. */
	memset(&rt, 0, sizeof(rt));
	rt.kind = NT_RETRANS_SYNACK;
	for (i = 0; i < 7; i++) {
		rt.c = conn(0, (uint8_t)(10 + i), 7070, (uint16_t)(30000 + i));
		n += trigger__feed(t, NT_REC_RETRANS, 5 * SEC + (uint64_t)i * 100 * MS, &rt, sizeof(rt));
	}
	CHECK_EQ(n, 0);
	rt.c = conn(0, 30, 7070, 31000);
	CHECK_EQ(trigger__feed(t, NT_REC_RETRANS, 5 * SEC + 800 * MS, &rt, sizeof(rt)), 1);
	CHECK_EQ(s.last.conn.sport, 7070);
	CHECK_EQ(s.last.conn.dport, 0);
	CHECK(strstr(s.last.desc, "SYN-ACK"));
	trigger__free(t);
}

static void test_rate_limit_and_manual(void)
{
	struct trigger_opts o = { .max_per_min = 3 };
	struct sink s;
	struct trigger *t = mk(&s, &o);
	struct trigger_stats st;
	int i, n = 0;

	CHECK(t);
	for (i = 0; i < 5; i++) {
		struct nt_conn c = conn(100 + (uint64_t)i, 2, 1, 2);

		n += sample(t, SEC + (uint64_t)i * MS, &c, NT_SAMPLE_RTT_SPIKE);
	}
	CHECK_EQ(n, 3);
	trigger__stats(t, &st);
	CHECK_EQ(st.rate_limited, 2);
	/* A minute later the budget is back. */
	{
		struct nt_conn c = conn(200, 2, 1, 2);

		CHECK_EQ(sample(t, 62 * SEC, &c, NT_SAMPLE_RTT_SPIKE), 1);
	}
	/* Manual: no cooldown, no rate limit; NULL conn = all. */
	trigger__manual(t, 63 * SEC, NULL, "test");
	trigger__manual(t, 63 * SEC, NULL, "test");
	CHECK_EQ(s.n, 6);
	CHECK_EQ(s.last.kind, NT_TRIGGER_MANUAL);
	CHECK(strstr(s.last.desc, "all connections"));
	trigger__free(t);
	trigger__free(NULL);
}

int main(void)
{
	test_zero_window();
	test_drop_burst();
	test_rto();
	test_rtt_and_mask();
	test_listen_overflow();
	test_rate_limit_and_manual();
	CHECK_DONE("test_trigger");
}
