/* snippet.c: packet capture (tcpdump filters compiled by libpcap) into a bounded pre-trigger ring, the kernel's TPACKET_V3 blocks when live; writes a connection's packets around trigger fires as NT_REC_PACKET records. */
#include "snippet.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "packet.h"
#include "records.h"

#define SEC UINT64_C(1000000000)
#define MAX_WINDOWS 64
#define MAX_LOCAL 64
#define WINDOW_GRACE_NS SEC    /* packets reach us a little after their timestamp */

/* A packet in the ring; caplen bytes follow, the entry padded to 8. */
struct ent {
	uint64_t ts;        /* boottime ns */
	uint32_t size;      /* whole entry in bytes; 0 in a wrap marker */
	uint32_t caplen;
	uint32_t orig_len;
	uint32_t ifindex;
	uint8_t  dir;
	uint8_t  written;
	uint8_t  family;    /* 2 / 10 */
	uint8_t  pad;
	uint16_t sport, dport;
	uint8_t  saddr[16];
	uint8_t  daddr[16];
};

struct window {
	struct nt_conn c;   /* match (wildcards: zero address/port; family 0 = all) */
	uint64_t cookie;
	uint64_t from, until;
	uint32_t count;
	uint32_t capped;
};

struct local_addr {
	uint8_t family;
	uint8_t addr[16];
};

struct snippet {
	struct snippet_opts o;
	pcap_t *p;
	int offline;
	int linktype;        /* LINKTYPE_* */
	uint32_t ifindex;    /* single-interface capture; 0 = from SLL2 / unknown */
	/* ring */
	unsigned char *buf;
	unsigned char *rec;  /* one NT_REC_PACKET payload being written */
	uint64_t cap, head, tail, n, used;
	/* clock pair: boottime = realtime - off */
	uint64_t off;
	uint64_t pair_at;    /* boottime of the last refresh */
	struct window win[MAX_WINDOWS];
	size_t nwin;
	struct local_addr local[MAX_LOCAL];
	size_t nlocal;
	uint64_t now;        /* latest boottime seen (poll or offline packet) */
	struct snippet_stats st;
	/* Kernel ring (live capture; kfd -1 = libpcap's capture and the ring above) */
	int kfd;
	int ksock;           /* SOCK_DGRAM (cooked: header built here) or SOCK_RAW */
	unsigned char *kmap;
	size_t kmap_len;
	uint32_t blk_size, nblk, reserve, tov_ms;
	uint32_t knext;      /* next block the kernel hands over */
	uint32_t kfirst;     /* oldest held block */
	uint32_t nheld;      /* held blocks: kfirst .. knext - 1 */
	uint64_t kheld_pkts;
	uint32_t kblocks_sec, kblocks_per_s;
	uint64_t krate_at;
	unsigned char *pkt;  /* one packet with its link header, snaplen bytes */
};

