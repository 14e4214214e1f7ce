/* nettape.bpf.c: kernel side of nettape-record: TCP tracepoints -> filtered, attributed, reduced ring-buffer events. */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

#include "core_fixes.bpf.h"
#include "nettape.h"

/*
 * Rules of this file:
 * - Only tp_btf programs (plus one iter/task_file for sockets open at start).
 * - The owner of a socket {tgid, comm, cgroup} is bound in its socket
 *   storage from process-context hooks only (connect, listen, send, recv);
 *   softirq hooks read it back and never call bpf_get_current_pid_tgid().
 *   The storage is BPF_F_CLONE, so sockets accepted from a listener start
 *   with the listener's owner.
 * - tcp_probe runs for every received segment: its fast path is two
 *   tcp_sock loads, jiffies and two compares (no helper, no map); the full
 *   check runs at most once per connection and jiffy.
 * - A failed ring-buffer reservation is counted per CPU and class in
 *   "losses"; nothing else is ever silently dropped.
 */

#define AF_INET     2
#define AF_INET6    10
#define ETH_P_IP    0x0800
#define ETH_P_IPV6  0x86DD
#define IPPROTO_TCP 6

/* TCP states (include/net/tcp_states.h), stable kernel ABI. */
#define NT_TCP_ESTABLISHED 1
#define NT_TCP_SYN_SENT    2
#define NT_TCP_SYN_RECV    3
#define NT_TCP_CLOSE       7
#define NT_TCP_LISTEN      10

/* ---------------------------------------------------------------- */
/* Configuration, set by the recorder before load.                  */
/* ---------------------------------------------------------------- */

const volatile __u64 sample_period_ns = 1000000000ULL;
const volatile __u32 rtt_spike_mult = 4;          /* srtt >= mult * min ...  */
const volatile __u32 rtt_spike_min_us = 5000;     /* ... and >= min + this   */
const volatile __u64 stall_ns = 200000000ULL;     /* read stall threshold, 0 = off */
const volatile __u64 response_ns = 500000000ULL;  /* response time threshold, 0 = off */
const volatile __u32 wakeup_bytes = 1 << 20;      /* wake user space above this backlog */
/* For icsk_rto (jiffies). libbpf reads it from /proc/config.gz or /boot;
 * without a kernel config it is 0 and HZ=1000 is assumed. */
extern unsigned int CONFIG_HZ __kconfig __weak;

const volatile __u32 nr_ports = 0;
const volatile __u16 ports[NTB_MAX_PORTS] = {};
const volatile __u32 nr_netns = 0;
const volatile __u32 netns_ids[NTB_MAX_NETNS] = {};
const volatile __u32 nr_pids = 0;
const volatile __u32 pids[NTB_MAX_PIDS] = {};
const volatile __u32 nr_cgroups = 0;
const volatile __u64 cgroup_ids[NTB_MAX_CGROUPS] = {};
const volatile __u32 cgroup_levels[NTB_MAX_CGROUPS] = {};
/* Drop reasons that are noise (bit set = not recorded). */
const volatile __u64 noise[NTB_NOISE_BITS / 64] = {};

/* Socket dump mode, set by the recorder before each dump (.bss): 0 = all
 * TCP sockets, 1 = listeners only (periodic accept-queue sampling). */
__u32 dump_mode = 0;

char LICENSE[] SEC("license") = "GPL";

/* ---------------------------------------------------------------- */
/* Maps.                                                            */
/* ---------------------------------------------------------------- */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);  /* resized by the recorder */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NTB_NCLASS);
	__type(key, __u32);
	__type(value, __u64);
} losses SEC(".maps");

/* Owners already announced with an NTB_OWNER event: tgid -> (cgroup,
 * comm), so a reused pid or a renamed process is announced again. */
struct announced_owner {
	__u64 cgroup;
	__u64 comm[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct announced_owner);
} announced SEC(".maps");

#define SK_MATCH_UNKNOWN 0
#define SK_MATCH_YES     1
#define SK_MATCH_NO      2

/* Per-socket state. Kernel-only, so not in nettape.h. */
struct sk_state {
	/* owner, bound in process context */
	__u32 tgid;
	__u8  pad0;
	__u8  cg_match;     /* owner is under one of the filter cgroups */
	__u8  cg_checked;   /* cg_match computed in the owner's context */
	__u8  passive;      /* accepted (SYN_RECV -> ESTABLISHED): response times apply */
	__u8  resp_pending; /* a read happened, no send yet */
	__u8  pad8[3];
	__u64 cgroup;
	__u16 sport;        /* local port seen at ESTABLISHED (gone at CLOSE) */
	__u16 pad16;
	__u32 pad32;
	/* response time */
	__u64 last_read_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct sk_state);
} socks SEC(".maps");

/*
 * Per-connection state of the tcp_probe reduction. Not socket storage: a
 * socket storage lookup is a helper call and costs more than the whole
 * budget of this hook (<= 100 ns per received segment); an array lookup is
 * inlined by the verifier. Slots are direct-mapped by the socket's hash
 * (skc_hash: the established-table hash of netns and 4-tuple, in the cache
 * line the socket lookup just read) and tagged with hash and ports. A slot
 * is freed at CLOSE, so a reused tuple starts clean. Two live connections
 * mapping to one slot take it over in turn: a takeover starts a fresh state
 * without emitting (no false edges), at worst delaying that connection's
 * periodic sample. PROBE_SLOTS is sized for ~100k busy connections.
 */
#define PROBE_SLOTS (1 << 18)

struct probe_slot {
	__u64 tag;           /* skc_hash << 32 | skc_portpair; 0 = free */
	__u64 last_sample;   /* jiffies of the last sample */
	__u64 rx_since;      /* jiffies since unread data waits, 0 = none */
	__u32 min_rtt_us;    /* running minimum of srtt */
	__u32 base_rtt_us;   /* typical srtt: EWMA updated once per sample period,
			      * outside spikes; 0 until the first period passed */
	__u8  rcv_zero;
	__u8  snd_zero;
	__u8  in_spike;
	__u8  match;         /* SK_MATCH_* (filters) */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PROBE_SLOTS);
	__type(key, __u32);
	__type(value, struct probe_slot);
} probes SEC(".maps");

static __always_inline __u64 probe_tag(const struct sock *sk)
{
	return (__u64)BPF_CORE_READ(sk, __sk_common.skc_hash) << 32 |
	       BPF_CORE_READ(sk, __sk_common.skc_portpair);
}

/* Same, with plain loads: only for the trusted socket of a tracepoint. */
static __always_inline __u64 probe_tag_fast(const struct sock *sk)
{
	return (__u64)sk->__sk_common.skc_hash << 32 | sk->__sk_common.skc_portpair;
}

static __always_inline struct probe_slot *probe_slot_of(__u64 tag)
{
	__u32 idx = (__u32)(tag >> 32) & (PROBE_SLOTS - 1);

	return bpf_map_lookup_elem(&probes, &idx);
}

