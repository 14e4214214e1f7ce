/* nettape.h: in-memory ABI shared by bpf/nettape.bpf.c and the recorder (ring-buffer events, maps, config). */
#ifndef NETTAPE_BPF_H
#define NETTAPE_BPF_H

/*
 * This is the kernel/user contract of ONE build: both sides are compiled
 * from this header and loaded together, so it is never on disk and never
 * versioned. The tape's on-disk layouts are in format/records.h; the
 * recorder (recorder/capture.c) converts field by field.
 *
 * Conventions: __u32/__u64 only, natural alignment, explicit padding, every
 * event starts with struct ntb_hdr. Ports host order, addresses network
 * order (IPv4 in the first 4 bytes), timestamps CLOCK_BOOTTIME ns.
 */

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Event classes: the ring-buffer event type, and the index of the per-CPU
 * loss counters (map "losses", one __u64 per class per CPU). */
enum ntb_class {
	NTB_DROP = 0,
	NTB_RETRANS,
	NTB_CONG,
	NTB_STATE,
	NTB_SAMPLE,
	NTB_RESET,
	NTB_STALL,
	NTB_BUFFER,
	NTB_OWNER,     /* a (pid, comm, cgroup) seen as a socket owner for the first time */
	NTB_NCLASS,
};

/* Sizes of the filter lists in .rodata (0 entries = no filter). */
#define NTB_MAX_PORTS   16
#define NTB_MAX_NETNS   8
#define NTB_MAX_PIDS    8
#define NTB_MAX_CGROUPS 4
/* Drop reasons below this value can be marked as noise (bitmap). */
#define NTB_NOISE_BITS  1024

/* Values of format/records.h enums the kernel side emits (it cannot include
 * the on-disk header; recorder/decode.c asserts they agree). */
#define NTB_RETRANS_DATA   0
#define NTB_RETRANS_SYN    1
#define NTB_RETRANS_SYNACK 2
#define NTB_SAMPLE_PERIODIC       0
#define NTB_SAMPLE_RCV_ZERO_START 1
#define NTB_SAMPLE_RCV_ZERO_END   2
#define NTB_SAMPLE_SND_ZERO_START 3
#define NTB_SAMPLE_SND_ZERO_END   4
#define NTB_SAMPLE_RTT_SPIKE      5
#define NTB_RESET_SENT     0
#define NTB_RESET_RECEIVED 1
#define NTB_STALL_READ     0
#define NTB_STALL_RESPONSE 1
#define NTB_BUFFER_EXCEED_LIMIT 0
#define NTB_BUFFER_RCVBUF_GROW  1

#define NTB_CONN_F_PKT_ORDER 0x0001  /* tuple in packet order, no socket known */

struct ntb_hdr {
	__u64 ts;        /* bpf_ktime_get_boot_ns() */
	__u16 type;      /* enum ntb_class */
	__u16 cpu;
	__u32 pad;
};

struct ntb_conn {
	__u64 cookie;
	__u64 cgroup;    /* owner cgroup v2 id, 0 unknown */
	__u32 netns;     /* netns inode, 0 unknown */
	__u32 pid;       /* owner tgid, 0 unknown */
	__u8  family;
	__u8  proto;
	__u16 sport;
	__u16 dport;
	__u16 flags;     /* NTB_CONN_F_* */
	__u8  saddr[16];
	__u8  daddr[16];
};

struct ntb_drop {
	struct ntb_hdr h;
	struct ntb_conn c;
	__u64 location;
	__u32 reason;
	__u32 skb_len;
	__u32 seq;
	__u32 ack_seq;
	__u32 ifindex;
	__u16 window;
	__u8  tcp_flags;
	__u8  sk_state;
	char  ifname[16];
};

struct ntb_retrans {
	struct ntb_hdr h;
	struct ntb_conn c;
	__u32 seq;
	__u32 srtt_us;
	__u32 rto_us;
	__u32 snd_wnd;
	__u32 snd_cwnd;
	__u32 total_retrans;
	__u8  state;
	__u8  ca_state;
	__u8  kind;      /* values of format's enum nt_retrans_kind */
	__u8  backoff;
	__u32 pad;
};

struct ntb_cong {
	struct ntb_hdr h;
	struct ntb_conn c;
	__u8  old_state;
	__u8  new_state;
	__u16 pad;
	__u32 snd_cwnd;
	__u32 ssthresh;
	__u32 srtt_us;
	__u32 packets_out;
	__u32 retrans_out;
	/* Spurious-retransmission evidence (cumulative per connection). */
	__u32 total_retrans;
	__u32 dsack_dups;
	__u32 reord_seen;
	__u32 undo_marker;   /* 0 after an undo (or when no recovery is open) */
	__s32 undo_retrans;
	__u32 pad2;
};