static void say(struct snippet *s, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(struct snippet *s, int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!s->o.log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s->o.log(s->o.ctx, level, buf);
}

/* ------------------------------------------------------------------ */
/* Clocks                                                             */

static uint64_t ts_ns(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (uint64_t)t.tv_sec * SEC + (uint64_t)t.tv_nsec;
}

/* Boottime read on both sides of realtime: the pair's error is at most half
 * the spread. */
static void sys_pair(uint64_t *boot, uint64_t *real, uint64_t *spread)
{
	uint64_t b1 = ts_ns(CLOCK_BOOTTIME);
	uint64_t r = ts_ns(CLOCK_REALTIME);
	uint64_t b2 = ts_ns(CLOCK_BOOTTIME);

	*boot = b1 + (b2 - b1) / 2;
	*real = r;
	*spread = b2 - b1;
}

static void refresh_pair(struct snippet *s)
{
	uint64_t boot, real, spread = 0;

	if (s->o.clock_pair)
		s->o.clock_pair(s->o.ctx, &boot, &real);
	else
		sys_pair(&boot, &real, &spread);
	s->off = real - boot;
	s->pair_at = boot;
	s->st.clock_spread_ns = spread;
	if (spread > s->st.clock_spread_max_ns)
		s->st.clock_spread_max_ns = spread;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void snippet_clock_spread(unsigned rounds, uint64_t *min, uint64_t *median, uint64_t *max)
{
	uint64_t *v = calloc(rounds ? rounds : 1, sizeof(*v));
	uint64_t boot, real;
	unsigned i;

	*min = *median = *max = 0;
	if (!v || !rounds) {
		free(v);
		return;
	}
	for (i = 0; i < rounds; i++)
		sys_pair(&boot, &real, &v[i]);
	qsort(v, rounds, sizeof(*v), cmp_u64);
	*min = v[0];
	*median = v[rounds / 2];
	*max = v[rounds - 1];
	free(v);
}

static int is_local(const struct snippet *s, uint8_t family, const uint8_t *addr)
{
	size_t i;

	for (i = 0; i < s->nlocal; i++)
		if (s->local[i].family == family &&
		    !memcmp(s->local[i].addr, addr, family == 10 ? 16 : 4))
			return 1;
	return 0;
}

static void load_local_addrs(struct snippet *s)
{
	struct ifaddrs *ifa, *i;

	s->nlocal = 0;
	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i && s->nlocal < MAX_LOCAL; i = i->ifa_next) {
		struct local_addr *l = &s->local[s->nlocal];

		if (!i->ifa_addr)
			continue;
		memset(l, 0, sizeof(*l));
		if (i->ifa_addr->sa_family == AF_INET) {
			l->family = 2;
			memcpy(l->addr, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			l->family = 10;
			memcpy(l->addr, &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		s->nlocal++;
	}
	freeifaddrs(ifa);
}

/* ------------------------------------------------------------------ */
/* Matching                                                           */

static const uint8_t zero16[16];

/* An nt_conn address as (family, 16 bytes): v4-mapped IPv6 becomes IPv4. */
static uint8_t norm_addr(uint8_t family, const uint8_t *in, uint8_t *out)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(out, 0, 16);
	if (family == 10 && !memcmp(in, mapped, 12)) {
		memcpy(out, in + 12, 4);
		return 2;
	}
	memcpy(out, in, family == 10 ? 16 : 4);
	return family;
}

static int ep_match(const uint8_t *want, uint16_t wport, const uint8_t *addr, uint16_t port)
{
	return (!memcmp(want, zero16, 16) || !memcmp(want, addr, 16)) && (!wport || wport == port);
}

static int conn_match(const struct nt_conn *c, const struct ent *e)
{
	uint8_t sa[16], da[16], fam;

	if (c->family != 2 && c->family != 10)
		return 1;     /* every connection */
	fam = norm_addr(c->family, c->saddr, sa);
	norm_addr(c->family, c->daddr, da);
	if (!memcmp(sa, zero16, 16) && !memcmp(da, zero16, 16))
		fam = e->family;  /* ports only */
	if (fam != e->family)
		return 0;
	return (ep_match(sa, c->sport, e->saddr, e->sport) &&
		ep_match(da, c->dport, e->daddr, e->dport)) ||
	       (ep_match(sa, c->sport, e->daddr, e->dport) &&
		ep_match(da, c->dport, e->saddr, e->sport));
}

/* ------------------------------------------------------------------ */
/* Ring                                                               */

static uint32_t ent_size(uint32_t caplen)
{
	return (uint32_t)((sizeof(struct ent) + caplen + 7) & ~(size_t)7);
}

static struct ent *ent_at(struct snippet *s, uint64_t off)
{
	return (struct ent *)(void *)(s->buf + off);
}

/* Offset of the entry after the one at off (wraps at the marker / end). */
static uint64_t ent_next(struct snippet *s, uint64_t off)
{
	off += ent_at(s, off)->size;
	if (off + sizeof(struct ent) > s->cap || ent_at(s, off)->size == 0)
		off = 0;
	return off;
}

static void evict(struct snippet *s)
{
	struct ent *e = ent_at(s, s->head);

	s->used -= e->size;
	s->n--;
	s->st.evicted++;
	s->head = s->n ? ent_next(s, s->head) : s->tail;
}

/* Room for need bytes at tail (evicting the oldest); returns the entry. */
static struct ent *ring_reserve(struct snippet *s, uint32_t need)
{
	struct ent *e;

	if (s->tail + need > s->cap) {
		/* Wrap: the end region dies; entries still there go first. */
		while (s->n && s->head >= s->tail)
			evict(s);
		if (s->tail + sizeof(struct ent) <= s->cap)
			ent_at(s, s->tail)->size = 0;
		s->tail = 0;
		if (!s->n)
			s->head = 0;
	}
	while (s->n && s->head >= s->tail && s->head < s->tail + need)
		evict(s);
	if (!s->n)
		s->head = s->tail;
	e = ent_at(s, s->tail);
	s->tail += need;
	s->used += need;
	s->n++;
	if (s->used > s->st.ring_peak)
		s->st.ring_peak = s->used;
	return e;
}

/* ------------------------------------------------------------------ */
/* Output                                                             */

static void write_ent(struct snippet *s, struct ent *e, const unsigned char *data, uint64_t cookie)
{
	unsigned char *rec = s->rec;
	struct nt_rec_packet h;
	int err;

	memset(&h, 0, sizeof(h));
	h.cookie = cookie;
	h.netns = s->o.netns_inode;
	h.ifindex = e->ifindex;
	h.orig_len = e->orig_len;
	h.linktype = (uint16_t)s->linktype;
	h.dir = e->dir;
	memcpy(rec, &h, sizeof(h));
	memcpy(rec + sizeof(h), data, e->caplen);
	err = s->o.append(s->o.ctx, NT_REC_PACKET, e->ts, rec, (uint32_t)(sizeof(h) + e->caplen));
	e->written = 1;
	if (err)
		s->st.write_errors++;
	else
		s->st.written++;
}

/* Writes e (its bytes at data) if an open window wants it. */
static void window_offer(struct snippet *s, struct ent *e, const unsigned char *data)
{
	size_t i;

	for (i = 0; i < s->nwin && !e->written; i++) {
		struct window *w = &s->win[i];

		if (e->ts < w->from || e->ts > w->until || !conn_match(&w->c, e))
			continue;
		if (w->count >= s->o.max_window_packets) {
			w->capped++;
			s->st.window_capped++;
			continue;
		}
		w->count++;
		write_ent(s, e, data, w->cookie);
	}
}

static void expire_windows(struct snippet *s, uint64_t now)
{
	size_t i = 0;

	while (i < s->nwin) {
		struct window *w = &s->win[i];

		if (now > w->until + WINDOW_GRACE_NS) {
			say(s, LOG_LVL_DEBUG, "snippets: window closed, %u packet(s) written%s", w->count,
			    w->capped ? " (capped)" : "");
			s->win[i] = s->win[--s->nwin];
			continue;
		}
		i++;
	}
}

/* Fills e (everything but size and written) from one captured packet.
 * Returns -1 (counted as unparsed) when it is not a TCP packet. */
static int fill_ent(struct snippet *s, struct ent *e, uint64_t real, const unsigned char *bytes,
		    uint32_t caplen, uint32_t len, uint8_t dir_hint)
{
	struct nt_packet pp;

	/* A TCP segment with its ports captured; the first fragment has them too. */
	(void)nt_packet_parse(s->linktype, bytes, caplen, len, &pp);
	if (pp.proto != 6 || !pp.has_ports || pp.frag == NT_PKT_FRAG_LATER) {
		s->st.unparsed++;
		return -1;
	}
	memset(e, 0, sizeof(*e));
	e->ts = real > s->off ? real - s->off : 0;
	e->caplen = caplen;
	e->orig_len = len;
	e->ifindex = pp.ifindex ? pp.ifindex : s->ifindex;
	e->dir = pp.dir != NT_PKT_DIR_UNKNOWN ? pp.dir : dir_hint;
	if (e->dir == NT_PKT_DIR_UNKNOWN) {
		int src = is_local(s, pp.family, pp.saddr), dst = is_local(s, pp.family, pp.daddr);

		if (src != dst)
			e->dir = src ? NT_PKT_DIR_OUT : NT_PKT_DIR_IN;
	}
	e->family = pp.family;
	e->sport = pp.sport;
	e->dport = pp.dport;
	memcpy(e->saddr, pp.saddr, 16);
	memcpy(e->daddr, pp.daddr, 16);
	return 0;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *ph, const u_char *bytes)
{
	struct snippet *s = (struct snippet *)(void *)user;
	uint64_t real = (uint64_t)ph->ts.tv_sec * SEC + (uint64_t)ph->ts.tv_usec; /* nano precision */
	struct ent tmp, *e;
	uint32_t caplen = ph->caplen;

	s->st.packets++;
	if (caplen > s->o.snaplen)
		caplen = s->o.snaplen;
	if (fill_ent(s, &tmp, real, bytes, caplen, ph->len, NT_PKT_DIR_UNKNOWN))
		return;
	tmp.size = ent_size(caplen);
	e = ring_reserve(s, tmp.size);
	*e = tmp;
	memcpy(e + 1, bytes, caplen);
	if (s->offline && e->ts > s->now)
		s->now = e->ts;
	if (s->nwin)
		window_offer(s, e, (const unsigned char *)(e + 1));
}

/* ------------------------------------------------------------------ */
/* Kernel ring (live capture, TPACKET_V3)                             */
/*
 * The pre-trigger ring of a live capture is the packet socket's own
 * TPACKET_V3 ring: the kernel copies the first snaplen bytes of each
 * packet that passes the filter into the current block and hands the block
 * to us when it is full or older than tov. We do nothing per packet: we hold
 * the blocks the kernel gave us, oldest first, and give the oldest back
 * whenever fewer than `reserve` blocks are free for the kernel to fill.
 * Packets are parsed only when a trigger fires (the held blocks) or while a
 * window is open (each block once, when the kernel hands it over).
 *
 * The socket is a copy of the one libpcap opened for the same device (type,
 * binding) and carries the classic BPF program libpcap attached to it (read
 * back with SO_GET_FILTER): libpcap compiles the tcpdump expression and
 * adapts it to the socket, as it would for its own capture.
 *
 * No wakeup per block either: holding blocks makes the socket permanently
 * readable for poll(), so the caller polls on a timer instead
 * (snippet__timeout_ms: short enough that the kernel cannot fill the reserve
 * before the next look, at the block rate seen in the last second).
 */

#define KBLK_MAX (64u << 10)    /* block size for rings of 2 MiB and more */
#define KBLK_MIN_N 32u          /* at least this many blocks */
#define KRING_MAX (1ULL << 30)  /* kernel memory: larger --pcap-buffer uses the libpcap path */

static struct tpacket_block_desc *kblk(struct snippet *s, uint32_t i)
{
	return (struct tpacket_block_desc *)(void *)(s->kmap + (size_t)i * s->blk_size);
}

static uint32_t kblk_status(struct tpacket_block_desc *b)
{
	return __atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
}

static struct tpacket3_hdr *kpkt_first(struct tpacket_block_desc *b)
{
	return (struct tpacket3_hdr *)(void *)((unsigned char *)b + b->hdr.bh1.offset_to_first_pkt);
}

static struct tpacket3_hdr *kpkt_next(struct tpacket3_hdr *h)
{
	return (struct tpacket3_hdr *)(void *)((unsigned char *)h + h->tp_next_offset);
}

static uint64_t kpkt_ts(const struct snippet *s, const struct tpacket3_hdr *h)
{
	uint64_t real = (uint64_t)h->tp_sec * SEC + h->tp_nsec;

	return real > s->off ? real - s->off : 0;
}

/* Direction from a packet socket's sll_pkttype (the kernel's PACKET_*). */
static uint8_t sll_dir(uint8_t pkttype)
{
	switch (pkttype) {
	case PACKET_HOST:
	case PACKET_BROADCAST:
	case PACKET_MULTICAST:
		return NT_PKT_DIR_IN;
	case PACKET_OUTGOING:
		return NT_PKT_DIR_OUT;
	default:
		return NT_PKT_DIR_UNKNOWN;
	}
}

/* The packet as libpcap would hand it out (cooked sockets: with the SLL or
 * SLL2 header built from the sockaddr_ll) into s->pkt, then parsed into e.
 * Returns the bytes (s->pkt) or NULL when it is not a TCP packet. */
static const unsigned char *kpkt_ent(struct snippet *s, struct tpacket3_hdr *h, struct ent *e)
{
	const struct sockaddr_ll *sll =
		(const void *)((unsigned char *)h + TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
	unsigned char *p = s->pkt;
	const unsigned char *d;
	uint32_t hl = 0, cap, ifx;
	uint16_t v;

	if (s->ksock == SOCK_DGRAM) {
		d = (unsigned char *)h + h->tp_net;
		if (s->linktype == NT_LINKTYPE_LINUX_SLL2) {
			hl = 20;
			memcpy(p, &sll->sll_protocol, 2);
			p[2] = p[3] = 0;
			ifx = htonl((uint32_t)sll->sll_ifindex);
			memcpy(p + 4, &ifx, 4);
			v = htons(sll->sll_hatype);
			memcpy(p + 8, &v, 2);
			p[10] = sll->sll_pkttype;
			p[11] = sll->sll_halen;
			memcpy(p + 12, sll->sll_addr, 8);
		} else {
			hl = 16;
			v = htons(sll->sll_pkttype);
			memcpy(p, &v, 2);
			v = htons(sll->sll_hatype);
			memcpy(p + 2, &v, 2);
			v = htons(sll->sll_halen);
			memcpy(p + 4, &v, 2);
			memcpy(p + 6, sll->sll_addr, 8);
			memcpy(p + 14, &sll->sll_protocol, 2);
		}
	} else {
		d = (unsigned char *)h + h->tp_mac;
	}
	cap = hl + h->tp_snaplen;
	if (cap > s->o.snaplen)
		cap = s->o.snaplen;
	memcpy(p + hl, d, cap - hl);
	if (fill_ent(s, e, (uint64_t)h->tp_sec * SEC + h->tp_nsec, p, cap, h->tp_len + hl,
		     sll_dir(sll->sll_pkttype)))
		return NULL;
	e->written = h->tp_padding[0]; /* our mark: the kernel zeroes it */
	e->size = ent_size(cap);
	if (!e->ifindex)
		e->ifindex = (uint32_t)sll->sll_ifindex;
	return p;
}

/* Offers every packet of block i to the open windows. */
static void kblk_offer(struct snippet *s, uint32_t i)
{
	struct tpacket_block_desc *b = kblk(s, i);
	struct tpacket3_hdr *h = kpkt_first(b);
	uint32_t n;

	for (n = 0; n < b->hdr.bh1.num_pkts; n++, h = kpkt_next(h)) {
		const unsigned char *data;
		struct ent e;

		if (h->tp_padding[0])
			continue;
		data = kpkt_ent(s, h, &e);
		if (!data)
			continue;
		window_offer(s, &e, data);
		if (e.written)
			h->tp_padding[0] = 1;
	}
}

/* Gives the oldest held block back to the kernel. */
static void kblk_release(struct snippet *s)
{
	struct tpacket_block_desc *b = kblk(s, s->kfirst);
	uint32_t n = b->hdr.bh1.num_pkts;

	s->st.evicted += n;
	s->kheld_pkts -= n;
	__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	s->kfirst = (s->kfirst + 1) % s->nblk;
	s->nheld--;
}

/* Takes the blocks the kernel has handed over since the last call. */
static void kring_take(struct snippet *s, uint64_t now)
{
	while (s->nheld < s->nblk) {
		struct tpacket_block_desc *b = kblk(s, s->knext);

		if (!(kblk_status(b) & TP_STATUS_USER))
			break;
		s->st.packets += b->hdr.bh1.num_pkts;
		s->kheld_pkts += b->hdr.bh1.num_pkts;
		if (s->nwin)
			kblk_offer(s, s->knext);
		s->knext = (s->knext + 1) % s->nblk;
		s->nheld++;
		s->kblocks_sec++;
		if ((uint64_t)s->nheld * s->blk_size > s->st.ring_peak)
			s->st.ring_peak = (uint64_t)s->nheld * s->blk_size;
		while (s->nheld > s->nblk - s->reserve)
			kblk_release(s);
	}
	if (now >= s->krate_at + SEC) {
		s->kblocks_per_s = s->kblocks_sec;
		s->kblocks_sec = 0;
		s->krate_at = now;
	}
}

/* Writes the held packets that w wants (a fire). */
static void kring_fire(struct snippet *s, struct window *w)
{
	uint32_t k, i, n;

	for (k = 0, i = s->kfirst; k < s->nheld; k++, i = (i + 1) % s->nblk) {
		struct tpacket_block_desc *b = kblk(s, i);
		struct tpacket3_hdr *h = kpkt_first(b);

		for (n = 0; n < b->hdr.bh1.num_pkts; n++, h = kpkt_next(h)) {
			const unsigned char *data;
			uint64_t ts = kpkt_ts(s, h);
			struct ent e;

			if (h->tp_padding[0] || ts < w->from || ts > w->until)
				continue;
			data = kpkt_ent(s, h, &e);
			if (!data || !conn_match(&w->c, &e))
				continue;
			if (w->count >= s->o.max_window_packets) {
				w->capped++;
				s->st.window_capped++;
				continue;
			}
			w->count++;
			write_ent(s, &e, data, w->cookie);
			h->tp_padding[0] = 1;
		}
	}
}

/* Opens the kernel ring on a socket like libpcap's (pfd), with its filter.
 * Returns 0, or a negative errno with why in err (the caller then keeps
 * libpcap's own capture). */
static int kring_open(struct snippet *s, int pfd, char *err, size_t errlen)
{
	struct sockaddr_ll sll;
	socklen_t sl = sizeof(sll);
	struct sock_filter *ins = NULL;
	struct sock_fprog prog;
	struct tpacket_req3 req;
	socklen_t n = 0;
	int type, ver = TPACKET_V3, fd = -1, e;
	uint64_t bytes;

	sl = sizeof(type);
	if (getsockopt(pfd, SOL_SOCKET, SO_TYPE, &type, &sl) ||
	    (type != SOCK_DGRAM && type != SOCK_RAW)) {
		snprintf(err, errlen, "libpcap's socket is not a packet socket");
		return -ENOTSUP;
	}
	if (type == SOCK_DGRAM && s->linktype != NT_LINKTYPE_LINUX_SLL && s->linktype != NT_LINKTYPE_LINUX_SLL2) {
		snprintf(err, errlen, "cooked capture with link type %d", s->linktype);
		return -ENOTSUP;
	}
	sl = sizeof(sll);
	memset(&sll, 0, sizeof(sll));
	if (getsockname(pfd, (struct sockaddr *)&sll, &sl) || sll.sll_family != AF_PACKET) {
		snprintf(err, errlen, "getsockname on libpcap's socket: %s", strerror(errno));
		return -ENOTSUP;
	}
	/* SO_GET_FILTER counts in instructions, not bytes. */
	if (getsockopt(pfd, SOL_SOCKET, SO_GET_FILTER, NULL, &n) || !n) {
		snprintf(err, errlen, "libpcap filters in user space (no kernel filter to copy)");
		return -ENOTSUP;
	}
	ins = calloc(n, sizeof(*ins));
	if (!ins) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (getsockopt(pfd, SOL_SOCKET, SO_GET_FILTER, ins, &n)) {
		e = -errno;
		snprintf(err, errlen, "SO_GET_FILTER: %s", strerror(errno));
		goto fail;
	}
	prog.len = (unsigned short)n;
	prog.filter = ins;

	bytes = s->o.ring_bytes;
	s->blk_size = KBLK_MAX;
	while (s->blk_size > 4096 && bytes / s->blk_size < KBLK_MIN_N)
		s->blk_size /= 2;
	s->nblk = (uint32_t)(bytes / s->blk_size);
	s->reserve = s->nblk / 4 > 2 ? s->nblk / 4 : 2;
	/* A block is handed over after tov ms even if not full: at low rates
	 * (a block per tov) the held blocks must still span --pcap-pre, so
	 * tov >= pre / held (up to 500 ms: windows wait WINDOW_GRACE_NS for
	 * late blocks). */
	s->tov_ms = (uint32_t)((s->o.pre_ns / 1000000 + s->nblk - s->reserve - 1) /
			       (s->nblk - s->reserve));
	if (s->tov_ms < 1)
		s->tov_ms = 1;
	if (s->tov_ms > 500)
		s->tov_ms = 500;

	/* Protocol 0 until bound: no packet enters before the filter is set. */
	fd = socket(AF_PACKET, type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = -errno;
		snprintf(err, errlen, "packet socket: %s", strerror(errno));
		goto fail;
	}
	memset(&req, 0, sizeof(req));
	req.tp_block_size = s->blk_size;
	req.tp_block_nr = s->nblk;
	req.tp_frame_size = 2048;
	req.tp_frame_nr = (s->blk_size / 2048) * s->nblk;
	req.tp_retire_blk_tov = s->tov_ms;
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &ver, sizeof(ver)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) ||
	    setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog))) {
		e = -errno;
		snprintf(err, errlen, "TPACKET_V3 ring of %u x %u bytes: %s", s->nblk, s->blk_size,
			 strerror(errno));
		goto fail;
	}
	s->kmap_len = (size_t)s->blk_size * s->nblk;
	s->kmap = mmap(NULL, s->kmap_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (s->kmap == MAP_FAILED) {
		s->kmap = NULL;
		e = -errno;
		snprintf(err, errlen, "mmap of the packet ring: %s", strerror(errno));
		goto fail;
	}
	sll.sll_protocol = htons(ETH_P_ALL);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		e = -errno;
		snprintf(err, errlen, "bind of the packet socket: %s", strerror(errno));
		goto fail;
	}
	s->pkt = malloc(s->o.snaplen);
	if (!s->pkt) {
		e = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	free(ins);
	s->kfd = fd;
	s->ksock = type;
	return 0;
fail:
	if (s->kmap)
		munmap(s->kmap, s->kmap_len);
	s->kmap = NULL;
	if (fd >= 0)
		close(fd);
	free(ins);
	return e;
}

static void kring_stats(struct snippet *s)
{
	struct tpacket_stats_v3 ks;
	socklen_t sl = sizeof(ks);

	/* Reading the counters resets them. */
	if (getsockopt(s->kfd, SOL_PACKET, PACKET_STATISTICS, &ks, &sl))
		return;
	s->st.pcap_recv += ks.tp_packets;
	s->st.pcap_drop += ks.tp_drops;
}

/* ------------------------------------------------------------------ */
/* Lifecycle                                                          */

static int setup(struct snippet *s, const struct snippet_opts *o, char *err, size_t errlen)
{
	s->kfd = -1;
	s->o = *o;
	s->o.iface = NULL;
	s->o.filter = NULL;
	s->o.netns = NULL;
	if (!s->o.append) {
		snprintf(err, errlen, "snippets: no output");
		return -EINVAL;
	}
	if (!s->o.snaplen)
		s->o.snaplen = 128;
	if (s->o.snaplen < 64 || s->o.snaplen > 65535) {
		snprintf(err, errlen, "snaplen %u out of range (64-65535)", s->o.snaplen);
		return -EINVAL;
	}
	if (!s->o.ring_bytes)
		s->o.ring_bytes = 16ULL << 20;
	if (s->o.ring_bytes < (64 << 10) || s->o.ring_bytes > (1ULL << 34)) {
		snprintf(err, errlen, "pcap buffer of %" PRIu64 " bytes out of range (64K-16G)",
			 s->o.ring_bytes);
		return -EINVAL;
	}
	if (!s->o.pcap_buffer)
		s->o.pcap_buffer = 4u << 20;
	if (!s->o.pre_ns)
		s->o.pre_ns = 10 * SEC;
	if (!s->o.post_ns)
		s->o.post_ns = 10 * SEC;
	if (!s->o.max_window_packets)
		s->o.max_window_packets = 100000;
	s->cap = s->o.ring_bytes & ~(uint64_t)7;
	s->st.ring_bytes = s->cap;
	/* calloc: pages are only touched as the ring fills. */
	s->buf = calloc(1, s->cap);
	s->rec = malloc(sizeof(struct nt_rec_packet) + s->o.snaplen);
	if (!s->buf || !s->rec) {
		snprintf(err, errlen, "out of memory for the pcap ring");
		return -ENOMEM;
	}
	return 0;
}

static int dlt_to_linktype(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
		return NT_LINKTYPE_ETHERNET;
	case DLT_LINUX_SLL:
		return NT_LINKTYPE_LINUX_SLL;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		return NT_LINKTYPE_LINUX_SLL2;
#endif
	case DLT_RAW:
	case 14: /* DLT_RAW on some BSDs */
	case NT_LINKTYPE_RAW:
		return NT_LINKTYPE_RAW;
	default:
		return -1;
	}
}

