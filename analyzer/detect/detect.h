/* detect.h: the detectors: documented rules over an imported database that produce findings (docs/DETECTORS.md). */
#ifndef NETTAPE_DETECT_H
#define NETTAPE_DETECT_H

/*
 * Each detector reads the database (never writes it), applies the report
 * filter (time window, connection, pid) and appends findings. A finding is
 * one fact with its evidence: what, where (connection/process/host), when,
 * how much. Correlation (incident.h) groups findings into incidents.
 * Thresholds live in struct nt_detect_opts; each has a name for
 * 'nettape report --set NAME=VALUE' and a default documented in
 * docs/DETECTORS.md.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/store.h"

enum nt_fkind {
	NT_F_ZERO_WINDOW,     /* zero-window episodes on a connection (one side) */
	NT_F_NO_WSCALE,       /* window scaling not negotiated */
	NT_F_RWND_LIMITED,    /* sender limited by the receiver's window */
	NT_F_DROPS,           /* drops of one reason/location on a connection (or tuple) */
	NT_F_LISTEN_OVERFLOW, /* a listener's accept queue overflowed */
	NT_F_SYN_RETRANS,     /* client SYN retransmits to a service (connect slow/failing) */
	NT_F_RTO,             /* retransmission timeouts */
	NT_F_FAST_RETRANS,    /* fast retransmits / recovery episodes */
	NT_F_RTT_SPIKE,       /* RTT far above the connection's own baseline */
	NT_F_READ_STALL,      /* data waited in the receive queue */
	NT_F_SLOW_RESPONSE,   /* request -> response took long */
	NT_F_RESET,           /* resets sent or received */
	NT_F_RECORDER_LOSS,   /* the recorder itself lost events */
	NT_F_SPURIOUS,        /* retransmits the receiver already had (D-SACKed): reordering, not loss */
	NT_F__COUNT
};

/* Short stable name ("zero_window", ...), used in JSON and options. */
const char *nt_fkind_name(enum nt_fkind k);

struct nt_finding {
	enum nt_fkind kind;
	int64_t host_id;
	int64_t conn_id;          /* 0 when not tied to one connection */
	uint32_t pid;             /* owner, 0 unknown */
	int64_t t_start, t_end;   /* realtime ns */
	uint64_t count;           /* episodes, drops, retransmits, resets ... */
	uint64_t count2;          /* a second count (kind-specific, see summary) */
	int64_t duration_ns;      /* time affected in total (stall time, Loss time ...) */
	int64_t max_ns;           /* the longest single episode */
	double value, baseline;   /* kind-specific: peak vs baseline RTT ms, share ... */
	char side[12];            /* zero window: "rcv" (we advertised 0) or "snd" (the peer did); reset: "sent", "received", "both";
				   * rwnd_limited: "time" when count/count2 are the kernel's rwnd_limited/busy ms, else samples */
	char what[160];           /* reason name, location, listener address ... */
	char summary[320];        /* one line of evidence for humans */
	int open_at_end;          /* an episode still open when the data ended */
	double impact;            /* ranking weight (docs/DETECTORS.md "Impact") */
	int harmless;             /* set by the detector: normal traffic, evidence only (a listener's
				   * resets answering stray segments) */
	int context;              /* set by correlation: folded into another incident as its context
				   * (the traffic that filled a queue); never names the cause */
	/* Drops only, typed for correlation (never parsed back from what/summary): */
	int drop_class;           /* enum nt_drop_class (format/names.h) of the reason */
	char drop_reason[48];     /* the kernel's reason name, without SKB_DROP_REASON_ ("QDISC_DROP") */
	unsigned drop_flags;      /* NT_DROPF_* */
};
#define NT_DROPF_QDISC     0x1 /* QDISC_DROP: a full queue */
#define NT_DROPF_NETFILTER 0x2 /* NETFILTER_DROP, or dropped in an nf_hook_* function */

struct nt_findings {
	struct nt_finding *v;
	size_t n, cap;
};

void nt_findings_free(struct nt_findings *f);
/* Appends a zeroed finding of kind k; NULL on ENOMEM. */
struct nt_finding *nt_findings_add(struct nt_findings *f, enum nt_fkind k);