/* Bits of ntb_state.opt_sysctl: the socket's namespace's option sysctls. */
#define NTB_OPT_WSCALE 0x01  /* net.ipv4.tcp_window_scaling */
#define NTB_OPT_TS     0x02  /* net.ipv4.tcp_timestamps */
#define NTB_OPT_SACK   0x04  /* net.ipv4.tcp_sack */
#define NTB_OPT_VALID  0x80

#define NTB_STATE_F_HANDSHAKE 0x01
#define NTB_STATE_F_TOTALS    0x02
#define NTB_STATE_F_LISTENER  0x04
#define NTB_STATE_F_ISN       0x08

/* Also the layout of the socket dump's entries (open sockets), old == new. */
struct ntb_state {
	struct ntb_hdr h;
	struct ntb_conn c;
	__u8  old_state;
	__u8  new_state;
	__u8  wscale_ok;
	__u8  snd_wscale;
	__u8  rcv_wscale;
	__u8  sack_ok;
	__u8  ts_ok;
	__u8  flags;     /* NTB_STATE_F_* */
	__u16 mss;
	__u16 advmss;
	__u32 rcvbuf;
	__u32 sndbuf;
	__u32 srtt_us;
	__u32 total_retrans;
	__u32 snd_cwnd;
	__u32 backlog;   /* listeners: sk_ack_backlog */
	__u32 max_backlog;
	__u32 drops;     /* listeners: sk_drops (listen queue overflows and drops) */
	__u32 pad2;
	__u64 bytes_acked;
	__u64 bytes_received;
	__u32 dsack_dups;
	__u32 reord_seen;
	__u8  opt_sysctl; /* NTB_OPT_* */
	__u8  pad3[7];
	__u32 isn_local;  /* with NTB_STATE_F_ISN: this end's initial sequence number */
	__u32 isn_peer;   /* and the peer's */
};

struct ntb_sample {
	struct ntb_hdr h;
	struct ntb_conn c;
	__u8  kind;      /* values of format's enum nt_sample_kind */
	__u8  state;
	__u8  ca_state;
	__u8  pad;
	__u32 srtt_us;
	__u32 min_rtt_us;
	__u32 rcv_wnd;
	__u32 snd_wnd;
	__u32 snd_cwnd;
	__u32 ssthresh;
	__u32 packets_out;
	__u32 rcv_queue;
	__u32 snd_queue;
	__u64 bytes_acked;
	__u64 bytes_received;
	__u32 total_retrans;
	__u32 dsack_dups;
	__u32 busy_ms;          /* tcp_sock.chrono_stat, cumulative, all three */
	__u32 rwnd_limited_ms;
	__u32 sndbuf_limited_ms;
	__u32 pad2;
};

struct ntb_reset {
	struct ntb_hdr h;
	struct ntb_conn c;
	__u8  kind;      /* values of format's enum nt_reset_kind */
	__u8  state;
	__u16 pad;
	__u32 reason;
};

struct ntb_stall {
	struct ntb_hdr h;
	struct ntb_conn c;
	__u8  kind;      /* values of format's enum nt_stall_kind */
	__u8  state;
	__u16 pad;
	__u32 bytes;
	__u64 wait_ns;
};

struct ntb_buffer {
	struct ntb_hdr h;
	struct ntb_conn c;
	__u8  kind;      /* values of format's enum nt_buffer_kind */
	__u8  state;
	__u16 pad;
	__u32 value;
	__u32 limit;
	__u32 rcvbuf;
	__u32 sndbuf;
	__u32 pad2;
};

/* One record of the socket dump (iter/task_file program "dump_socks",
 * read with read(2) from the iterator fd, not through the ring buffer):
 * a TCP socket held open by a process, with that process. */
struct ntb_sockdump {
	struct ntb_state s;  /* old_state == new_state == current state */
	__u64 cgroup;
	__u32 pid;           /* tgid holding the socket in its fd table */
	__u32 pad;
	char  comm[16];
};

struct ntb_owner {
	struct ntb_hdr h;
	__u64 cookie;    /* the socket that revealed this owner */
	__u64 cgroup;
	__u32 pid;       /* tgid */
	__u32 tid;
	char  comm[16];
};

#endif /* NETTAPE_BPF_H */
