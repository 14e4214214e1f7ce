/* pcap_analyze.h: per-connection TCP analysis of captured packets: handshake, windows, retransmissions, RTT, resets. */
#ifndef NETTAPE_PCAP_ANALYZE_H
#define NETTAPE_PCAP_ANALYZE_H

/*
 * Invariants (docs/SCHEMA.md "Captures", docs/DETECTORS.md "From packets"):
 * - Feed packets in capture order with nt_pa__packet(); the analyzer calls
 *   the sink synchronously: one packet() per TCP segment, event() for what
 *   it derives, conn_done() once per connection (when its 4-tuple is reused
 *   by a new SYN, when it was closed and quiet for NT_PA_CLOSED_IDLE_NS of
 *   capture time, or from nt_pa__finish()).
 * - Orientation: side 0 ("local") is the server (the side that received the
 *   SYN; without a handshake in the capture, the lower port; equal ports:
 *   the destination of the first packet). Side 1 is the client.
 * - Windows are in bytes with the negotiated scale applied when the
 *   handshake was captured; -1 when the scale is unknown (raw field only).
 * - No database and no I/O here: pcap_import.c writes what the sink gets.
 */

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

/* Bits of the per-packet analysis (packets.analysis). */
#define NT_PA_A_RETRANS     0x01 /* seq range already sent by this side (not a keep-alive) */
#define NT_PA_A_ZERO_WINDOW 0x02 /* window 0 in a segment without SYN/FIN/RST */
#define NT_PA_A_DUP_ACK     0x04 /* pure ACK at the sender's highest seq repeating its last ACK and (nonzero) window */
#define NT_PA_A_KEEPALIVE   0x08 /* seq = highest seq - 1 with <= 1 byte (keep-alive, window probe) */
#define NT_PA_A_GAP         0x10 /* seq beyond the highest seen: earlier segment not in the capture */

enum nt_pa_ev {
	NT_PA_EV_ZERO_START,  /* side advertised a zero window (sample kind 1 local / 3 remote) */
	NT_PA_EV_ZERO_END,    /* ... a nonzero one again (kind 2 / 4) */
	NT_PA_EV_RETRANS,     /* a retransmitted segment */
	NT_PA_EV_CONG,        /* derived congestion state change (Open/Disorder -> Recovery/Loss and back) */
	NT_PA_EV_RTT,         /* an RTT sample (smoothed), kind 0 or 5 (spike start) */
	NT_PA_EV_RESET,       /* RST segment */
	NT_PA_EV_ESTABLISHED, /* handshake complete (SYN, SYN-ACK and the ACK seen) */
};

struct nt_pa_event {
	enum nt_pa_ev type;
	int64_t ts;           /* realtime ns */
	int side;             /* 0 local (server), 1 remote (client): who sent it */
	uint32_t seq;
	int kind;             /* RETRANS: 0 data, 1 SYN, 2 SYN-ACK; RTT: sample kind 0 / 5 */
	int ca_state;         /* RETRANS: 4 RTO-like, 3 fast, 1 other (TLP, early retransmit); CONG: new state */
	int old_state;        /* CONG */
	int backoff;          /* RETRANS: consecutive RTO-like retransmits */
	uint32_t srtt_us;     /* sender's smoothed RTT at the time (0 unknown) */
	uint32_t gap_us;      /* RETRANS: silence before it (the observed timeout for RTO-like) */
	int64_t rcv_wnd;      /* local's last advertised window (bytes, scaled when known; -1 none) */
	int64_t snd_wnd;      /* remote's last advertised window */
	uint64_t bytes_acked; /* local's data acked by the remote so far */
};

struct nt_pa_seg {
	uint32_t end;         /* seq after the segment */
	uint8_t rtx;          /* (part of it) was sent again: no RTT sample (Karn) */
	int64_t ts;
};

struct nt_pa_rtt {
	int64_t ts;
	uint32_t srtt_us;
	uint8_t kind;         /* 0 sample, 5 spike start */
	int64_t rcv_wnd, snd_wnd;
	uint64_t bytes_acked;
};

