/* records.h: on-disk record types and payload layouts of the nettape tape format. */
#ifndef NETTAPE_RECORDS_H
#define NETTAPE_RECORDS_H

/*
 * Contract (see docs/FORMAT.md, section "Records"):
 * - Every struct here is an ON-DISK layout: little-endian, natural alignment,
 *   explicit padding (all padding bytes written as zero), sizes pinned by the
 *   _Static_asserts below. Never change a layout in place: add a field at the
 *   end (readers accept payloads longer than they know and zero-fill shorter
 *   known prefixes), or add a new record type.
 * - The record timestamp is not part of the payload: it lives in the record
 *   header (struct tape_record.ts, kernel CLOCK_BOOTTIME nanoseconds).
 * - Strings in payloads are not NUL-terminated; their length is the rest of
 *   the record (or an explicit length field).
 * - The library only supports little-endian hosts (checked at compile time).
 * This is not the BPF ABI: bpf/nettape.h is the in-memory kernel/user
 * contract; the recorder converts between the two.
 */

#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "nettape format/ supports little-endian hosts only (see docs/FORMAT.md errata)"
#endif

/* Record types. 0x0001-0x00ff metadata, 0x0100-0x01ff events,
 * 0x0200-0x02ff packets, 0xff00-0xffff reserved for the format itself. */
enum nt_rec_type {
	NT_REC_CLOCK       = 0x0001, /* struct nt_rec_clock */
	NT_REC_ENUM_NAME   = 0x0002, /* struct nt_rec_enum_name + name */
	NT_REC_SYMBOL      = 0x0003, /* struct nt_rec_symbol + name */
	NT_REC_PROCESS     = 0x0004, /* struct nt_rec_process + cmdline */
	NT_REC_CGROUP      = 0x0005, /* struct nt_rec_cgroup + path + container */
	NT_REC_NETNS       = 0x0006, /* struct nt_rec_netns + name */
	NT_REC_IFACE       = 0x0007, /* struct nt_rec_iface + name */
	NT_REC_SOCKET      = 0x0008, /* struct nt_ev_state: socket open at chunk start */
	NT_REC_LOSS        = 0x0009, /* struct nt_rec_loss */
	NT_REC_PIN         = 0x000a, /* struct nt_rec_pin + description */
	NT_REC_CONFIG      = 0x000b, /* "key=value" text */

	NT_REC_DROP        = 0x0100, /* struct nt_ev_drop */
	NT_REC_RETRANS     = 0x0101, /* struct nt_ev_retrans */
	NT_REC_CONG        = 0x0102, /* struct nt_ev_cong */
	NT_REC_STATE       = 0x0103, /* struct nt_ev_state */
	NT_REC_SAMPLE      = 0x0104, /* struct nt_ev_sample */
	NT_REC_RESET       = 0x0105, /* struct nt_ev_reset */
	NT_REC_STALL       = 0x0106, /* struct nt_ev_stall */
	NT_REC_BUFFER      = 0x0107, /* struct nt_ev_buffer */
	NT_REC_LISTEN      = 0x0108, /* struct nt_ev_listen */

	NT_REC_PACKET      = 0x0200, /* struct nt_rec_packet + captured bytes */
};

static inline int nt_rec_is_meta(uint16_t t) { return t >= 0x0001 && t <= 0x00ff; }
static inline int nt_rec_is_event(uint16_t t) { return t >= 0x0100 && t <= 0x01ff; }

/* Kinds of enum tables carried by NT_REC_ENUM_NAME (names come from the
 * recording kernel's BTF where the kernel has the enum). */
enum nt_enum_kind {
	NT_ENUM_DROP_REASON = 1, /* enum skb_drop_reason */
	NT_ENUM_TCP_STATE   = 2, /* TCP_ESTABLISHED ... */
	NT_ENUM_CA_STATE    = 3, /* enum tcp_ca_state: TCP_CA_Open ... */
	NT_ENUM_RST_REASON  = 4, /* enum sk_rst_reason */
	NT_ENUM_TRIGGER     = 5, /* enum nt_trigger_kind */
};

