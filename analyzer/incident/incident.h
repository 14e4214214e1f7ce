/* incident.h: correlation of findings into incidents (per process, connection and time window) with a cause chain. */
#ifndef NETTAPE_INCIDENT_H
#define NETTAPE_INCIDENT_H

/*
 * nt_analyze() runs the detectors and groups their findings:
 * - findings of one host and owner process (else one connection, else one
 *   subject such as a drop location) whose times lie within
 *   incident.gap_s of each other form one incident;
 * - "window scaling not negotiated" is a condition, not an event: it joins
 *   the incident of its connection, else the connections of one process
 *   without other findings form one low-impact incident;
 * - recorder losses form their own incident and add a caveat to every
 *   incident of that host that overlaps them;
 * - incidents holding the two ends of one connection (local/remote
 *   swapped) and overlapping in time are merged;
 * - each incident gets a cause and a fix hint from the rules in
 *   docs/DETECTORS.md ("Correlation"), and an impact; incidents are sorted
 *   by impact, highest first, and numbered from 1.
 * Everything in struct nt_analysis is owned by it; free with nt_analysis_free().
 */

#include "store/store.h"

#include "detect/detect.h"
#include "store/host_clock.h"

struct nt_conninfo {
	int64_t conn_id, host_id;
	char host[64];
	char local[80], remote[80];
	uint32_t pid;
	char comm[32];
	char container[96];
	int wscale_ok, snd_wscale, rcv_wscale, listener; /* -1 unknown */
	int opt_sysctl;           /* NT_OPT_* bits of the namespace's sysctls, -1 unknown */
	char netns[64];           /* network namespace name, "" unknown */
	int64_t first_ts, last_ts;
	int64_t bytes_acked, bytes_received, retransmits;
	int64_t rtt_min_us, rtt_avg_us, rtt_max_us;
};

/* Where a TCP option was switched off: the process, namespace and host
 * whose sysctl kept it from being offered (valid = 0: none found). */
struct nt_culprit {
	int valid;
	int64_t host_id;
	char host[64], netns[64], addrs[128];
	uint32_t pid;
	char comm[32], container[96];
	char setting[64];         /* "net.ipv4.tcp_window_scaling=0" */
	int64_t connections, unscaled; /* of the culprit process in that namespace */
};

/* Another party of a cause chain (the traffic that filled a shared queue). */
struct nt_related {
	char role[16];            /* "filler" */
	int64_t host_id;
	char host[64];
	uint32_t pid;
	char comm[32], container[96];
	int64_t connections, bytes;
	char dest[64];            /* the destination it shares with the victim */
	int toward_victim;        /* dest is the victim's own address (the queue in front of it) */
};

struct nt_incident {
	int id;
	int64_t host_id;
	char host[64];
	uint32_t pid;
	char comm[32];
	char container[96];
	int64_t t_start, t_end;
	size_t *find;             /* indices into nt_analysis.findings.v, by time */
	size_t nfind;
	int64_t *conns;           /* connection ids involved */
	size_t nconns;
	enum nt_fkind primary;    /* the finding kind that names the cause */
	char title[256];
	char cause[640];
	unsigned cause_flags;     /* NT_CAUSE_*: what the cause says, for the correlation passes (never parsed from the text) */
	char fix[640];
	char caveat[320];         /* recorder losses overlapping this incident, or "" */
	double impact;
	int note;                 /* below incident.min_impact: a note, not an incident */
	struct nt_culprit culprit;
	struct nt_related related[4];
	size_t nrelated;
};

#define NT_CAUSE_QUEUEING 0x1 /* the cause names queueing delay on the path */

struct nt_analysis {
	struct nt_filter filter;
	struct nt_detect_opts opts;
	struct nt_findings findings;
	struct nt_incident *inc;  /* ninc incidents, then nnotes notes (below incident.min_impact) */
	size_t ninc, nnotes;
	int show_notes;           /* renderers list the notes too (report --all); JSON always does */
	struct nt_conninfo *conns; /* every connection an incident names, by conn_id */
	size_t nconns;
	/* The data: */
	int64_t data_first, data_last;   /* realtime ns of the first/last event */
	int64_t events, connections, chunks, lost_events;
	char hosts[512];                 /* "host1, host2" */
	/* Clock alignment of each host (import/clock.h), when the data has more
	 * than one host; nclocks may exceed the array (the rest are not shown). */
	struct nt_host_clock clocks[16];
	size_t nclocks;
};

/* Runs detectors and correlation. Returns 0, or -1 with err (NT_ERRLEN). */
int nt_analyze(struct nt_store *st, const struct nt_filter *f, const struct nt_detect_opts *o,
	       struct nt_analysis *a, char *err);
void nt_analysis_free(struct nt_analysis *a);

/* How many of a->inc a renderer lists: the incidents, plus the notes with show_notes. */
static inline size_t nt_analysis_shown(const struct nt_analysis *a)
{
	return a->ninc + (a->show_notes ? a->nnotes : 0);
}

/* First and last wall-clock time of the data (events, losses, chunk creation). */
void nt_data_range(struct nt_store *st, int64_t *first, int64_t *last);

/* The connection record of conn_id, or NULL. */
const struct nt_conninfo *nt_analysis_conn(const struct nt_analysis *a, int64_t conn_id);

/* "10.0.0.1:5201 -> 10.0.0.2:40000" of a connection; "" for 0. Returns buf. */
char *nt_conn_label(const struct nt_analysis *a, int64_t conn_id, char *buf, size_t len);
/* "iperf3[1234]" or "pid 1234" or "unknown process". Returns buf. */
char *nt_proc_label(const char *comm, uint32_t pid, char *buf, size_t len);
/* Human name of a finding kind ("zero-window stalls"). */
const char *nt_fkind_title(enum nt_fkind k);

#endif
