/* mktape.c: nettape-mktape, a test helper that writes a synthetic but realistic tape (metadata, connections, mixed events). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "names.h"
#include "synth.h"
#include "tape.h"

struct conn {
	struct nt_conn c;
	uint32_t srtt_us, min_rtt_us, rcv_wnd, snd_wnd, cwnd, ssthresh;
	uint64_t acked, received;
	uint32_t retrans;
	uint8_t wscale_ok;
};

struct gen {
	uint64_t seed;
	uint64_t boot, real_off;
	struct conn *conns;
	uint32_t nconns;
	uint64_t next_cookie;
	uint32_t sample_rr;
	struct tape_meta *meta;
};

enum { W_SAMPLE, W_DROP, W_RETRANS, W_CONG, W_STATE, W_RESET, W_STALL, W_BUFFER, W_LISTEN,
       W_PACKET, W_LOSS, W_PIN, W_N };
static const char *const wnames[W_N] = { "sample", "drop", "retrans", "cong", "state", "reset",
					 "stall", "buffer", "listen", "packet", "loss", "pin" };

static uint64_t rnd(struct gen *g)
{
	uint64_t x = g->seed;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	g->seed = x;
	return x * 0x2545f4914f6cdd1dull;
}

static uint32_t rndn(struct gen *g, uint32_t n) { return n ? (uint32_t)(rnd(g) % n) : 0; }

static uint64_t clk_boot(void *ctx) { return ((struct gen *)ctx)->boot; }
static uint64_t clk_real(void *ctx)
{
	struct gen *g = ctx;
	return g->boot + g->real_off;
}

static const struct { uint32_t v; const char *n; } drop_reasons[] = {
	{ 2, "NOT_SPECIFIED" }, { 3, "NO_SOCKET" }, { 5, "PKT_TOO_SMALL" }, { 6, "TCP_CSUM" },
	{ 8, "NETFILTER_DROP" }, { 16, "SOCKET_RCVBUFF" }, { 18, "PROTO_MEM" },
	{ 23, "TCP_MD5NOTFOUND" }, { 32, "TCP_OLD_SEQUENCE" }, { 33, "TCP_OVERWINDOW" },
	{ 34, "TCP_OFOMERGE" }, { 35, "TCP_RFC7323_PAWS" }, { 38, "TCP_INVALID_SEQUENCE" },
	{ 41, "TCP_RESET" }, { 43, "TCP_CLOSE" }, { 47, "TCP_OFO_QUEUE_PRUNE" },
	{ 49, "TCP_LISTEN_OVERFLOW" }, { 77, "QUEUE_PURGE" }, { 85, "SOCKET_BACKLOG" },
};
static const char *const rst_reasons[] = { "NOT_SPECIFIED", "NO_SOCKET", "TCP_INVALID_ACK_SEQUENCE",
					   "TCP_RFC7323_PAWS", "TCP_TOO_OLD_ACK", "TCP_ABORT_ON_DATA",
					   "TCP_TIMEWAIT_SOCKET", "INVALID_SYN" };
static const struct { uint64_t a; const char *n; } symbols[] = {
	{ 0xffffffff81c10000ull, "tcp_v4_rcv" },
	{ 0xffffffff81c02000ull, "tcp_rcv_established" },
	{ 0xffffffff81c04000ull, "tcp_validate_incoming" },
	{ 0xffffffff81c06000ull, "tcp_data_queue" },
	{ 0xffffffff81c08000ull, "tcp_v4_syn_recv_sock" },
	{ 0xffffffff81b40000ull, "sk_filter_trim_cap" },
	{ 0xffffffff81b00000ull, "__netif_receive_skb_core" },
	{ 0xffffffff81c50000ull, "tcp_v6_rcv" },
	{ 0xffffffff81b90000ull, "nf_hook_slow" },
};
static const char *const comms[] = { "nginx", "envoy", "curl", "postgres", "redis-server",
				     "java", "python3", "node", "api-server", "grpc-client" };

static int build_meta(struct gen *g, uint32_t nproc)
{
	struct tape_meta *m = g->meta;
	char text[256];
	int err = 0;

	for (size_t i = 0; !err && i < sizeof(drop_reasons) / sizeof(drop_reasons[0]); i++)
		err = synth_meta_enum(m, NT_ENUM_DROP_REASON, drop_reasons[i].v, drop_reasons[i].n);
	for (uint32_t s = 1; !err && s <= 12; s++) {
		snprintf(text, sizeof(text), "TCP_%s", tape_tcp_state_name(s));
		err = synth_meta_enum(m, NT_ENUM_TCP_STATE, s, text);
	}
	for (uint32_t s = 0; !err && s <= 4; s++) {
		snprintf(text, sizeof(text), "TCP_CA_%s", tape_ca_state_name(s));
		err = synth_meta_enum(m, NT_ENUM_CA_STATE, s, text);
	}
	for (uint32_t i = 0; !err && i < sizeof(rst_reasons) / sizeof(rst_reasons[0]); i++)
		err = synth_meta_enum(m, NT_ENUM_RST_REASON, i, rst_reasons[i]);
	for (uint32_t i = 0; !err && i < nt_trigger_kind_count(); i++)
		err = synth_meta_enum(m, NT_ENUM_TRIGGER, i, nt_trigger_kind_name(i));
	for (size_t i = 0; !err && i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		struct nt_rec_symbol s = { .addr = symbols[i].a };
		err = synth_meta_text(m, NT_REC_SYMBOL, &s, sizeof(s), symbols[i].n, NULL);
	}
	for (uint32_t i = 0; !err && i < 4; i++) {
		struct nt_rec_netns n = { .inode = 4026531840u + i * 17 };
		if (i == 0)
			snprintf(text, sizeof(text), "init");
		else
			snprintf(text, sizeof(text), "pod-%u", i);
		err = synth_meta_text(m, NT_REC_NETNS, &n, sizeof(n), text, NULL);
		for (uint32_t k = 1; !err && k <= 2; k++) {
			struct nt_rec_iface f = { .netns = n.inode, .ifindex = k };
			err = synth_meta_text(m, NT_REC_IFACE, &f, sizeof(f), k == 1 ? "lo" : "eth0", NULL);
		}
	}
	for (uint32_t i = 0; !err && i < nproc; i++) {
		struct nt_rec_process p = { .pid = 1000 + i, .ppid = 1, .cgroup = 5000 + i % 16,
					    .start_ns = 1000000000ull };
		struct { struct nt_rec_cgroup c; char s[200]; } cg;
		const char *comm = comms[i % (sizeof(comms) / sizeof(comms[0]))];
		int pl, cl;
		snprintf(p.comm, sizeof(p.comm), "%s", comm);
		snprintf(text, sizeof(text), "/usr/bin/%s --worker %u", comm, i);
		err = synth_meta_text(m, NT_REC_PROCESS, &p, sizeof(p), text, NULL);
		if (err || i >= 16)
			continue;
		memset(&cg, 0, sizeof(cg));
		cg.c.id = 5000 + i;
		pl = snprintf(cg.s, 120, "/kubepods.slice/pod%u/cri-containerd-%08x%u.scope", i,
			      (unsigned)(i * 2654435761u), i);
		cl = snprintf(cg.s + pl, 80, "%08x%u", (unsigned)(i * 2654435761u), i);
		cg.c.path_len = (uint16_t)pl;
		cg.c.container_len = (uint16_t)cl;
		err = tape_meta__add(m, NT_REC_CGROUP, &cg, (uint32_t)(sizeof(cg.c) + pl + cl));
	}
	if (!err)
		err = tape_meta__add(m, NT_REC_CONFIG, "snaplen=128", 11);
	if (!err)
		err = tape_meta__add(m, NT_REC_CONFIG, "sample_interval_ms=1000", 23);
	return err;
}

static void conn_init(struct gen *g, struct conn *c, uint32_t i)
{
	uint32_t proc = rndn(g, 64);
	memset(c, 0, sizeof(*c));
	c->c.cookie = g->next_cookie++;
	c->c.cgroup = 5000 + proc % 16;
	c->c.netns = 4026531840u + (i % 4) * 17;
	c->c.pid = 1000 + proc;
	c->c.proto = 6;
	if (i % 10 == 9) {
		c->c.family = 10;
		c->c.saddr[0] = 0xfd;
		c->c.saddr[15] = (uint8_t)i;
		c->c.daddr[0] = 0xfd;
		c->c.daddr[15] = 2;
	} else {
		c->c.family = 2;
		c->c.saddr[0] = 10;
		c->c.saddr[1] = 0;
		c->c.saddr[2] = (uint8_t)(i >> 8);
		c->c.saddr[3] = (uint8_t)i;
		c->c.daddr[0] = 198;
		c->c.daddr[1] = 18;
		c->c.daddr[3] = (uint8_t)(2 + i % 3);
	}
	c->c.sport = (uint16_t)(32768 + rndn(g, 28000));
	c->c.dport = i % 7 == 0 ? 5432 : 443;
	c->min_rtt_us = 100 + rndn(g, 900);
	c->srtt_us = c->min_rtt_us + rndn(g, 200);
	c->rcv_wnd = 65535u << 3;
	c->snd_wnd = 65535u << 3;
	c->cwnd = 10;
	c->ssthresh = 0x7fffffff;
	c->wscale_ok = i % 50 != 7;
}

static void conn_state(const struct conn *c, struct nt_ev_state *s, uint8_t old, uint8_t new)
{
	memset(s, 0, sizeof(*s));
	s->c = c->c;
	s->old_state = old;
	s->new_state = new;
	s->wscale_ok = c->wscale_ok;
	s->snd_wscale = c->wscale_ok ? 7 : 0;
	s->rcv_wscale = c->wscale_ok ? 7 : 0;
	s->sack_ok = 1;
	s->ts_ok = 1;
	s->flags = new == 1 ? NT_STATE_F_HANDSHAKE : (new == 7 ? NT_STATE_F_TOTALS : 0);
	s->mss = 1448;
	s->advmss = 1460;
	s->rcvbuf = 131072;
	s->sndbuf = 87040;
	s->srtt_us = c->srtt_us;
	s->total_retrans = c->retrans;
	s->snd_cwnd = c->cwnd;
	s->bytes_acked = c->acked;
	s->bytes_received = c->received;
}

static int sockets_cb(void *ctx, struct tape_writer *w)
{
	struct gen *g = ctx;
	for (uint32_t i = 0; i < g->nconns; i++) {
		struct nt_ev_state s;
		int err;
		conn_state(&g->conns[i], &s, 1, 1);
		err = tape_writer__append(w, NT_REC_SOCKET, g->boot, &s, sizeof(s));
		if (err)
			return err;
	}
	return 0;
}

static int add_text_rec(struct tape_writer *w, uint64_t ts, const struct nt_rec_pin *p,
			const char *desc)
{
	uint8_t buf[256];
	size_t n = strlen(desc);
	memcpy(buf, p, sizeof(*p));
	memcpy(buf + sizeof(*p), desc, n);
	return tape_writer__append(w, NT_REC_PIN, ts, buf, (uint32_t)(sizeof(*p) + n));
}

static int emit(struct gen *g, struct tape_writer *w, int kind, uint32_t nevents)
{
	struct conn *c;
	union {
		struct nt_ev_sample s;
		struct nt_ev_drop d;
		struct nt_ev_retrans r;
		struct nt_ev_cong cg;
		struct nt_ev_state st;
		struct nt_ev_reset rs;
		struct nt_ev_stall sl;
		struct nt_ev_buffer b;
		struct nt_ev_listen l;
		struct nt_rec_pin p;
		uint8_t raw[512];
	} u;
	uint32_t ci;

	memset(&u, 0, sizeof(u));
	if (kind == W_SAMPLE) {
		ci = g->sample_rr++ % g->nconns;
	} else {
		ci = rndn(g, g->nconns);
	}
	c = &g->conns[ci];
	switch (kind) {
	case W_SAMPLE: {
		uint32_t r = rndn(g, 100);
		c->acked += 1000 + rndn(g, 100000);
		c->received += rndn(g, 2000);
		if (r < 5)
			c->srtt_us = c->min_rtt_us + rndn(g, 5000);
		else if (r < 50)
			c->srtt_us = c->srtt_us - c->srtt_us / 8 + c->min_rtt_us / 8;
		if (r % 10 == 3)
			c->cwnd = 10 + rndn(g, 200);
		u.s.c = c->c;
		u.s.kind = r < 97 ? NT_SAMPLE_PERIODIC : (uint8_t)(1 + rndn(g, 6));
		u.s.state = 1;
		u.s.srtt_us = c->srtt_us;
		u.s.min_rtt_us = c->min_rtt_us;
		u.s.rcv_wnd = u.s.kind == NT_SAMPLE_RCV_ZERO_START ? 0 : c->rcv_wnd;
		u.s.snd_wnd = u.s.kind == NT_SAMPLE_SND_ZERO_START ? 0 : c->snd_wnd;
		u.s.snd_cwnd = c->cwnd;
		u.s.ssthresh = c->ssthresh;
		u.s.packets_out = c->cwnd / 2;
		u.s.rcv_queue = r < 90 ? 0 : rndn(g, 65536);
		u.s.snd_queue = rndn(g, 4) * 1448;
		u.s.bytes_acked = c->acked;
		u.s.bytes_received = c->received;
		return tape_writer__append(w, NT_REC_SAMPLE, g->boot, &u.s, sizeof(u.s));
	}
	case W_DROP: {
		uint32_t k = rndn(g, sizeof(drop_reasons) / sizeof(drop_reasons[0]));
		u.d.c = c->c;
		if (k == 1) {
			u.d.c.cookie = 0;
			u.d.c.pid = 0;
			u.d.c.flags = NT_CONN_F_PKT_ORDER;
		}
		u.d.location = symbols[rndn(g, 9)].a; /* two draws, in a defined order */
		u.d.location += rndn(g, 0x400);
		u.d.reason = drop_reasons[k].v;
		u.d.skb_len = 52 + rndn(g, 1448);
		u.d.seq = (uint32_t)rnd(g);
		u.d.ack_seq = (uint32_t)rnd(g);
		u.d.ifindex = 2;
		u.d.window = (uint16_t)rndn(g, 65535);
		u.d.tcp_flags = 0x10;
		u.d.sk_state = u.d.c.cookie ? 1 : 0;
		return tape_writer__append(w, NT_REC_DROP, g->boot, &u.d, sizeof(u.d));
	}
	case W_RETRANS:
		c->retrans++;
		u.r.c = c->c;
		u.r.seq = (uint32_t)rnd(g);
		u.r.srtt_us = c->srtt_us;
		u.r.rto_us = 200000 + c->srtt_us * 4;
		u.r.snd_wnd = c->snd_wnd;
		u.r.snd_cwnd = c->cwnd;
		u.r.total_retrans = c->retrans;
		u.r.state = 1;
		u.r.ca_state = rndn(g, 3) ? 3 : 4;
		u.r.kind = rndn(g, 20) ? NT_RETRANS_DATA : NT_RETRANS_SYN;
		u.r.backoff = u.r.ca_state == 4 ? (uint8_t)rndn(g, 4) : 0;
		return tape_writer__append(w, NT_REC_RETRANS, g->boot, &u.r, sizeof(u.r));
	case W_CONG:
		u.cg.c = c->c;
		u.cg.old_state = (uint8_t)rndn(g, 5);
		u.cg.new_state = (uint8_t)rndn(g, 5);
		u.cg.snd_cwnd = c->cwnd;
		u.cg.ssthresh = c->cwnd / 2 + 2;
		u.cg.srtt_us = c->srtt_us;
		u.cg.packets_out = c->cwnd;
		u.cg.retrans_out = rndn(g, 3);
		return tape_writer__append(w, NT_REC_CONG, g->boot, &u.cg, sizeof(u.cg));
	case W_STATE: {
		/* a connection closes and a new one takes its slot */
		int err;
		conn_state(c, &u.st, 1, 4);
		err = tape_writer__append(w, NT_REC_STATE, g->boot, &u.st, sizeof(u.st));
		conn_state(c, &u.st, 9, 7);
		if (!err)
			err = tape_writer__append(w, NT_REC_STATE, g->boot + 1000, &u.st,
						  sizeof(u.st));
		conn_init(g, c, ci);
		conn_state(c, &u.st, 2, 1);
		if (!err)
			err = tape_writer__append(w, NT_REC_STATE, g->boot + 2000, &u.st,
						  sizeof(u.st));
		return err;
	}
	case W_RESET:
		u.rs.c = c->c;
		u.rs.kind = (uint8_t)rndn(g, 2);
		u.rs.state = 1;
		u.rs.reason = u.rs.kind == NT_RESET_SENT ? rndn(g, 8) : 0;
		return tape_writer__append(w, NT_REC_RESET, g->boot, &u.rs, sizeof(u.rs));
	case W_STALL:
		u.sl.c = c->c;
		u.sl.kind = (uint8_t)rndn(g, 2);
		u.sl.state = 1;
		u.sl.bytes = rndn(g, 1 << 20);
		u.sl.wait_ns = 200000000ull + rndn(g, 2000000000u);
		return tape_writer__append(w, NT_REC_STALL, g->boot, &u.sl, sizeof(u.sl));
	case W_BUFFER:
		u.b.c = c->c;
		u.b.kind = (uint8_t)rndn(g, 2);
		u.b.state = 1;
		u.b.value = 131072 + rndn(g, 1 << 20);
		u.b.limit = 6291456;
		u.b.rcvbuf = 131072;
		u.b.sndbuf = 87040;
		return tape_writer__append(w, NT_REC_BUFFER, g->boot, &u.b, sizeof(u.b));
	case W_LISTEN:
		u.l.c = c->c;
		u.l.c.cookie = 1;
		u.l.c.sport = c->c.dport;
		u.l.c.dport = 0;
		u.l.backlog = rndn(g, 130);
		u.l.max_backlog = 128;
		u.l.overflows = u.l.backlog > 128 ? rndn(g, 10) : 0;
		return tape_writer__append(w, NT_REC_LISTEN, g->boot, &u.l, sizeof(u.l));
	case W_PACKET: {
		struct nt_rec_packet *p = (struct nt_rec_packet *)(void *)u.raw;
		uint32_t caplen = 54 + rndn(g, 74);
		p->cookie = c->c.cookie;
		p->netns = c->c.netns;
		p->ifindex = 2;
		p->orig_len = caplen + rndn(g, 1400);
		p->linktype = 1;
		p->dir = (uint8_t)(1 + rndn(g, 2));
		{
			/* Ethernet + IPv4 + TCP headers of the connection, then payload
			 * bytes (TLS records look random) */
			uint8_t *b = u.raw + sizeof(*p);
			static const uint8_t eth[14] = { 0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2,
							 0x08, 0x00 };
			uint32_t seq = (uint32_t)rnd(g);
			memcpy(b, eth, 14);
			memset(b + 14, 0, caplen - 14);
			b[14] = 0x45;
			b[16] = (uint8_t)((p->orig_len - 14) >> 8);
			b[17] = (uint8_t)(p->orig_len - 14);
			b[22] = 64;
			b[23] = 6;
			memcpy(b + 26, c->c.saddr, 4);
			memcpy(b + 30, c->c.daddr, 4);
			b[34] = (uint8_t)(c->c.sport >> 8);
			b[35] = (uint8_t)c->c.sport;
			b[36] = (uint8_t)(c->c.dport >> 8);
			b[37] = (uint8_t)c->c.dport;
			memcpy(b + 38, &seq, 4);
			b[46] = 0x80;
			b[47] = 0x18;
			b[48] = 0x01;
			for (uint32_t i = 66; i < caplen; i++)
				b[i] = (uint8_t)rnd(g);
		}
		return tape_writer__append(w, NT_REC_PACKET, g->boot, u.raw,
					   (uint32_t)sizeof(*p) + caplen);
	}
	case W_LOSS: {
		/* one draw after the other: the evaluation order of arguments is
		 * unspecified (gcc's tapes had other loss counts than clang's) */
		uint16_t cpu = (uint16_t)rndn(g, 4);
		uint64_t count = 1 + rndn(g, 100);
		return tape_writer__loss(w, NT_REC_SAMPLE, cpu, count, g->boot - 1000000, g->boot);
	}
	case W_PIN: {
		char desc[128];
		u.p.kind = (uint16_t)(1 + rndn(g, 5));
		u.p.cookie = c->c.cookie;
		u.p.pre_ns = 30000000000ull;
		u.p.post_ns = 30000000000ull;
		snprintf(desc, sizeof(desc), "%s on conn %" PRIu64 " (event %u)",
			 nt_trigger_kind_name(u.p.kind), c->c.cookie, nevents);
		return add_text_rec(w, g->boot, &u.p, desc);
	}
	}
	return 0;
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/* "realistic", "samples", or "sample=70,drop=5,...". */
static int parse_mix(const char *s, unsigned w[W_N])
{
	char buf[512], *tok, *save = NULL;
	memset(w, 0, sizeof(unsigned) * W_N);
	if (!strcmp(s, "realistic")) {
		/* per 100000 events */
		static const unsigned def[W_N] = { 72850, 6000, 8000, 4000, 2000, 2000, 1000,
						   1000, 1000, 2000, 148, 1 };
		memcpy(w, def, sizeof(def));
		return 0;
	}
	if (!strcmp(s, "samples")) {
		w[W_SAMPLE] = 1;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int k;
		if (!eq)
			return -1;
		*eq = 0;
		for (k = 0; k < W_N && strcmp(tok, wnames[k]); k++)
			;
		if (k == W_N)
			return -1;
		w[k] = (unsigned)strtoul(eq + 1, NULL, 10);
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nettape-mktape -o DIR [OPTIONS]\n\n"
		"Writes a synthetic but realistic nettape tape (test helper).\n\n"
		"Options:\n"
		"  -o, --output DIR      tape directory to create\n"
		"  -n, --events N        number of events (default 100000)\n"
		"  -c, --conns N         connections (default 2000)\n"
		"  -m, --mix MIX         realistic (default), samples, or a weight list\n"
		"                        like sample=70,drop=5,retrans=10,state=2,pin=1\n"
		"                        (sample drop retrans cong state reset stall buffer\n"
		"                         listen packet loss pin)\n"
		"      --rate N          events per second of recorded time (default 20000;\n"
		"                        with --mix samples: conns per second)\n"
		"  -s, --chunk-size SIZE rotate chunks after SIZE bytes (K/M/G; default 64M)\n"
		"      --chunk-time SEC  rotate chunks after SEC seconds of recorded time\n"
		"      --frame-size SIZE uncompressed bytes per frame (default 256K)\n"
		"      --level N         zstd level (default 3)\n"
		"      --codec NAME      DATA frame codec: delta (default, format 1.1) or plain (1.0)\n"
		"      --seed N          random seed (default 1)\n"
		"      --start SEC       wall-clock start, seconds since the epoch (default 1750000000)\n"
		"      --host NAME       host name in the header (default mkhost)\n"
		"      --first-seq N     first chunk sequence (default 1)\n"
		"      --crash           leave the last chunk .partial, as after kill -9\n"
		"  -q, --quiet           no summary line\n"
		"  -h, --help            this help\n\n"
		"Examples:\n"
		"  nettape-mktape -o /tmp/t --events 10000000 --conns 3000\n"
		"  nettape-mktape -o /tmp/s --mix samples --conns 3000 --events 3000000\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "events", required_argument, NULL, 'n' },
		{ "conns", required_argument, NULL, 'c' },
		{ "mix", required_argument, NULL, 'm' },
		{ "rate", required_argument, NULL, 'r' },
		{ "chunk-size", required_argument, NULL, 's' },
		{ "chunk-time", required_argument, NULL, 'T' },
		{ "frame-size", required_argument, NULL, 'F' },
		{ "level", required_argument, NULL, 'L' },
		{ "codec", required_argument, NULL, 'C' },
		{ "seed", required_argument, NULL, 'S' },
		{ "start", required_argument, NULL, 'B' },
		{ "host", required_argument, NULL, 'H' },
		{ "first-seq", required_argument, NULL, 'Q' },
		{ "crash", no_argument, NULL, 'K' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct gen g = { .seed = 1, .next_cookie = 0x1000 };
	struct tape_writer_opts o = { 0 };
	struct tape_writer_stats st;
	struct tape_writer *w = NULL;
	uint64_t events = 100000, conns = 2000, rate = 20000, chunk_size = 0, chunk_time = 0;
	uint64_t frame_size = 0, level = 3, seed = 1, start = 1750000000, first_seq = 1, v;
	unsigned weights[W_N], total = 0;
	const char *out = NULL, *host = "mkhost";
	int crash = 0, quiet = 0, c, err = 0, samples_only, codec = TAPE_CODEC_DEFAULT;
	char cmdline[1024];
	uint8_t rid[16];
	size_t cl = 0;

	parse_mix("realistic", weights);
	while ((c = getopt_long(argc, argv, "o:n:c:m:s:qh", lopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'm':
			if (parse_mix(optarg, weights)) {
				fprintf(stderr, "nettape-mktape: bad --mix '%s'\n", optarg);
				return 2;
			}
			break;
		case 'H': host = optarg; break;
		case 'C':
			if (!strcmp(optarg, "delta")) {
				codec = TAPE_CODEC_DELTA;
			} else if (!strcmp(optarg, "plain")) {
				codec = TAPE_CODEC_PLAIN;
			} else {
				fprintf(stderr, "nettape-mktape: bad --codec '%s'\n", optarg);
				return 2;
			}
			break;
		case 'K': crash = 1; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		case 'n': case 'c': case 'r': case 's': case 'T': case 'F': case 'L': case 'S':
		case 'B': case 'Q':
			if (parse_size(optarg, &v)) {
				fprintf(stderr, "nettape-mktape: bad number '%s'\n", optarg);
				return 2;
			}
			switch (c) {
			case 'n': events = v; break;
			case 'c': conns = v; break;
			case 'r': rate = v; break;
			case 's': chunk_size = v; break;
			case 'T': chunk_time = v * 1000000000ull; break;
			case 'F': frame_size = v; break;
			case 'L': level = v; break;
			case 'S': seed = v; break;
			case 'B': start = v; break;
			case 'Q': first_seq = v; break;
			}
			break;
		default: usage(stderr); return 2;
		}
	}
	if (!out || optind != argc || !conns || conns > 10000000 || !rate || level > 22 ||
	    frame_size > (64u << 20)) {
		usage(stderr);
		return 2;
	}
	for (int k = 0; k < W_N; k++)
		total += weights[k];
	if (!total) {
		fprintf(stderr, "nettape-mktape: empty --mix\n");
		return 2;
	}
	samples_only = weights[W_SAMPLE] == total;
	for (int i = 0; i < argc && cl < sizeof(cmdline) - 1; i++)
		cl += (size_t)snprintf(cmdline + cl, sizeof(cmdline) - cl, "%s%s", i ? " " : "",
				       argv[i]);

	g.seed = seed * 0x9e3779b97f4a7c15ull + 1;
	g.boot = 3600ull * 1000000000ull; /* the host booted an hour before */
	g.real_off = start * 1000000000ull - g.boot;
	g.nconns = (uint32_t)conns;
	g.conns = calloc(conns, sizeof(*g.conns));
	g.meta = tape_meta__new();
	if (!g.conns || !g.meta) {
		fprintf(stderr, "nettape-mktape: out of memory\n");
		err = 1;
		goto cleanup;
	}
	for (uint32_t i = 0; i < g.nconns; i++)
		conn_init(&g, &g.conns[i], i);
	if (build_meta(&g, 64)) {
		fprintf(stderr, "nettape-mktape: metadata: out of memory\n");
		err = 1;
		goto cleanup;
	}

	o.dir = out;
	o.chunk_size = chunk_size;
	o.chunk_time_ns = chunk_time;
	o.frame_size = (uint32_t)frame_size;
	o.zstd_level = (int)level;
	o.codec = codec;
	o.hostname = host;
	o.boot_id = "3f1c9a52-7d0e-4b8a-9c61-2e5f8a7b0d14";
	o.kernel = "6.18.0-nettape";
	o.version = "nettape-mktape " NETTAPE_VERSION;
	o.cmdline = cmdline;
	o.snaplen = 128;
	o.first_seq = first_seq;
	o.meta = g.meta;
	/* the recording id follows the seed: the same options make the same tape */
	for (int k = 0; k < 16; k++)
		rid[k] = (uint8_t)(rnd(&g) >> 56);
	o.recording_id = rid;
	o.chunk_start_cb = sockets_cb;
	o.now_ns = clk_boot;
	o.realtime_ns = clk_real;
	o.cb_ctx = &g;
	w = tape_writer__open(&o);
	if (!w) {
		fprintf(stderr, "nettape-mktape: %s: %s\n", out, strerror(errno));
		err = 1;
		goto cleanup;
	}
	for (uint64_t i = 0; i < events; i++) {
		unsigned pick = rndn(&g, total), k = 0;
		int rc;
		while (pick >= weights[k])
			pick -= weights[k++];
		if (samples_only)
			g.boot += 1000000000ull / rate; /* rate = conns sampled per second */
		else
			g.boot += 1 + rnd(&g) % (2000000000ull / rate);
		rc = emit(&g, w, (int)k, (uint32_t)i);
		if (rc) {
			fprintf(stderr, "nettape-mktape: append: %s\n", tape_strerror(rc));
			err = 1;
			goto cleanup;
		}
		if ((i & 1023) == 0 && (rc = tape_writer__poll(w))) {
			fprintf(stderr, "nettape-mktape: poll: %s\n", tape_strerror(rc));
			err = 1;
			goto cleanup;
		}
	}
	tape_writer__stats(w, &st);
	if (crash) {
		/* as after kill -9: frames written so far are on disk, nothing else */
		tape_writer__flush(w);
		tape_writer__stats(w, &st);
		if (!quiet)
			printf("nettape-mktape: %" PRIu64 " events, %" PRIu64 " chunks (last one "
			       "left partial), %" PRIu64 " bytes in %s\n",
			       events, st.chunks, st.disk_bytes, out);
		fflush(stdout);
		_exit(0);
	}
	c = tape_writer__close(w);
	w = NULL;
	if (c) {
		fprintf(stderr, "nettape-mktape: close: %s\n", tape_strerror(c));
		err = 1;
		goto cleanup;
	}
	if (!quiet)
		printf("nettape-mktape: %" PRIu64 " events, %" PRIu64 " chunks, %" PRIu64
		       " bytes in %s\n",
		       events, st.chunks, st.disk_bytes, out);
cleanup:
	tape_writer__close(w);
	tape_meta__free(g.meta);
	free(g.conns);
	return err;
}