/* Reads tcp_sock fields of a socket the tracepoint hands us without a
 * helper call: bpf_rdonly_cast is rewritten into a plain move by the
 * verifier and the loads become exception-handled loads. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

static __always_inline struct tcp_sock *tcp_sk_ro(const struct sock *sk)
{
	return bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct tcp_sock));
}

static __always_inline __u64 jiffies_to_ns(__u64 j)
{
	return j * (1000000000ULL / (CONFIG_HZ ? CONFIG_HZ : 1000));
}

/* ---------------------------------------------------------------- */
/* Helpers.                                                         */
/* ---------------------------------------------------------------- */

static __always_inline void count_loss(__u32 cls)
{
	__u64 *v = bpf_map_lookup_elem(&losses, &cls);

	if (v)
		*v += 1;
}

static __always_inline void *reserve(__u32 size, __u32 cls)
{
	struct ntb_hdr *h = bpf_ringbuf_reserve(&events, size, 0);

	if (!h) {
		count_loss(cls);
		return NULL;
	}
	h->ts = bpf_ktime_get_boot_ns();
	h->type = cls;
	h->cpu = bpf_get_smp_processor_id();
	h->pad = 0;
	return h;
}

/* Wake the reader only when enough has piled up; it polls every 100 ms
 * anyway. Saves one wakeup per event. */
static __always_inline void submit(void *ev)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	bpf_ringbuf_submit(ev, avail >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

static __always_inline int is_tcp_sk(const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	if (family != AF_INET && family != AF_INET6)
		return 0;
	return sk_protocol_of(sk) == IPPROTO_TCP;
}

/* Same for the trusted socket argument of a tracepoint: plain loads
 * instead of probe reads (send/recv run for every syscall of every socket
 * family). */
static __always_inline int is_tcp_sk_fast(const struct sock *sk)
{
	__u16 family = sk->__sk_common.skc_family;

	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (bpf_core_field_size(sk->sk_protocol) == 2)
		return sk->sk_protocol == IPPROTO_TCP;
	return sk_protocol_of(sk) == IPPROTO_TCP;
}

static __always_inline __u32 netns_of_sk(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* Tuple of a socket (any struct sock_common: full, request or timewait). */
static __always_inline void conn_from_sk(struct ntb_conn *c, const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	c->family = family;
	c->proto = IPPROTO_TCP;
	c->flags = 0;
	c->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!c->sport) {
		/* close() unhashes the port (inet_put_port zeroes skc_num) before
		 * tcp_close sends its reset; a full socket still has inet_sport.
		 * Request and timewait sockets have no struct inet_sock. */
		__u8 state = BPF_CORE_READ(sk, __sk_common.skc_state);

		if (state != TCP_TIME_WAIT && state != TCP_NEW_SYN_RECV)
			c->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	}
	c->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	c->netns = netns_of_sk(sk);
	__builtin_memset(c->saddr, 0, sizeof(c->saddr));
	__builtin_memset(c->daddr, 0, sizeof(c->daddr));
	if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&c->saddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&c->daddr, sk, __sk_common.skc_v6_daddr);
	} else {
		BPF_CORE_READ_INTO((__u32 *)c->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)c->daddr, sk, __sk_common.skc_daddr);
	}
}

static __always_inline void conn_owner(struct ntb_conn *c, const struct sk_state *st)
{
	c->pid = st ? st->tgid : 0;
	c->cgroup = st ? st->cgroup : 0;
}

static __always_inline int have_filters(void)
{
	return nr_ports || nr_netns || nr_pids || nr_cgroups;
}

/* Filter verdict for an event with tuple c and owner state st (may be NULL). */
static __noinline int conn_match(const struct ntb_conn *c, const struct sk_state *st)
{
	__u32 i;
	int ok;

	if (nr_ports) {
		ok = 0;
		for (i = 0; i < NTB_MAX_PORTS && i < nr_ports; i++)
			if (ports[i] == c->sport || ports[i] == c->dport)
				ok = 1;
		if (!ok)
			return 0;
	}
	if (nr_netns) {
		ok = 0;
		for (i = 0; i < NTB_MAX_NETNS && i < nr_netns; i++)
			if (netns_ids[i] == c->netns)
				ok = 1;
		if (!ok)
			return 0;
	}
	if (nr_pids) {
		ok = 0;
		for (i = 0; i < NTB_MAX_PIDS && i < nr_pids; i++)
			if (st && st->tgid && pids[i] == st->tgid)
				ok = 1;
		if (!ok)
			return 0;
	}
	if (nr_cgroups && !(st && st->cg_match))
		return 0;
	return 1;
}

static __always_inline struct sk_state *sk_state_of(const struct sock *sk)
{
	return bpf_sk_storage_get(&socks, (void *)sk, 0, 0);
}

/*
 * The opening every socket event repeats, written once: the connection of
 * the socket with its owner (event_conn), then EVENT_RESERVE: the filter,
 * a ring-buffer slot (a full ring counts as a loss of class cls), with
 * EV_ZERO the payload after the header zeroed, the connection copied in
 * and the socket cookie set. Every event struct starts with struct ntb_hdr h
 * and struct ntb_conn c (nettape.h). EVENT_RESERVE evaluates to the event,
 * or NULL when it is filtered out or there is no room.
 */
static __always_inline void event_conn(struct ntb_conn *c, const struct sock *sk, const struct sk_state *st)
{
	conn_from_sk(c, sk);
	conn_owner(c, st);
}

#define EV_ZERO     1   /* zero the payload first (not every field is set) */
#define EV_NOFILTER 2   /* the caller applied the filter already */

#define EVENT_RESERVE(type, cp, st, sk, cls, flags) ({                                        \
	type *ev_ = NULL;                                                                      \
	if (((flags) & EV_NOFILTER) || !have_filters() || conn_match((cp), (st))) {             \
		ev_ = reserve(sizeof(type), (cls));                                            \
		if (ev_) {                                                                     \
			if ((flags) & EV_ZERO)                                                 \
				__builtin_memset((char *)ev_ + sizeof(ev_->h), 0,              \
						 sizeof(type) - sizeof(ev_->h));               \
			ev_->c = *(cp);                                                        \
			ev_->c.cookie = bpf_get_socket_cookie((void *)(sk));                   \
		}                                                                              \
	}                                                                                      \
	ev_;                                                                                   \
})