/* Connection identity carried by every event (64 bytes).
 * Orientation: when the socket is known, saddr/sport is the LOCAL side of
 * that socket. When it is not (a drop before socket lookup), the tuple is in
 * packet order (saddr = packet source) and NT_CONN_F_PKT_ORDER is set.
 * Ports are in host byte order; addresses in network byte order, IPv4 in the
 * first 4 bytes of the 16, the rest zero. */
struct nt_conn {
	uint64_t cookie;   /* socket cookie; 0 when no socket is known */
	uint64_t cgroup;   /* cgroup v2 id of the owner; 0 unknown */
	uint32_t netns;    /* network namespace inode; 0 unknown */
	uint32_t pid;      /* owner tgid bound in process context; 0 unknown */
	uint8_t  family;   /* 2 = AF_INET, 10 = AF_INET6 */
	uint8_t  proto;    /* 6 = TCP */
	uint16_t sport;
	uint16_t dport;
	uint16_t flags;    /* NT_CONN_F_* */
	uint8_t  saddr[16];
	uint8_t  daddr[16];
};
#define NT_CONN_F_PKT_ORDER 0x0001

/* NT_REC_DROP: skb:kfree_skb with a reason that is not filtered as noise. */
struct nt_ev_drop {
	struct nt_conn c;
	uint64_t location;   /* kernel text address; name via NT_REC_SYMBOL */
	uint32_t reason;     /* enum skb_drop_reason value of the recording kernel */
	uint32_t skb_len;
	uint32_t seq;        /* TCP seq of the dropped segment (host order) */
	uint32_t ack_seq;
	uint32_t ifindex;
	uint16_t window;     /* raw TCP window field, unscaled */
	uint8_t  tcp_flags;  /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 ... */
	uint8_t  sk_state;   /* TCP state of the socket, 0 when none */
};

enum nt_retrans_kind {
	NT_RETRANS_DATA   = 0, /* tcp:tcp_retransmit_skb on a synchronized socket */
	NT_RETRANS_SYN    = 1, /* tcp_retransmit_skb in SYN_SENT (client SYN retransmit) */
	NT_RETRANS_SYNACK = 2, /* tcp:tcp_retransmit_synack */
};

/* NT_REC_RETRANS */
struct nt_ev_retrans {
	struct nt_conn c;
	uint32_t seq;
	uint32_t srtt_us;
	uint32_t rto_us;
	uint32_t snd_wnd;
	uint32_t snd_cwnd;
	uint32_t total_retrans;
	uint8_t  state;      /* TCP state */
	uint8_t  ca_state;   /* TCP_CA_Open=0 Disorder=1 CWR=2 Recovery=3 Loss=4 */
	uint8_t  kind;       /* enum nt_retrans_kind */
	uint8_t  backoff;    /* icsk_backoff */
	uint32_t pad;
};

/* NT_REC_CONG: tcp:tcp_cong_state_set */
struct nt_ev_cong {
	struct nt_conn c;
	uint8_t  old_state;
	uint8_t  new_state;
	uint16_t pad;
	uint32_t snd_cwnd;
	uint32_t ssthresh;
	uint32_t srtt_us;
	uint32_t packets_out;
	uint32_t retrans_out;
	/* Added in 2026-12 (format 1.1, additive: zero in older tapes): the
	 * connection's cumulative retransmitted segments, D-SACKed segments
	 * (tcp_sock.dsack_dups: retransmissions the receiver already had) and
	 * reordering events, and the undo state: undo_marker is 0 on a
	 * transition out of Recovery/Loss when the kernel undid the reduction
	 * (the episode was spurious). */
	uint32_t total_retrans;
	uint32_t dsack_dups;
	uint32_t reord_seen;
	uint32_t undo_marker;
	int32_t  undo_retrans;
	uint32_t pad2;
};

/* NT_REC_STATE: sock:inet_sock_set_state (also the layout of NT_REC_SOCKET,
 * where old_state == new_state == the current state).
 * Handshake fields are valid when new_state is ESTABLISHED (or for
 * NT_REC_SOCKET when state is ESTABLISHED); totals when new_state is CLOSE. */