static int set_filter(struct snippet *s, const char *user, char *err, size_t errlen)
{
	struct bpf_program prog;
	char *expr;
	size_t n = (user ? strlen(user) : 0) + 16;

	expr = malloc(n);
	if (!expr) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (user && *user)
		snprintf(expr, n, "(%s) and tcp", user);
	else
		snprintf(expr, n, "tcp");
	if (pcap_compile(s->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		snprintf(err, errlen, "bad --pcap filter '%s': %s", user ? user : "",
			 pcap_geterr(s->p));
		free(expr);
		return -EINVAL;
	}
	free(expr);
	if (pcap_setfilter(s->p, &prog)) {
		snprintf(err, errlen, "cannot set the capture filter: %s", pcap_geterr(s->p));
		pcap_freecode(&prog);
		return -EINVAL;
	}
	pcap_freecode(&prog);
	return 0;
}

/* Enters netns (for the packet socket), returns the fd to go back with, or
 * -1 when no switch is needed; -2 with err set on failure. */
static int enter_netns(const char *name, uint32_t *inode, char *err, size_t errlen)
{
	char path[4096];
	struct stat st;
	int self, fd;

	if (!name) {
		if (!stat("/proc/self/ns/net", &st))
			*inode = (uint32_t)st.st_ino;
		return -1;
	}
	snprintf(path, sizeof(path), "%s%s", strchr(name, '/') ? "" : "/run/netns/", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "--pcap-netns: cannot open %s: %s", path, strerror(errno));
		return -2;
	}
	if (!fstat(fd, &st))
		*inode = (uint32_t)st.st_ino;
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || setns(fd, CLONE_NEWNET)) {
		snprintf(err, errlen, "--pcap-netns: cannot enter %s: %s (needs CAP_SYS_ADMIN)", path,
			 strerror(errno));
		if (self >= 0)
			close(self);
		close(fd);
		return -2;
	}
	close(fd);
	return self;
}