/* Process context only: bind the current task as the socket's owner. */
static __always_inline struct sk_state *bind_owner(struct sock *sk)
{
	struct sk_state *st;
	struct ntb_owner *ev;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct announced_owner now, *known;
	__u64 cg;
	__u32 i;

	st = bpf_sk_storage_get(&socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st || (st->tgid == tgid && (st->cg_checked || !nr_cgroups)))
		return st;
	cg = bpf_get_current_cgroup_id();
	st->tgid = tgid;
	st->cgroup = cg;
	st->cg_match = 0;
	for (i = 0; i < NTB_MAX_CGROUPS && i < nr_cgroups; i++)
		if (bpf_get_current_ancestor_cgroup_id(cgroup_levels[i]) == cgroup_ids[i])
			st->cg_match = 1;
	st->cg_checked = 1;

	now.cgroup = cg;
	now.comm[0] = now.comm[1] = 0;
	bpf_get_current_comm(now.comm, sizeof(now.comm));
	known = bpf_map_lookup_elem(&announced, &tgid);
	if (known && known->cgroup == cg && known->comm[0] == now.comm[0] &&
	    known->comm[1] == now.comm[1])
		return st;
	bpf_map_update_elem(&announced, &tgid, &now, BPF_ANY);
	ev = reserve(sizeof(*ev), NTB_OWNER);
	if (!ev)
		return st;
	ev->cookie = bpf_get_socket_cookie(sk);
	ev->cgroup = cg;
	ev->pid = tgid;
	ev->tid = (__u32)id;
	__builtin_memcpy(ev->comm, now.comm, sizeof(ev->comm));
	submit(ev);
	return st;
}

/* ---------------------------------------------------------------- */
/* Lifecycle: sock:inet_sock_set_state                              */
/* ---------------------------------------------------------------- */

static __always_inline void fill_tcp_details(struct ntb_state *ev, const struct sock *sk, int state)
{
	const struct tcp_sock *tp = (const void *)sk;
	const struct tcp_options_received *rx = &tp->rx_opt;

	ev->rcvbuf = BPF_CORE_READ(sk, sk_rcvbuf);
	ev->sndbuf = BPF_CORE_READ(sk, sk_sndbuf);
	ev->srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	ev->total_retrans = BPF_CORE_READ(tp, total_retrans);
	ev->snd_cwnd = BPF_CORE_READ(tp, snd_cwnd);
	ev->mss = BPF_CORE_READ(tp, mss_cache);
	ev->advmss = BPF_CORE_READ(tp, advmss);
	ev->wscale_ok = BPF_CORE_READ_BITFIELD_PROBED(rx, wscale_ok);
	ev->snd_wscale = BPF_CORE_READ_BITFIELD_PROBED(rx, snd_wscale);
	ev->rcv_wscale = BPF_CORE_READ_BITFIELD_PROBED(rx, rcv_wscale);
	ev->sack_ok = BPF_CORE_READ_BITFIELD_PROBED(rx, sack_ok);
	ev->ts_ok = BPF_CORE_READ_BITFIELD_PROBED(rx, tstamp_ok);
	ev->bytes_acked = BPF_CORE_READ(tp, bytes_acked);
	ev->bytes_received = BPF_CORE_READ(tp, bytes_received);
	ev->dsack_dups = BPF_CORE_READ(tp, dsack_dups);
	ev->reord_seen = BPF_CORE_READ(tp, reord_seen);
	if (state == NT_TCP_LISTEN) {
		ev->backlog = BPF_CORE_READ(sk, sk_ack_backlog);
		ev->max_backlog = BPF_CORE_READ(sk, sk_max_ack_backlog);
		ev->drops = BPF_CORE_READ(sk, sk_drops.counter);
		ev->flags |= NTB_STATE_F_LISTENER;
	}
}

/*
 * The initial sequence numbers at the move to ESTABLISHED, from what the
 * kernel holds at that moment (net/ipv4/tcp_input.c, tcp_minisocks.c, 6.x):
 * - active open (SYN_SENT -> ESTABLISHED, tcp_rcv_synsent_state_process):
 *   tcp_connect_init() set snd_una = ISS, the SYN-ACK went through tcp_ack()
 *   first, whose tcp_snd_una_update() adds every acknowledged byte, the SYN's
 *   one included, to bytes_acked: ISS = snd_una - bytes_acked. rcv_nxt was
 *   then set to the SYN-ACK's seq + 1 directly (bytes_received stays 0).
 * - passive open (SYN_RECV -> ESTABLISHED, tcp_rcv_state_process): the child
 *   was created with snd_una = snt_isn + 1 and rcv_nxt = rcv_isn + 1
 *   (tcp_create_openreq_child); the state is set before snd_una is copied
 *   from the final ACK, so snd_una is still snt_isn + 1 plus what tcp_ack()
 *   added to bytes_acked (data a Fast Open server sent). A simultaneous open
 *   (SYN_SENT -> SYN_RECV -> ESTABLISHED) also arrives from SYN_RECV, but its
 *   snd_una started at ISS and its bytes_acked counts the SYN: the two are
 *   told apart by bytes_acked > 0, and left out (no ISN) rather than guessed.
 * - the peer's: rcv_nxt - bytes_received - 1 in both (a Fast Open SYN's data
 *   is counted in bytes_received by tcp_fastopen_add_skb()).
 */
static __always_inline void fill_isn(struct ntb_state *ev, const struct sock *sk, int oldstate)
{
	const struct tcp_sock *tp = (const void *)sk;
	__u32 una = BPF_CORE_READ(tp, snd_una), nxt = BPF_CORE_READ(tp, rcv_nxt);
	__u32 acked = (__u32)ev->bytes_acked, rcvd = (__u32)ev->bytes_received;

	if (oldstate == NT_TCP_SYN_SENT)
		ev->isn_local = una - acked;
	else if (oldstate == NT_TCP_SYN_RECV && !acked)
		ev->isn_local = una - 1;
	else
		return;
	ev->isn_peer = nxt - rcvd - 1;
	ev->flags |= NTB_STATE_F_ISN;
}

/* The option sysctls of the socket's network namespace (NTB_OPT_*): what this
 * end offers in its SYN, or answers in its SYN-ACK (the kernel offers window
 * scaling, timestamps and SACK only when these are on). */