struct nt_ev_state {
	struct nt_conn c;
	uint8_t  old_state;
	uint8_t  new_state;
	uint8_t  wscale_ok;   /* rx_opt.wscale_ok: window scaling negotiated */
	uint8_t  snd_wscale;
	uint8_t  rcv_wscale;
	uint8_t  sack_ok;
	uint8_t  ts_ok;
	uint8_t  flags;       /* NT_STATE_F_* */
	uint16_t mss;         /* mss_cache */
	uint16_t advmss;
	uint32_t rcvbuf;
	uint32_t sndbuf;
	uint32_t srtt_us;
	uint32_t total_retrans;
	uint32_t snd_cwnd;
	uint64_t bytes_acked;
	uint64_t bytes_received;
	/* Added in 2026-12 (additive): D-SACKed segments and reordering events so far, and
	 * the option sysctls of the socket's network namespace (NT_OPT_*; 0 =
	 * unknown, e.g. an older tape): what this end could offer in its SYN or
	 * SYN-ACK. */
	uint32_t dsack_dups;
	uint32_t reord_seen;
	uint8_t  opt_sysctl;
	uint8_t  pad3[7];
	/* Added 2026-12-04 (additive): the initial sequence numbers of the
	 * connection, derived at the move to ESTABLISHED (valid with
	 * NT_STATE_F_ISN): this end's (the sequence number of its SYN or SYN-ACK)
	 * and the peer's. The two ends of one connection carry them crosswise. */
	uint32_t isn_local;
	uint32_t isn_peer;
};
#define NT_OPT_WSCALE 0x01 /* net.ipv4.tcp_window_scaling was 1 */
#define NT_OPT_TS     0x02 /* net.ipv4.tcp_timestamps was non-zero */
#define NT_OPT_SACK   0x04 /* net.ipv4.tcp_sack was 1 */
#define NT_OPT_VALID  0x80 /* the bits above were read */
/* The size of NT_REC_STATE / NT_REC_SOCKET in format 1.0 (shorter is damage). */
#define NT_REC_SOCKET_MIN_V1 112
#define NT_STATE_F_HANDSHAKE 0x01 /* handshake fields are valid */
#define NT_STATE_F_TOTALS    0x02 /* totals (bytes, retrans, rtt) are valid */
#define NT_STATE_F_LISTENER  0x04 /* socket is a listener */
#define NT_STATE_F_ISN       0x08 /* isn_local and isn_peer are valid */

enum nt_sample_kind {
	NT_SAMPLE_PERIODIC       = 0,
	NT_SAMPLE_RCV_ZERO_START = 1, /* we advertised a zero window */
	NT_SAMPLE_RCV_ZERO_END   = 2,
	NT_SAMPLE_SND_ZERO_START = 3, /* the peer advertised a zero window */
	NT_SAMPLE_SND_ZERO_END   = 4,
	NT_SAMPLE_RTT_SPIKE      = 5, /* srtt well above the running minimum */
	NT_SAMPLE_WND_CHANGE     = 6, /* large window or cwnd change */
};

/* NT_REC_SAMPLE: windows and RTT reduced in the kernel from tcp:tcp_probe. */
struct nt_ev_sample {
	struct nt_conn c;
	uint8_t  kind;        /* enum nt_sample_kind */
	uint8_t  state;
	uint8_t  ca_state;
	uint8_t  pad;
	uint32_t srtt_us;
	uint32_t min_rtt_us;  /* running minimum of srtt for this connection */
	uint32_t rcv_wnd;     /* our advertised window, bytes (scaled) */
	uint32_t snd_wnd;     /* the peer's advertised window, bytes (scaled) */
	uint32_t snd_cwnd;    /* segments */
	uint32_t ssthresh;
	uint32_t packets_out;
	uint32_t rcv_queue;   /* bytes received, not yet read by the process */
	uint32_t snd_queue;   /* bytes written, not yet acked */
	uint64_t bytes_acked;
	uint64_t bytes_received;
	/* Added in 2026-12 (additive): cumulative retransmitted and D-SACKed segments. */
	uint32_t total_retrans;
	uint32_t dsack_dups;
	/* Added 2026-12-04 (additive): the kernel's send-time accounting
	 * (tcp_sock.chrono_stat, what ss -ti prints as busy / rwnd_limited /
	 * sndbuf_limited), cumulative milliseconds since the connection began;
	 * busy_ms is the total of the three, as tcpi_busy_time. */
	uint32_t busy_ms;
	uint32_t rwnd_limited_ms;
	uint32_t sndbuf_limited_ms;
	uint32_t pad2;
};