static void leave_netns(int self)
{
	if (self < 0)
		return;
	/* Going back to our own namespace cannot fail with the fd we hold. */
	if (setns(self, CLONE_NEWNET))
		abort();
	close(self);
}

struct snippet *snippet__open(const struct snippet_opts *o, char *err, size_t errlen)
{
	struct snippet *s = calloc(1, sizeof(*s));
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	const char *dev = o->iface && *o->iface ? o->iface : "any";
	uint32_t inode = 0;
	int e = -ENOMEM, self = -1, rc;

	err[0] = '\0';
	if (!s) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	e = setup(s, o, err, errlen);
	if (e)
		goto fail;
	self = enter_netns(o->netns, &inode, err, errlen);
	if (self == -2) {
		e = -EINVAL;
		goto fail;
	}
	if (!s->o.netns_inode)
		s->o.netns_inode = inode;
	s->p = pcap_create(dev, ebuf);
	if (!s->p) {
		snprintf(err, errlen, "pcap on %s: %s", dev, ebuf);
		e = -ENODEV;
		goto fail;
	}
	pcap_set_snaplen(s->p, (int)s->o.snaplen);
	pcap_set_promisc(s->p, 0);
	pcap_set_immediate_mode(s->p, 1);
	pcap_set_buffer_size(s->p, (int)s->o.pcap_buffer);
	pcap_set_tstamp_precision(s->p, PCAP_TSTAMP_PRECISION_NANO);
	rc = pcap_activate(s->p);
	if (rc < 0) {
		if (rc == PCAP_ERROR_PERM_DENIED)
			snprintf(err, errlen, "pcap on %s: permission denied (needs CAP_NET_RAW)", dev);
		else if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
			snprintf(err, errlen, "pcap: no interface '%s'%s", dev,
				 o->netns ? " in that network namespace" : "");
		else
			snprintf(err, errlen, "pcap on %s: %s", dev, pcap_geterr(s->p));
		e = rc == PCAP_ERROR_PERM_DENIED ? -EPERM : -ENODEV;
		goto fail;
	}
	if (pcap_get_tstamp_precision(s->p) != PCAP_TSTAMP_PRECISION_NANO) {
		snprintf(err, errlen, "pcap on %s: no nanosecond timestamps", dev);
		e = -ENOTSUP;
		goto fail;
	}
#ifdef DLT_LINUX_SLL2
	if (!strcmp(dev, "any"))
		pcap_set_datalink(s->p, DLT_LINUX_SLL2); /* ifindex per packet; SLL otherwise */
#endif
	s->linktype = dlt_to_linktype(pcap_datalink(s->p));
	if (s->linktype < 0) {
		snprintf(err, errlen, "pcap on %s: unsupported link type %s", dev,
			 pcap_datalink_val_to_name(pcap_datalink(s->p)));
		e = -ENOTSUP;
		goto fail;
	}
	if (strcmp(dev, "any"))
		s->ifindex = if_nametoindex(dev);
	load_local_addrs(s);
	e = set_filter(s, o->filter, err, errlen);
	if (e)
		goto fail;
	/* The kernel ring, on a socket of the capture's namespace. */
	if (!o->force_libpcap && s->o.ring_bytes <= KRING_MAX) {
		char why[256];
		int ke = kring_open(s, pcap_fileno(s->p), why, sizeof(why));

		if (!ke) {
			pcap_close(s->p);
			s->p = NULL;
			free(s->buf);
			s->buf = NULL;
			say(s, LOG_LVL_DEBUG, "snippets: kernel ring of %u blocks of %u bytes "
			    "(%u kept free, handed over after %u ms)", s->nblk, s->blk_size,
			    s->reserve, s->tov_ms);
		} else {
			say(s, LOG_LVL_INFO, "snippets: no kernel ring (%s), libpcap copies every "
			    "packet instead", why);
		}
	}
	leave_netns(self);
	self = -1;
	if (s->kfd >= 0)
		goto done;
	if (pcap_setnonblock(s->p, 1, ebuf)) {
		snprintf(err, errlen, "pcap: %s", ebuf);
		e = -EIO;
		goto fail;
	}
	if (pcap_get_selectable_fd(s->p) < 0) {
		snprintf(err, errlen, "pcap on %s: no selectable descriptor", dev);
		e = -ENOTSUP;
		goto fail;
	}
done:
	refresh_pair(s);
	s->now = s->pair_at;
	s->krate_at = s->pair_at;
	s->st.linktype = s->linktype;
	return s;
fail:
	leave_netns(self);
	snippet__free(s);
	errno = -e;
	return NULL;
}