static __always_inline __u8 opt_sysctl_of(const struct sock *sk)
{
	struct net *net = BPF_CORE_READ(sk, __sk_common.skc_net.net);
	__u8 v = NTB_OPT_VALID;

	if (!net)
		return 0;
	if (BPF_CORE_READ(net, ipv4.sysctl_tcp_window_scaling))
		v |= NTB_OPT_WSCALE;
	if (BPF_CORE_READ(net, ipv4.sysctl_tcp_timestamps))
		v |= NTB_OPT_TS;
	if (BPF_CORE_READ(net, ipv4.sysctl_tcp_sack))
		v |= NTB_OPT_SACK;
	return v;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(inet_sock_set_state, struct sock *sk, int oldstate, int newstate)
{
	struct sk_state *st;
	struct ntb_state *ev;
	struct ntb_conn c;

	if (sk_protocol_of(sk) != IPPROTO_TCP)
		return 0;
	/* connect() and listen() run in the owner's process context. */
	if (newstate == NT_TCP_SYN_SENT || newstate == NT_TCP_LISTEN)
		st = bind_owner(sk);
	else
		st = sk_state_of(sk);
	if (st && oldstate == NT_TCP_SYN_RECV && newstate == NT_TCP_ESTABLISHED)
		st->passive = 1;
	/* tcp_probe only sees ESTABLISHED sockets: free the slot on the way
	 * in and out (ports are still set then), so a reused tuple starts
	 * clean. */
	if (newstate == NT_TCP_ESTABLISHED || oldstate == NT_TCP_ESTABLISHED) {
		__u64 tag = probe_tag(sk);
		struct probe_slot *ps = probe_slot_of(tag);

		if (ps && ps->tag == tag)
			ps->tag = 0;
	}

	event_conn(&c, sk, st);
	if (st && newstate == NT_TCP_ESTABLISHED)
		st->sport = c.sport;
	/* The local port is released before the move to CLOSE is traced. */
	if (st && !c.sport)
		c.sport = st->sport;
	ev = EVENT_RESERVE(struct ntb_state, &c, st, sk, NTB_STATE, EV_ZERO);
	if (!ev)
		return 0;
	ev->old_state = oldstate;
	ev->new_state = newstate;
	ev->opt_sysctl = opt_sysctl_of(sk);
	if (newstate == NT_TCP_ESTABLISHED || newstate == NT_TCP_CLOSE ||
	    newstate == NT_TCP_LISTEN) {
		fill_tcp_details(ev, sk, newstate);
		if (newstate == NT_TCP_CLOSE)
			ev->flags |= NTB_STATE_F_TOTALS;
		else if (newstate == NT_TCP_ESTABLISHED)
			ev->flags |= NTB_STATE_F_HANDSHAKE;
		if (newstate == NT_TCP_ESTABLISHED)
			fill_isn(ev, sk, oldstate);
	}
	submit(ev);
	return 0;
}

/* ---------------------------------------------------------------- */
/* Windows and RTT: tcp:tcp_probe (hot)                             */
/* ---------------------------------------------------------------- */

/* Slow path of tcp_probe: reads everything again (cold, a few per second). */
/*
 * The kernel's send-time accounting, as tcp_get_info() reports it (ss -ti
 * busy / rwnd_limited / sndbuf_limited): chrono_stat[] holds the finished
 * periods in jiffies, the running one (chrono_type since chrono_start) is
 * added here. chrono_type is a 2-bit field on older kernels, a u8 on newer.
 */
static __always_inline void sample_chrono(const struct tcp_sock *tp, struct ntb_sample *ev)
{
	__u64 hz = CONFIG_HZ ? CONFIG_HZ : 1000;
	__u32 st[3], start, now = (__u32)bpf_jiffies64();
	__u32 type = BPF_CORE_READ_BITFIELD_PROBED(tp, chrono_type);

	st[0] = BPF_CORE_READ(tp, chrono_stat[0]);
	st[1] = BPF_CORE_READ(tp, chrono_stat[1]);
	st[2] = BPF_CORE_READ(tp, chrono_stat[2]);
	start = BPF_CORE_READ(tp, chrono_start);
	/* No variable index into the stack (the verifier refuses it). */
	if (type == 1)
		st[0] += now - start;
	else if (type == 2)
		st[1] += now - start;
	else if (type == 3)
		st[2] += now - start;
	ev->busy_ms = ((__u64)st[0] + st[1] + st[2]) * 1000 / hz;
	ev->rwnd_limited_ms = (__u64)st[1] * 1000 / hz;
	ev->sndbuf_limited_ms = (__u64)st[2] * 1000 / hz;
	ev->pad2 = 0;
}

static __noinline int emit_sample(struct sock *sk, struct probe_slot *ps, __u32 kind)
{
	const struct tcp_sock *tp = (const void *)sk;
	struct sk_state *st;
	struct ntb_sample *ev;
	struct ntb_conn c;

	if (!sk || !ps)
		return 0;
	st = sk_state_of(sk);
	event_conn(&c, sk, st);
	ev = EVENT_RESERVE(struct ntb_sample, &c, st, sk, NTB_SAMPLE, EV_NOFILTER);
	if (!ev)
		return 0;
	ev->kind = kind;
	ev->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	ev->ca_state = ca_state_of(sk);
	ev->pad = 0;
	ev->srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	ev->min_rtt_us = ps->min_rtt_us;
	ev->rcv_wnd = BPF_CORE_READ(tp, rcv_wnd);
	ev->snd_wnd = BPF_CORE_READ(tp, snd_wnd);
	ev->snd_cwnd = BPF_CORE_READ(tp, snd_cwnd);
	ev->ssthresh = BPF_CORE_READ(tp, snd_ssthresh);
	ev->packets_out = BPF_CORE_READ(tp, packets_out);
	ev->rcv_queue = BPF_CORE_READ(tp, rcv_nxt) - BPF_CORE_READ(tp, copied_seq);
	ev->snd_queue = BPF_CORE_READ(tp, write_seq) - BPF_CORE_READ(tp, snd_una);
	ev->bytes_acked = BPF_CORE_READ(tp, bytes_acked);
	ev->bytes_received = BPF_CORE_READ(tp, bytes_received);
	ev->total_retrans = BPF_CORE_READ(tp, total_retrans);
	ev->dsack_dups = BPF_CORE_READ(tp, dsack_dups);
	sample_chrono(tp, ev);
	submit(ev);
	return 0;
}

/* Filter verdict of a connection, computed once per slot (cold). */
static __noinline int probe_match(struct sock *sk, struct probe_slot *ps)
{
	struct ntb_conn c;

	struct sk_state *st;
	int ok;

	if (!sk || !ps)
		return 0;
	st = sk_state_of(sk);
	event_conn(&c, sk, st);
	ok = conn_match(&c, st);
	/* A "no" that depends on an owner not known yet is not final. */
	if (!ok && (nr_pids || nr_cgroups) && !(st && st->tgid && (st->cg_checked || !nr_cgroups)))
		return 0;
	ps->match = ok ? SK_MATCH_YES : SK_MATCH_NO;
	return ok;
}

/*
 * Fast path, per received segment: one inlined array lookup, four loads
 * from tcp_sock, jiffies (inlined), compares. No helper call unless an
 * event is due.
 */
/* The part of tcp_probe that runs at most once per connection and jiffy. */
static __noinline int probe_check(struct sock *sk, __u64 now)
{
	struct tcp_sock *tp = tcp_sk_ro(sk);
	struct probe_slot *ps;
	__u32 srtt, rwnd, swnd, kind, min, base;
	__u64 tag;
	__u8 z;

	if (!sk || !tp)
		return 0;
	tag = probe_tag_fast(sk);
	ps = probe_slot_of(tag);
	if (!ps)
		return 0;
	srtt = tp->srtt_us >> 3;
	rwnd = tp->rcv_wnd;
	swnd = tp->snd_wnd;
	if (ps->tag != tag) {
		/* First segment of this connection in this slot. */
		ps->tag = tag;
		ps->last_sample = now;
		ps->rx_since = 0;
		ps->min_rtt_us = srtt;
		ps->base_rtt_us = 0;
		ps->rcv_zero = 0;
		ps->snd_zero = 0;
		ps->in_spike = 0;
		ps->match = SK_MATCH_UNKNOWN;
	}
	if (have_filters() && ps->match != SK_MATCH_YES) {
		if (ps->match == SK_MATCH_NO || !probe_match(sk, ps))
			return 0;
	}

	/* Unread data starts waiting: remember when (read stalls). */
	if (stall_ns && !ps->rx_since && tp->rcv_nxt != tp->copied_seq)
		ps->rx_since = now;

	min = ps->min_rtt_us;
	if (srtt && (srtt < min || !min))
		ps->min_rtt_us = min = srtt;

	z = rwnd == 0;
	if (z != ps->rcv_zero) {
		ps->rcv_zero = z;
		kind = z ? NTB_SAMPLE_RCV_ZERO_START : NTB_SAMPLE_RCV_ZERO_END;
		goto emit;
	}
	z = swnd == 0;
	if (z != ps->snd_zero) {
		ps->snd_zero = z;
		kind = z ? NTB_SAMPLE_SND_ZERO_START : NTB_SAMPLE_SND_ZERO_END;
		goto emit;
	}
	/* RTT spikes are judged against the connection's typical srtt, not its
	 * minimum: the handshake RTT (tens of µs on a LAN) is no baseline for
	 * a service whose normal RTT is milliseconds. */
	base = ps->base_rtt_us;
	if (base && srtt >= base * rtt_spike_mult && srtt >= base + rtt_spike_min_us) {
		if (!ps->in_spike) {
			ps->in_spike = 1;
			kind = NTB_SAMPLE_RTT_SPIKE;
			goto emit;
		}
	} else if (ps->in_spike && srtt < 2 * base) {
		ps->in_spike = 0;
	}
	/* (now - last) jiffies >= period: compared without a division. */
	if ((now - ps->last_sample) * 1000000000ULL <
	    sample_period_ns * (CONFIG_HZ ? CONFIG_HZ : 1000))
		return 0;
	if (!ps->in_spike && srtt)
		ps->base_rtt_us = base ? (3 * base + srtt) / 4 : srtt;
	kind = NTB_SAMPLE_PERIODIC;
emit:
	ps->last_sample = now;
	emit_sample(sk, ps, kind);
	return 0;
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(tcp_probe, struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk_ro(sk);
	__u64 now = bpf_jiffies64();

	/* At most one full check per connection and jiffy (4 ms at HZ=250):
	 * when the previous segment (data: lrcvtime, ACK: rcv_tstamp) arrived
	 * in this same jiffy, the kernel's own timestamps say we looked at
	 * this connection moments ago. Two loads, no map access, no call. */
	if (!tp || (__u32)now == tp->inet_conn.icsk_ack.lrcvtime || (__u32)now == tp->rcv_tstamp)
		return 0;
	return probe_check(sk, now);
}

/* ---------------------------------------------------------------- */
/* Process context: send/recv bind the owner; stalls, response time */
/* ---------------------------------------------------------------- */

static __noinline int emit_stall(struct sock *sk, struct sk_state *st, __u32 kind,
				 __u64 wait, __u32 bytes)
{
	struct ntb_stall *ev;
	struct ntb_conn c;

	if (!sk || !st)
		return 0;
	event_conn(&c, sk, st);
	ev = EVENT_RESERVE(struct ntb_stall, &c, st, sk, NTB_STALL, 0);
	if (!ev)
		return 0;
	ev->kind = kind;
	ev->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	ev->pad = 0;
	ev->bytes = bytes;
	ev->wait_ns = wait;
	submit(ev);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(sock_recv_length, struct sock *sk, int ret, int flags)
{
	struct sk_state *st;
	struct tcp_sock *tp;
	__u64 now;

	if (ret <= 0 || !sk || !is_tcp_sk_fast(sk))
		return 0;
	st = bind_owner(sk);
	if (!st)
		return 0;
	if (stall_ns) {
		__u64 tag = probe_tag_fast(sk);
		struct probe_slot *ps = probe_slot_of(tag);

		if (ps && ps->tag == tag && ps->rx_since) {
			__u64 nowj = bpf_jiffies64();
			__u64 wait = nowj > ps->rx_since ? jiffies_to_ns(nowj - ps->rx_since) : 0;

			tp = bpf_skc_to_tcp_sock(sk);
			if (!tp)
				return 0;
			/* Data still queued after this read waits from now on. */
			ps->rx_since = tp->rcv_nxt != tp->copied_seq ? nowj : 0;
			if (wait >= stall_ns)
				emit_stall(sk, st, NTB_STALL_READ, wait, ret);
		}
	}
	if (response_ns && st->passive) {
		now = bpf_ktime_get_boot_ns();
		st->last_read_ns = now;
		st->resp_pending = 1;
	}
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(sock_send_length, struct sock *sk, int ret, int flags)
{
	struct sk_state *st;

	if (ret <= 0 || !sk || !is_tcp_sk_fast(sk))
		return 0;
	st = bind_owner(sk);
	if (!st || !response_ns || !st->resp_pending)
		return 0;
	st->resp_pending = 0;
	{
		__u64 wait = bpf_ktime_get_boot_ns() - st->last_read_ns;

		if (wait >= response_ns)
			emit_stall(sk, st, NTB_STALL_RESPONSE, wait, ret);
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* Drops: skb:kfree_skb                                             */
/* ---------------------------------------------------------------- */

static __always_inline int is_noise(__u32 reason)
{
	__u64 r = reason;

	/* Keep the compiler from folding the bound check into a 32-bit
	 * compare the verifier cannot carry over to the index. */
	asm volatile("" : "+r"(r));
	if (r >= NTB_NOISE_BITS)
		return 0;
	return (noise[r >> 6] >> (r & 63)) & 1;
}

/* Parses the IP and TCP headers of skb into ev. Returns 0 for a TCP packet,
 * -1 otherwise. */
static __always_inline int parse_skb(struct ntb_drop *ev, const struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u16 th = BPF_CORE_READ(skb, transport_header);
	struct tcphdr tcp;
	__u8 ver, proto, ihl;

	if (nh == (__u16)~0U)
		return -1;
	if (bpf_probe_read_kernel(&ver, 1, head + nh))
		return -1;
	ver >>= 4;
	if (ver == 4) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return -1;
		proto = ip.protocol;
		ihl = ip.ihl;
		ev->c.family = AF_INET;
		__builtin_memcpy(ev->c.saddr, &ip.saddr, 4);
		__builtin_memcpy(ev->c.daddr, &ip.daddr, 4);
		if (th == (__u16)~0U || th <= nh)
			th = nh + ihl * 4;
	} else if (ver == 6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return -1;
		proto = ip6.nexthdr;  /* extension headers are not followed */
		ev->c.family = AF_INET6;
		__builtin_memcpy(ev->c.saddr, &ip6.saddr, 16);
		__builtin_memcpy(ev->c.daddr, &ip6.daddr, 16);
		if (th == (__u16)~0U || th <= nh)
			th = nh + sizeof(ip6);
	} else {
		return -1;
	}
	if (proto != IPPROTO_TCP)
		return -1;
	ev->c.proto = IPPROTO_TCP;
	if (bpf_probe_read_kernel(&tcp, sizeof(tcp), head + th))
		return 0;  /* tuple without ports is still worth having */
	ev->c.sport = bpf_ntohs(tcp.source);
	ev->c.dport = bpf_ntohs(tcp.dest);
	ev->seq = bpf_ntohl(tcp.seq);
	ev->ack_seq = bpf_ntohl(tcp.ack_seq);
	ev->window = bpf_ntohs(tcp.window);
	ev->tcp_flags = ((__u8 *)&tcp)[13];
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	struct sock *sk = NULL;
	const struct sock *txsk = NULL;
	struct sk_state *st = NULL;
	struct ntb_drop e, *ev;
	struct net_device *dev;

	if (is_noise(reason))
		return 0;
	if (kfree_skb_has_rx_sk())
		sk = (struct sock *)ctx[3];
	if (!sk)
		/* skb->sk is an RCU pointer that the cookie and storage helpers
		 * refuse: read it through CO-RE only (no owner from the
		 * kernel; the recorder attributes by cookie). */
		txsk = BPF_CORE_READ(skb, sk);

	/* Built on the stack first: most non-noise drops are not TCP, and a
	 * reservation that is discarded could still fail and count as lost. */
	__builtin_memset(&e, 0, sizeof(e));
	if (parse_skb(&e, skb) < 0 && !(sk && is_tcp_sk(sk)) && !(txsk && is_tcp_sk(txsk)))
		return 0;
	e.location = (__u64)location;
	e.reason = reason;
	e.skb_len = BPF_CORE_READ(skb, len);
	dev = BPF_CORE_READ(skb, dev);
	if (dev) {
		e.ifindex = BPF_CORE_READ(dev, ifindex);
		BPF_CORE_READ_STR_INTO(&e.ifname, dev, name);
		e.c.netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	}
	if (sk && is_tcp_sk(sk)) {
		__u8 state = BPF_CORE_READ(sk, __sk_common.skc_state);

		e.sk_state = state;
		e.c.cookie = bpf_get_socket_cookie(sk);
		e.c.netns = netns_of_sk(sk);
		if (state == NT_TCP_LISTEN) {
			st = sk_state_of(sk);
			e.c.flags |= NTB_CONN_F_PKT_ORDER;
		} else if (state == 6 /* TIME_WAIT */ || state == 12 /* NEW_SYN_RECV */) {
			e.c.flags |= NTB_CONN_F_PKT_ORDER;
		} else {
			st = sk_state_of(sk);
			conn_from_sk(&e.c, sk);
		}
	} else if (txsk && is_tcp_sk(txsk)) {
		__u8 state = BPF_CORE_READ(txsk, __sk_common.skc_state);

		e.sk_state = state;
		e.c.cookie = BPF_CORE_READ(txsk, __sk_common.skc_cookie.counter);
		e.c.netns = netns_of_sk(txsk);
		if (state != NT_TCP_LISTEN && state != 6 && state != 12)
			conn_from_sk(&e.c, txsk);
		else
			e.c.flags |= NTB_CONN_F_PKT_ORDER;
	} else {
		e.c.flags |= NTB_CONN_F_PKT_ORDER;
	}
	conn_owner(&e.c, st);
	if (have_filters() && !conn_match(&e.c, st))
		return 0;
	ev = reserve(sizeof(*ev), NTB_DROP);
	if (!ev)
		return 0;
	__builtin_memcpy((char *)ev + sizeof(ev->h), (char *)&e + sizeof(e.h), sizeof(e) - sizeof(e.h));
	submit(ev);
	return 0;
}

/* ---------------------------------------------------------------- */
/* Retransmits and congestion state                                 */
/* ---------------------------------------------------------------- */

static __always_inline int retrans_fill(struct ntb_retrans *ev, const struct sock *sk)
{
	const struct tcp_sock *tp = (const void *)sk;
	const struct inet_connection_sock *icsk = (const void *)sk;

	ev->srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	ev->rto_us = (__u64)BPF_CORE_READ(icsk, icsk_rto) * 1000000 / (CONFIG_HZ ? CONFIG_HZ : 1000);
	ev->snd_wnd = BPF_CORE_READ(tp, snd_wnd);
	ev->snd_cwnd = BPF_CORE_READ(tp, snd_cwnd);
	ev->total_retrans = BPF_CORE_READ(tp, total_retrans);
	ev->ca_state = ca_state_of(sk);
	ev->backoff = BPF_CORE_READ(icsk, icsk_backoff);
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit_skb, const struct sock *sk, const struct sk_buff *skb)
{
	struct sk_state *st = sk_state_of(sk);
	struct ntb_retrans *ev;
	struct ntb_conn c;
	__u32 seq = 0;

	event_conn(&c, sk, st);
	ev = EVENT_RESERVE(struct ntb_retrans, &c, st, sk, NTB_RETRANS, 0);
	if (!ev)
		return 0;
	/* TCP_SKB_CB(skb)->seq is the first word of skb->cb. */
	bpf_probe_read_kernel(&seq, sizeof(seq), &skb->cb[0]);
	ev->seq = seq;
	ev->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	ev->kind = ev->state == NT_TCP_SYN_SENT ? NTB_RETRANS_SYN : NTB_RETRANS_DATA;
	ev->pad = 0;
	retrans_fill(ev, sk);
	submit(ev);
	return 0;
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(tcp_retransmit_synack, const struct sock *sk, const struct request_sock *req)
{
	struct sk_state *st = sk_state_of(sk);  /* the listener */
	struct ntb_retrans *ev;
	struct ntb_conn c;

	conn_from_sk(&c, (const struct sock *)req);
	c.netns = netns_of_sk(sk);
	conn_owner(&c, st);
	ev = EVENT_RESERVE(struct ntb_retrans, &c, st, sk, NTB_RETRANS, EV_ZERO);
	if (!ev)
		return 0;
	ev->seq = BPF_CORE_READ((const struct tcp_request_sock *)req, snt_isn);
	ev->state = NT_TCP_SYN_RECV;
	ev->kind = NTB_RETRANS_SYNACK;
	ev->total_retrans = BPF_CORE_READ(req, num_retrans);
	ev->backoff = BPF_CORE_READ_BITFIELD_PROBED(req, num_timeout);
	submit(ev);
	return 0;
}

SEC("tp_btf/tcp_cong_state_set")
int BPF_PROG(tcp_cong_state_set, struct sock *sk, __u8 ca_state)
{
	const struct tcp_sock *tp = (const void *)sk;
	struct sk_state *st;
	struct ntb_cong *ev;
	struct ntb_conn c;
	__u8 old = ca_state_of(sk);

	if (old == ca_state)
		return 0;
	st = sk_state_of(sk);
	event_conn(&c, sk, st);
	ev = EVENT_RESERVE(struct ntb_cong, &c, st, sk, NTB_CONG, 0);
	if (!ev)
		return 0;
	ev->old_state = old;
	ev->new_state = ca_state;
	ev->pad = 0;
	ev->snd_cwnd = BPF_CORE_READ(tp, snd_cwnd);
	ev->ssthresh = BPF_CORE_READ(tp, snd_ssthresh);
	ev->srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	ev->packets_out = BPF_CORE_READ(tp, packets_out);
	ev->retrans_out = BPF_CORE_READ(tp, retrans_out);
	/* tcp_set_ca_state() runs after an undo cleared undo_marker (the
	 * reduction was spurious) and before a new recovery sets it. */
	ev->total_retrans = BPF_CORE_READ(tp, total_retrans);
	ev->dsack_dups = BPF_CORE_READ(tp, dsack_dups);
	ev->reord_seen = BPF_CORE_READ(tp, reord_seen);
	ev->undo_marker = BPF_CORE_READ(tp, undo_marker);
	ev->undo_retrans = BPF_CORE_READ(tp, undo_retrans);
	ev->pad2 = 0;
	submit(ev);
	return 0;
}

/* ---------------------------------------------------------------- */
/* Resets                                                           */
/* ---------------------------------------------------------------- */

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tcp_send_reset, const struct sock *sk, const struct sk_buff *skb)
{
	struct sk_state *st = NULL;
	struct ntb_reset *ev;
	struct ntb_drop tmp;

	ev = reserve(sizeof(*ev), NTB_RESET);
	if (!ev)
		return 0;
	__builtin_memset((char *)ev + sizeof(ev->h), 0, sizeof(*ev) - sizeof(ev->h));
	if (sk) {
		__u8 state = BPF_CORE_READ(sk, __sk_common.skc_state);

		ev->state = state;
		conn_from_sk(&ev->c, sk);
		ev->c.cookie = bpf_get_socket_cookie((void *)sk);
		if (state != 6 /* TIME_WAIT */ && state != 12 /* NEW_SYN_RECV */)
			st = sk_state_of(sk);
	} else if (skb) {
		/* No socket: the segment that caused the reset, packet order. */
		__builtin_memset(&tmp, 0, sizeof(tmp));
		if (parse_skb(&tmp, skb) == 0) {
			ev->c = tmp.c;
			ev->c.flags |= NTB_CONN_F_PKT_ORDER;
		}
		if (skb->dev)
			ev->c.netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	}
	if (send_reset_has_reason())
		ev->reason = (__u32)ctx[2];
	ev->kind = NTB_RESET_SENT;
	conn_owner(&ev->c, st);
	if (have_filters() && !conn_match(&ev->c, st)) {
		bpf_ringbuf_discard(ev, BPF_RB_NO_WAKEUP);
		return 0;
	}
	submit(ev);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(tcp_receive_reset, struct sock *sk)
{
	struct sk_state *st = sk_state_of(sk);
	struct ntb_reset *ev;
	struct ntb_conn c;

	event_conn(&c, sk, st);
	ev = EVENT_RESERVE(struct ntb_reset, &c, st, sk, NTB_RESET, 0);
	if (!ev)
		return 0;
	ev->kind = NTB_RESET_RECEIVED;
	ev->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	ev->pad = 0;
	ev->reason = 0;
	submit(ev);
	return 0;
}

/* ---------------------------------------------------------------- */
/* Buffer pressure                                                  */
/* ---------------------------------------------------------------- */

static __always_inline int emit_buffer(struct sock *sk, __u32 kind, __u32 value, __u32 limit)
{
	struct sk_state *st = sk_state_of(sk);
	struct ntb_buffer *ev;
	struct ntb_conn c;

	event_conn(&c, sk, st);
	ev = EVENT_RESERVE(struct ntb_buffer, &c, st, sk, NTB_BUFFER, 0);
	if (!ev)
		return 0;
	ev->kind = kind;
	ev->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	ev->pad = 0;
	ev->value = value;
	ev->limit = limit;
	ev->rcvbuf = BPF_CORE_READ(sk, sk_rcvbuf);
	ev->sndbuf = BPF_CORE_READ(sk, sk_sndbuf);
	ev->pad2 = 0;
	submit(ev);
	return 0;
}

SEC("tp_btf/sock_exceed_buf_limit")
int BPF_PROG(sock_exceed_buf_limit, struct sock *sk, struct proto *prot, long allocated, int kind)
{
	long *mem;
	long limit = 0;

	if (!is_tcp_sk(sk))
		return 0;
	/* prot->sysctl_mem[2]: the hard limit, in pages. */
	mem = BPF_CORE_READ(prot, sysctl_mem);
	if (mem)
		bpf_probe_read_kernel(&limit, sizeof(limit), mem + 2);
	return emit_buffer(sk, NTB_BUFFER_EXCEED_LIMIT, allocated, limit);
}

SEC("tp_btf/tcp_rcvbuf_grow")
int BPF_PROG(tcp_rcvbuf_grow, struct sock *sk, int time)
{
	int rmem2 = BPF_CORE_READ(sk, __sk_common.skc_net.net, ipv4.sysctl_tcp_rmem[2]);

	return emit_buffer(sk, NTB_BUFFER_RCVBUF_GROW, BPF_CORE_READ(sk, sk_rcvbuf), rmem2);
}

/* ---------------------------------------------------------------- */
/* Sockets open at start (and at each chunk): iter/task_file        */
/* ---------------------------------------------------------------- */

/* Is task under one of the --cgroup subtrees? The iterator's equivalent of
 * bpf_get_current_ancestor_cgroup_id(), through cgroup->ancestors[]. */
static __always_inline int task_under_filter_cgroups(struct task_struct *task)
{
	struct cgroup *cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	int level = BPF_CORE_READ(cg, level);
	__u32 i;

	for (i = 0; i < NTB_MAX_CGROUPS && i < nr_cgroups; i++) {
		__u32 l = cgroup_levels[i];
		struct cgroup *anc = NULL;

		if (l > (__u32)level || l > 255)
			continue;
		bpf_core_read(&anc, sizeof(anc), &cg->ancestors[l]);
		if (anc && BPF_CORE_READ(anc, kn, id) == cgroup_ids[i])
			return 1;
	}
	return 0;
}

/*
 * The socket dump, second way, for kernels whose verifier no longer trusts
 * the socket behind bpf_sock_from_file() (6.18 marks file->socket->sk
 * untrusted, so bpf_skc_to_tcp_sock() and sk storage reject it):
 * map_sock_owners walks the fd tables and notes, per socket inode, the
 * process holding it; dump_tcp then walks the TCP hash tables of one
 * network namespace (the recorder creates it once inside each) with
 * trusted sockets and takes the owner from that map. The same facts as
 * dump_socks, in two passes.
 */
struct sock_owner {
	__u64 cgroup;
	__u32 tgid;
	__u8  cg_match;
	__u8  pad[3];
	char  comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);                  /* socket inode number */
	__type(value, struct sock_owner);
} sock_owners SEC(".maps");

/*
 * The opening of the task_file programs that read the socket behind a file
 * with probe reads (6.18 no longer trusts it: no socket storage, no helpers
 * that take a socket): the TCP socket behind file, or NULL for a visit
 * without a task or file, a file that is no socket, or another protocol.
 * task and file are the iterator's ctx->task and ctx->file, loaded once by
 * the caller (a second load of ctx->file would be a pointer the verifier
 * has not seen checked).
 */
static __always_inline struct sock *task_file_tcp_sk(struct task_struct *task, struct file *file)
{
	struct socket *sock;
	struct sock *sk;

	if (!task || !file)
		return NULL;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return NULL;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_TCP)
		return NULL;
	return sk;
}

SEC("iter/task_file")
int map_sock_owners(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct sock_owner o;
	__u64 ino;

	if (!task_file_tcp_sk(task, file))
		return 0;
	ino = BPF_CORE_READ(file, f_inode, i_ino);
	__builtin_memset(&o, 0, sizeof(o));
	o.tgid = BPF_CORE_READ(task, tgid);
	o.cgroup = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	o.cg_match = task_under_filter_cgroups(task);
	BPF_CORE_READ_STR_INTO(&o.comm, task, comm);
	bpf_map_update_elem(&sock_owners, &ino, &o, BPF_NOEXIST);
	return 0;
}

/* Emits one socket of the dump (sk trusted); shared by both ways. */
static __always_inline void dump_one(struct seq_file *seq, struct sock *sk, __u32 tgid,
				     __u64 cgroup, int cg_match, const char *comm)
{
	struct ntb_sockdump d;
	struct sk_state *st;
	__u8 state;

	__builtin_memset(&d, 0, sizeof(d));
	d.pid = tgid;
	d.cgroup = cgroup;
	__builtin_memcpy(d.comm, comm, sizeof(d.comm));
	st = bpf_sk_storage_get(&socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (st && !st->tgid) {
		st->tgid = tgid;
		st->cgroup = cgroup;
		st->cg_match = cg_match;
		st->cg_checked = 1;
	}
	conn_from_sk(&d.s.c, sk);
	conn_owner(&d.s.c, st);
	if (have_filters() && !conn_match(&d.s.c, st))
		return;
	d.s.h.ts = bpf_ktime_get_boot_ns();
	d.s.h.type = NTB_STATE;
	d.s.c.cookie = bpf_get_socket_cookie(sk);
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	d.s.old_state = state;
	d.s.new_state = state;
	d.s.opt_sysctl = opt_sysctl_of(sk);
	fill_tcp_details(&d.s, sk, state);
	d.s.flags |= NTB_STATE_F_TOTALS;
	if (state == NT_TCP_ESTABLISHED)
		d.s.flags |= NTB_STATE_F_HANDSHAKE;
	bpf_seq_write(seq, &d, sizeof(d));
}

SEC("iter/tcp")
int dump_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct sock_owner *o;
	struct tcp_sock *tp;
	struct sock *sk;
	__u64 ino;

	if (!skc)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0;
	sk = (struct sock *)tp;
	if (dump_mode == 1 && BPF_CORE_READ(sk, __sk_common.skc_state) != NT_TCP_LISTEN)
		return 0;
	ino = BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
	o = ino ? bpf_map_lookup_elem(&sock_owners, &ino) : NULL;
	if (!o)
		return 0;     /* held by no fd: not listed (as dump_socks) */
	dump_one(ctx->meta->seq, sk, o->tgid, o->cgroup, o->cg_match, o->comm);
	return 0;
}

/*
 * Walks every process's fd table (one visit per fd table) and dumps the TCP
 * sockets in it, in every network namespace, with the process that holds
 * them. A socket without an owner yet is bound to that process: the fd
 * table is a fact, not a guess. Sockets held by no fd (orphans, timewait,
 * kernel sockets) are not listed.
 */
SEC("iter/task_file")
int dump_socks(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct tcp_sock *tp;
	struct socket *sock;
	struct sock *sk;
	char comm[16];

	if (!task || !file)
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock || !sock->sk)
		return 0;
	tp = bpf_skc_to_tcp_sock(sock->sk);
	if (!tp)
		return 0;
	sk = (struct sock *)tp;
	if (dump_mode == 1 && BPF_CORE_READ(sk, __sk_common.skc_state) != NT_TCP_LISTEN)
		return 0;
	__builtin_memset(comm, 0, sizeof(comm));
	BPF_CORE_READ_STR_INTO(&comm, task, comm);
	dump_one(ctx->meta->seq, sk, BPF_CORE_READ(task, tgid),
		 BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id), task_under_filter_cgroups(task), comm);
	return 0;
}

/*
 * The periodic accept-queue sample where dump_socks is rejected (6.18: the
 * socket behind a file is untrusted): one walk of the fd tables, every
 * network namespace, no setns and no walk of the TCP hash tables (which
 * dump_tcp does once per namespace, empty buckets included: most of an
 * idle recorder's CPU). Only listeners, read with probe reads: no socket
 * storage (the owner is the process holding the fd, a fact) and no new
 * cookie (bpf_get_socket_cookie needs a trusted socket): a listener
 * without one was never seen by the recorder (the chunk-start dump and
 * the LISTEN transition give every listener one) and is skipped.
 */
SEC("iter/task_file")
int dump_listen_files(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct ntb_sockdump d;
	struct sk_state owner;
	struct sock *sk = task_file_tcp_sk(task, ctx->file);
	__u64 cookie;

	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_state) != NT_TCP_LISTEN)
		return 0;
	cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	if (!cookie)
		return 0;
	__builtin_memset(&owner, 0, sizeof(owner));
	owner.tgid = BPF_CORE_READ(task, tgid);
	owner.cgroup = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	owner.cg_match = task_under_filter_cgroups(task);
	__builtin_memset(&d, 0, sizeof(d));
	conn_from_sk(&d.s.c, sk);
	conn_owner(&d.s.c, &owner);
	if (have_filters() && !conn_match(&d.s.c, &owner))
		return 0;
	d.pid = owner.tgid;
	d.cgroup = owner.cgroup;
	BPF_CORE_READ_STR_INTO(&d.comm, task, comm);
	d.s.h.ts = bpf_ktime_get_boot_ns();
	d.s.h.type = NTB_STATE;
	d.s.c.cookie = cookie;
	d.s.old_state = NT_TCP_LISTEN;
	d.s.new_state = NT_TCP_LISTEN;
	d.s.opt_sysctl = opt_sysctl_of(sk);
	fill_tcp_details(&d.s, sk, NT_TCP_LISTEN);
	d.s.flags |= NTB_STATE_F_TOTALS;
	bpf_seq_write(ctx->meta->seq, &d, sizeof(d));
	return 0;
}