enum nt_reset_kind {
	NT_RESET_SENT     = 0, /* tcp:tcp_send_reset */
	NT_RESET_RECEIVED = 1, /* tcp:tcp_receive_reset */
};

/* NT_REC_RESET */
struct nt_ev_reset {
	struct nt_conn c;
	uint8_t  kind;        /* enum nt_reset_kind */
	uint8_t  state;
	uint16_t pad;
	uint32_t reason;      /* enum sk_rst_reason for sent resets, 0 otherwise */
};

enum nt_stall_kind {
	NT_STALL_READ     = 0, /* data waited in the receive queue before a read */
	NT_STALL_RESPONSE = 1, /* request read -> response sent took long */
};

/* NT_REC_STALL */
struct nt_ev_stall {
	struct nt_conn c;
	uint8_t  kind;        /* enum nt_stall_kind */
	uint8_t  state;
	uint16_t pad;
	uint32_t bytes;
	uint64_t wait_ns;
};

enum nt_buffer_kind {
	NT_BUFFER_EXCEED_LIMIT = 0, /* sock:sock_exceed_buf_limit */
	NT_BUFFER_RCVBUF_GROW  = 1, /* tcp:tcp_rcvbuf_grow */
};

/* NT_REC_BUFFER */
struct nt_ev_buffer {
	struct nt_conn c;
	uint8_t  kind;        /* enum nt_buffer_kind */
	uint8_t  state;
	uint16_t pad;
	uint32_t value;       /* allocated / new rcvbuf */
	uint32_t limit;
	uint32_t rcvbuf;
	uint32_t sndbuf;
	uint32_t pad2;
};

/* NT_REC_LISTEN: a listener's accept queue, sampled (or on overflow). */
struct nt_ev_listen {
	struct nt_conn c;     /* the listening socket */
	uint32_t backlog;     /* sk_ack_backlog */
	uint32_t max_backlog; /* sk_max_ack_backlog */
	uint32_t overflows;   /* listener drops since the previous sample: the
	                       * socket's sk_drops, which tcp_listendrop() bumps
	                       * with TcpExtListenDrops (accept-queue overflows
	                       * AND the listener's other drops). The name is kept
	                       * for compatibility; see FORMAT.md errata. */
	uint32_t pad;
};

/* NT_REC_CLOCK: a (boottime, realtime) pair taken together. */
struct nt_rec_clock {
	uint64_t boottime_ns;
	uint64_t realtime_ns; /* CLOCK_REALTIME, ns since the epoch */
	uint64_t monotonic_ns;
};

/* NT_REC_ENUM_NAME: one name of an enum table; name follows. */
struct nt_rec_enum_name {
	uint16_t kind;        /* enum nt_enum_kind */
	uint16_t pad;
	uint32_t value;
};

/* NT_REC_SYMBOL: a kernel text symbol; name follows. */
struct nt_rec_symbol {
	uint64_t addr;
};

/* NT_REC_PROCESS: a process seen as a socket owner; cmdline follows
 * (arguments separated by spaces, possibly truncated). */
struct nt_rec_process {
	uint32_t pid;
	uint32_t ppid;
	uint64_t cgroup;
	uint64_t start_ns;    /* boottime of process start, 0 unknown */
	char     comm[16];    /* NUL-padded */
};

/* NT_REC_CGROUP: path_len bytes of cgroup path, then container_len bytes of
 * container id (may be 0). */
struct nt_rec_cgroup {
	uint64_t id;
	uint16_t path_len;
	uint16_t container_len;
	uint32_t pad;
};

/* NT_REC_NETNS: name follows ("init", the /run/netns name, or "ns:<inode>"). */
struct nt_rec_netns {
	uint32_t inode;
	uint32_t pad;
};