struct snippet *snippet__open_offline(const struct snippet_opts *o, const char *path, char *err,
				      size_t errlen)
{
	struct snippet *s = calloc(1, sizeof(*s));
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int e = -ENOMEM;

	err[0] = '\0';
	if (!s) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	e = setup(s, o, err, errlen);
	if (e)
		goto fail;
	s->offline = 1;
	s->p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!s->p) {
		snprintf(err, errlen, "%s: %s", path, ebuf);
		e = -EINVAL;
		goto fail;
	}
	s->linktype = dlt_to_linktype(pcap_datalink(s->p));
	if (s->linktype < 0) {
		snprintf(err, errlen, "%s: unsupported link type", path);
		e = -ENOTSUP;
		goto fail;
	}
	e = set_filter(s, o->filter, err, errlen);
	if (e)
		goto fail;
	refresh_pair(s);
	s->now = 0;
	s->st.linktype = s->linktype;
	return s;
fail:
	snippet__free(s);
	errno = -e;
	return NULL;
}

void snippet__free(struct snippet *s)
{
	if (!s)
		return;
	if (s->p)
		pcap_close(s->p);
	if (s->kmap)
		munmap(s->kmap, s->kmap_len);
	if (s->kfd >= 0)
		close(s->kfd);
	free(s->pkt);
	free(s->buf);
	free(s->rec);
	free(s);
}

