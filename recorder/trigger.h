/* trigger.h: live trigger engine: detects incidents (zero window, drop burst, RTO, RTT spike, listen overflow) on the decoded event stream. */
#ifndef NETTAPE_RECORDER_TRIGGER_H
#define NETTAPE_RECORDER_TRIGGER_H

/*
 * Pure logic: no I/O, no clock, no printing. Fed with every decoded event
 * record (type NT_REC_*, boottime ts, payload as in format/records.h) in
 * roughly increasing time order; reports fires through a callback.
 *
 * Invariants:
 * - One episode fires once: after a fire for (kind, connection), the same
 *   kind on the same connection is silent for cooldown_ns.
 * - Memory is bounded: per-connection state lives in fixed direct-mapped
 *   tables (a hash collision can, rarely, reset a burst counter or let a
 *   cooldown be forgotten early; it never grows memory).
 * - Fires are also rate-limited host-wide (max_per_min) so that a storm
 *   cannot turn into a storm of pins and snippets.
 * - Drops whose reason is noise (the noise list, always including
 *   PACKET_SOCK_ERROR: the snippet capture's own packet socket) never count.
 */

#include <stddef.h>
#include <stdint.h>

#include "records.h"

#define TRIGGER_DESC_MAX 192

/* One fire. conn is the affected connection in the event's orientation:
 * cookie 0 when unknown; an all-zero address or port is a wildcard (listen
 * overflow: local port only), family 0 = every connection (host-wide). */
struct trigger_fire {
	uint16_t kind;                 /* enum nt_trigger_kind */
	uint64_t ts;                   /* boottime ns of the event that fired */
	uint64_t cookie;               /* == conn.cookie */
	struct nt_conn conn;
	char desc[TRIGGER_DESC_MAX];   /* NUL-terminated human text */
};

#define TRIGGER_KIND_BIT(k) (1u << (k))
#define TRIGGER_ALL_KINDS  0x3eu   /* every automatic kind (not MANUAL) */

struct trigger_opts {
	unsigned kinds;                /* TRIGGER_KIND_BIT mask; 0 = TRIGGER_ALL_KINDS */
	uint64_t cooldown_ns;          /* per (kind, connection); 0 = 60 s */
	uint32_t max_per_min;          /* host-wide fires per minute; 0 = 30 */
	/* drop burst: >= drop_n non-noise drops of one connection within
	 * drop_window_ns; host-wide (conn family 0) with >= drop_all_n. */
	uint32_t drop_n;               /* 0 = 10 (at most 32) */
	uint64_t drop_window_ns;       /* 0 = 1 s */
	uint32_t drop_all_n;           /* 0 = 200; counted in fixed windows of drop_window_ns */
	/* listen overflow from SYN / SYNACK retransmits: >= syn_n on one port
	 * within syn_window_ns. */
	uint32_t syn_n;                /* 0 = 8 (at most 32) */
	uint64_t syn_window_ns;        /* 0 = 1 s */
	/* Drop reasons that never count, comma-separated names without the
	 * SKB_DROP_REASON_ prefix; NULL = "NOT_SPECIFIED,SKB_CONSUMED,
	 * QUEUE_PURGE,OTHERHOST". PACKET_SOCK_ERROR is always added. */
	const char *noise;
	/* Name of a drop reason value (with or without the SKB_DROP_REASON_
	 * prefix), NULL if unknown. NULL callback = names unknown (then only
	 * NT_REC_LISTEN and SYN bursts detect listen overflows, and no reason
	 * is noise). trigger_meta_reason_name adapts a struct tape_meta. */
	const char *(*reason_name)(void *ctx, uint32_t reason);
	void *reason_ctx;
	/* Called for each fire; f is valid during the call only. */
	void (*fire)(void *ctx, const struct trigger_fire *f);
	void *fire_ctx;
};

struct trigger_stats {
	uint64_t events;               /* events fed */
	uint64_t fired[6];             /* per enum nt_trigger_kind */
	uint64_t cooldown;             /* detections silenced by the cooldown */
	uint64_t rate_limited;         /* detections silenced by max_per_min */
	uint64_t noise_drops;          /* drops ignored as noise */
	uint64_t dup_drops;            /* TCP_OLD_DATA/TCP_OLD_SEQUENCE: not counted as loss */
};

struct trigger;

/* Copies opts (the noise string is parsed now). Returns NULL and sets errno
 * (ENOMEM, EINVAL for a bad option). Caller frees with trigger__free(). */
struct trigger *trigger__new(const struct trigger_opts *opts);
void trigger__free(struct trigger *t);

/* Feeds one event record (NT_REC_DROP, RETRANS, CONG, SAMPLE, LISTEN; other
 * types are counted and ignored). Returns the number of fires it caused
 * (0 or 1), -EINVAL for a payload shorter than its layout. */
int trigger__feed(struct trigger *t, uint16_t type, uint64_t ts, const void *data, uint32_t len);

/* A manual fire (signal, test) for conn (NULL = every connection); not
 * subject to the cooldown or the rate limit. Calls the fire callback. */
void trigger__manual(struct trigger *t, uint64_t ts, const struct nt_conn *conn, const char *desc);

void trigger__stats(const struct trigger *t, struct trigger_stats *st);

/* Display name of a trigger kind ("zero_window", ...), as in nettape info. */
const char *trigger_kind_name(uint16_t kind);

/* reason_name adapter: ctx is a struct tape_meta holding the
 * NT_ENUM_DROP_REASON table (the recorder's kmeta fills it). */
const char *trigger_meta_reason_name(void *ctx, uint32_t reason);

/* "198.18.0.1:5001 <-> 198.18.0.2:40000" into buf; returns buf. */
const char *trigger_conn_str(const struct nt_conn *c, char *buf, size_t len);

#endif /* NETTAPE_RECORDER_TRIGGER_H */