/* NT_REC_IFACE: interface name follows. */
struct nt_rec_iface {
	uint32_t netns;
	uint32_t ifindex;
};

/* NT_REC_LOSS: events the kernel side could not deliver (ring buffer full). */
struct nt_rec_loss {
	uint16_t rec_type;    /* the NT_REC_* class that was lost; 0 = all/unknown */
	uint16_t cpu;         /* 0xffff = all CPUs */
	uint32_t pad;
	uint64_t count;
	uint64_t from_ns;     /* boottime interval in which the loss happened */
	uint64_t to_ns;
};

enum nt_trigger_kind {
	NT_TRIGGER_MANUAL      = 0,
	NT_TRIGGER_ZERO_WINDOW = 1,
	NT_TRIGGER_DROP_BURST  = 2,
	NT_TRIGGER_RTO         = 3,
	NT_TRIGGER_RTT_SPIKE   = 4,
	NT_TRIGGER_LISTEN_OVERFLOW = 5,
};

/* NT_REC_PIN: a trigger fired; the chunks covering [ts - pre, ts + post] are
 * pinned against rotation. Description text follows. */
struct nt_rec_pin {
	uint16_t kind;        /* enum nt_trigger_kind */
	uint16_t pad;
	uint32_t pad2;
	uint64_t cookie;      /* affected connection, 0 = all */
	uint64_t pre_ns;
	uint64_t post_ns;
};

/* NT_REC_PACKET: a packet-header snippet (libpcap), bytes follow
 * (caplen = record length - sizeof(struct nt_rec_packet)). The record
 * timestamp is the packet time converted to the tape's boottime clock. */
struct nt_rec_packet {
	uint64_t cookie;      /* connection if known, else 0 */
	uint32_t netns;
	uint32_t ifindex;
	uint32_t orig_len;
	uint16_t linktype;    /* pcap LINKTYPE_* of the bytes */
	uint8_t  dir;         /* 0 unknown, 1 in, 2 out */
	uint8_t  pad;
};

_Static_assert(sizeof(struct nt_conn) == 64, "nt_conn layout");
_Static_assert(sizeof(struct nt_ev_drop) == 96, "nt_ev_drop layout");
_Static_assert(sizeof(struct nt_ev_retrans) == 96, "nt_ev_retrans layout");
_Static_assert(sizeof(struct nt_ev_cong) == 112, "nt_ev_cong layout");
_Static_assert(sizeof(struct nt_ev_state) == 136, "nt_ev_state layout");
_Static_assert(sizeof(struct nt_ev_sample) == 144, "nt_ev_sample layout");
_Static_assert(sizeof(struct nt_ev_reset) == 72, "nt_ev_reset layout");
_Static_assert(sizeof(struct nt_ev_stall) == 80, "nt_ev_stall layout");
_Static_assert(sizeof(struct nt_ev_buffer) == 88, "nt_ev_buffer layout");
_Static_assert(sizeof(struct nt_ev_listen) == 80, "nt_ev_listen layout");
_Static_assert(sizeof(struct nt_rec_clock) == 24, "nt_rec_clock layout");
_Static_assert(sizeof(struct nt_rec_enum_name) == 8, "nt_rec_enum_name layout");
_Static_assert(sizeof(struct nt_rec_process) == 40, "nt_rec_process layout");
_Static_assert(sizeof(struct nt_rec_cgroup) == 16, "nt_rec_cgroup layout");
_Static_assert(sizeof(struct nt_rec_loss) == 32, "nt_rec_loss layout");
_Static_assert(sizeof(struct nt_rec_pin) == 32, "nt_rec_pin layout");
_Static_assert(sizeof(struct nt_rec_packet) == 24, "nt_rec_packet layout");

/* Names for display ("drop", "retrans", ...); "unknown" for others. */
const char *nt_rec_type_name(uint16_t type);
/* Fixed payload size of a known type (minimum length a reader accepts), 0 for
 * unknown types, or the fixed prefix for types with trailing text. */
uint32_t nt_rec_min_size(uint16_t type);

#endif /* NETTAPE_RECORDS_H */