int snippet__fd(const struct snippet *s)
{
	return s->offline || s->kfd >= 0 ? -1 : pcap_get_selectable_fd(s->p);
}

int snippet__timeout_ms(const struct snippet *s)
{
	uint64_t ms;

	if (s->kfd < 0 || !s->kblocks_per_s)
		return 100;
	/* Look again before the kernel can fill half the reserve. */
	ms = 1000ULL * (s->reserve / 2) / s->kblocks_per_s;
	return ms < 1 ? 1 : ms > 100 ? 100 : (int)ms;
}

/* Reads what libpcap holds; at most limit packets. */
static int drain(struct snippet *s, int limit)
{
	int total = 0;

	while (total < limit) {
		int n = pcap_dispatch(s->p, 1024, on_packet, (u_char *)s);

		if (n == PCAP_ERROR_BREAK)
			break;
		if (n < 0) {
			say(s, LOG_LVL_WARN, "snippets: reading packets failed: %s", pcap_geterr(s->p));
			return -EIO;
		}
		if (!n)
			break;
		total += n;
	}
	return total;
}

int snippet__poll(struct snippet *s, uint64_t now)
{
	int n;

	if (!s->offline && now >= s->pair_at + SEC)
		refresh_pair(s);
	if (now > s->now)
		s->now = now;
	if (s->kfd >= 0) {
		uint64_t before = s->st.packets;

		kring_take(s, now);
		n = (int)(s->st.packets - before);
	} else {
		n = s->offline ? 0 : drain(s, 100000);
	}
	if (s->nwin)
		expire_windows(s, s->now);
	return n;
}