/* Report filter: 0 / INT64 bounds mean "no filter". */
struct nt_filter {
	int64_t from, to;         /* realtime ns, 0 = unbounded */
	int64_t conn_id;          /* 0 = all */
	uint32_t pid;             /* 0 = all */
};

struct nt_detect_opts {
	double zw_min_total_ms, zw_min_episodes, zw_min_longest_ms;
	double wscale_report;
	double rwnd_min_share, rwnd_min_samples, rwnd_min_ms, rwnd_max_window;
	double drops_min;
	double listen_min_syn_retrans;
	double rto_min_episodes;
	double fast_min_retrans, fast_min_episodes, spurious_slack, spurious_undone_share;
	double rtt_factor, rtt_min_ms, rtt_merge_ms, rtt_min_samples;
	double stall_read_ms, stall_response_ms;
	double reset_min;
	double loss_min;
	double incident_gap_s, incident_min_impact;
};

void nt_detect_opts_default(struct nt_detect_opts *o);
/* "name=value" (names as in docs/DETECTORS.md, e.g. zero_window.min_total_ms).
 * Returns 0 or -1 with a one-line message in err (NT_ERRLEN). */
int nt_detect_opts_set(struct nt_detect_opts *o, const char *kv, char *err);
/* Prints every option with its value and meaning (for --list-options). */
void nt_detect_opts_print(FILE *f, const struct nt_detect_opts *o);

/* A zero-window interval, kept for other detectors (zero-window probes). */
struct nt_interval {
	int64_t conn_id, start, end;
};

struct nt_detect_ctx {
	struct nt_store *st;
	const struct nt_filter *filter;
	const struct nt_detect_opts *opts;
	struct nt_findings *out;
	struct nt_interval *zw;   /* sorted by conn_id, start */
	size_t nzw, capzw;
	char *err;
};

/* Runs every detector in a fixed order. Returns 0 or -1 with err filled. */
int nt_detect_all(struct nt_store *st, const struct nt_filter *f, const struct nt_detect_opts *o,
		  struct nt_findings *out, char *err);

/* The detectors (each returns 0 or -1 with ctx->err filled). */
int nt_detect_zero_window(struct nt_detect_ctx *c);
int nt_detect_no_wscale(struct nt_detect_ctx *c);
int nt_detect_rwnd_limited(struct nt_detect_ctx *c);
int nt_detect_drops(struct nt_detect_ctx *c);
int nt_detect_listen(struct nt_detect_ctx *c);
int nt_detect_retrans(struct nt_detect_ctx *c);
int nt_detect_rtt(struct nt_detect_ctx *c);
int nt_detect_stalls(struct nt_detect_ctx *c);
int nt_detect_resets(struct nt_detect_ctx *c);
int nt_detect_losses(struct nt_detect_ctx *c);

/* Prepares sql and binds the filter to the named parameters it uses
 * (:from, :to, :conn, :pid; NULL when unset). NULL with ctx->err on error. */
struct nt_stmt *nt_detect_prepare(struct nt_detect_ctx *c, const char *sql);

/* Whether a drop finding is teardown noise: packets for a closed socket or
 * resets (NO_SOCKET, TCP_RESET, TCP_ABORT_ON_DATA, ...; format/names.h classes). */
int nt_drop_teardown(const struct nt_finding *f);

/* Whether it is a duplicate the receiver discarded: data or a sequence range
 * it already had (TCP_OLD_DATA, TCP_OLD_SEQUENCE), the echo of retransmits. */
int nt_drop_duplicate(const struct nt_finding *f);

/* Whether conn was inside a zero-window episode at ts (within slack_ns). */
int nt_detect_in_zero_window(const struct nt_detect_ctx *c, int64_t conn_id, int64_t ts, int64_t slack_ns);

/* SQL snippet of the filter for table alias t with connection alias c. */
#define NT_FILTER_SQL(t, c) \
	" (:from IS NULL OR " t ".ts >= :from) AND (:to IS NULL OR " t ".ts <= :to)" \
	" AND (:conn IS NULL OR " t ".conn_id = :conn) AND (:pid IS NULL OR " c ".pid = :pid) "

#endif