/* One endpoint of a connection, as a sender. */
struct nt_pa_side {
	int syn_seen;
	uint32_t isn;
	int wscale;               /* SYN option, -1 none */
	uint16_t mss;
	int sack_perm, ts_opt;
	int have_seq;
	uint32_t base;            /* first seq (ISN + 1 when the SYN was seen) for byte counts */
	uint32_t snd_max;         /* highest seq + len sent */
	int have_una;
	uint32_t snd_una;         /* highest ACK from the peer */
	uint64_t bytes;           /* payload bytes sent (new data) */
	uint64_t retrans;         /* retransmitted segments */
	uint64_t zero_segments, zero_episodes;
	int zero;                 /* inside a zero-window episode */
	int64_t win;              /* last advertised window, bytes (or raw when the scale is unknown) */
	int win_seen;
	uint16_t win_raw;
	/* As a receiver: duplicate ACKs it sent. */
	uint32_t last_ack;
	int dupacks, last_sack;
	int64_t last_ts;          /* last packet it sent */
	int fin;
	/* Recovery as a sender. */
	int ca;                   /* 0 Open, 1 Disorder, 3 Recovery, 4 Loss */
	uint32_t recover;
	int backoff;
	/* Outstanding segments for RTT (ring). */
	struct nt_pa_seg *segs;
	size_t seg_head, seg_n, seg_cap;
	/* Smoothed RTT (RFC 6298) of its data, and the samples to keep. */
	int64_t srtt_us, rttvar_us, min_srtt_us;
	uint64_t nrtt;
	int in_spike;
	int64_t last_row_ts;
	struct nt_pa_rtt *rtt;
	size_t nrtt_rows, caprtt;
};

struct nt_pa_conn {
	int64_t conn_id;
	uint8_t family;
	uint8_t addr[2][16];      /* [0] local (server), [1] remote (client) */
	uint16_t port[2];
	int by_handshake;         /* orientation from the SYN/SYN-ACK (else port heuristic) */
	int64_t first_ts, last_ts;
	uint64_t packets;
	int wscale_known, wscale_ok;
	int shift[2];             /* applied to the windows side i advertises */
	int established, reset, state;
	int rtt_side;             /* side whose RTT samples were kept (set before conn_done) */
	struct nt_pa_side side[2];
};

struct nt_pa_sink {
	/* A TCP segment: side that sent it, the window in bytes (-1 unknown), analysis bits. */
	int (*packet)(void *ctx, const struct nt_pa_conn *c, const struct nt_packet *p, int64_t ts, int side,
		      int64_t window, unsigned analysis);
	int (*event)(void *ctx, const struct nt_pa_conn *c, const struct nt_pa_event *e);
	/* The connection is complete; c is freed after the call. */
	int (*conn_done)(void *ctx, const struct nt_pa_conn *c);
	void *ctx;
};

struct nt_pa;

/* New analyzer; connection ids are assigned from first_conn_id up. NULL on ENOMEM.
 * Free with nt_pa__free(). */
struct nt_pa *nt_pa__new(const struct nt_pa_sink *sink, int64_t first_conn_id);
/* One parsed TCP segment captured at ts (realtime ns). Returns 0 or the
 * first nonzero value a sink callback returned (-ENOMEM on allocation failure). */
int nt_pa__packet(struct nt_pa *a, const struct nt_packet *p, int64_t ts);
/* Completes every open connection (conn_done for each). Returns 0 or a sink's error. */
int nt_pa__finish(struct nt_pa *a);
/* Next unused connection id. */
int64_t nt_pa__next_conn_id(const struct nt_pa *a);
void nt_pa__free(struct nt_pa *a);

/* Tunables (docs/DETECTORS.md "From packets"). */
#define NT_PA_RTO_MIN_NS   180000000LL /* RTO-like: silence >= this + the sender's srtt (Linux RTO min 200 ms, -10 %) */
#define NT_PA_RTT_ROW_NS   1000000LL   /* keep at most one RTT sample row per 1 ms per side */
#define NT_PA_SPIKE_MULT   4           /* RTT spike: srtt >= 4 x min srtt ... (as the recorder) */
#define NT_PA_SPIKE_MIN_US 5000        /* ... and >= min + 5 ms; ends below 2 x min */
#define NT_PA_SEG_MAX      65536       /* outstanding segments remembered per side for RTT */
#define NT_PA_CLOSED_IDLE_NS 60000000000LL /* a closed connection quiet this long is completed ... */
#define NT_PA_SWEEP_EVERY  65536       /* ... checked every this many packets */

#endif