int snippet__feed_offline(struct snippet *s, uint64_t max)
{
	int n;

	if (!s->offline)
		return -EINVAL;
	n = pcap_dispatch(s->p, max ? (int)(max > 0x7fffffff ? 0x7fffffff : max) : -1, on_packet,
			  (u_char *)s);
	if (n < 0)
		return -EIO;
	if (s->nwin)
		expire_windows(s, s->now);
	return n;
}

int snippet__fire(struct snippet *s, const struct trigger_fire *f)
{
	struct window *w;
	uint64_t off, i, before;
	size_t slot;

	if (s->kfd >= 0)
		kring_take(s, s->now);
	else if (!s->offline)
		drain(s, 100000);
	s->st.fires++;
	if (s->nwin == MAX_WINDOWS) {
		/* The window closest to its end gives way. */
		size_t k, min = 0;

		for (k = 1; k < s->nwin; k++)
			if (s->win[k].until < s->win[min].until)
				min = k;
		s->win[min] = s->win[--s->nwin];
		say(s, LOG_LVL_WARN, "snippets: more than %d open windows, one closed early",
		    MAX_WINDOWS);
	}
	slot = s->nwin++;
	w = &s->win[slot];
	memset(w, 0, sizeof(*w));
	w->c = f->conn;
	w->cookie = f->cookie;
	w->from = f->ts > s->o.pre_ns ? f->ts - s->o.pre_ns : 0;
	w->until = f->ts + s->o.post_ns;
	before = s->st.written;
	if (s->kfd >= 0)
		kring_fire(s, w);
	for (i = 0, off = s->head; s->buf && i < s->n; i++, off = ent_next(s, off)) {
		struct ent *e = ent_at(s, off);

		if (e->written || e->ts < w->from || e->ts > w->until || !conn_match(&w->c, e))
			continue;
		if (w->count >= s->o.max_window_packets) {
			w->capped++;
			s->st.window_capped++;
			continue;
		}
		w->count++;
		write_ent(s, e, (const unsigned char *)(e + 1), w->cookie);
	}
	return (int)(s->st.written - before);
}

void snippet__stats(struct snippet *s, struct snippet_stats *st)
{
	struct pcap_stat ps;

	s->st.ring_entries = s->kfd >= 0 ? s->kheld_pkts : s->n;
	s->st.ring_used = s->kfd >= 0 ? (uint64_t)s->nheld * s->blk_size : s->used;
	s->st.ring_bytes = s->kfd >= 0 ? s->kmap_len : s->cap;
	s->st.windows_active = s->nwin;
	s->st.kernel_ring = s->kfd >= 0;
	if (s->kfd >= 0)
		kring_stats(s);
	else if (!s->offline && !pcap_stats(s->p, &ps)) {
		s->st.pcap_recv = ps.ps_recv;
		s->st.pcap_drop = ps.ps_drop;
		s->st.pcap_ifdrop = ps.ps_ifdrop;
	}
	*st = s->st;
}
