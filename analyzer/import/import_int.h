/* import_int.h: the importer's private state, shared by its three parts: decoding and dispatch (import.c), the connection table (conn_table.c) and the row writers (row_writers.c). */
#ifndef NETTAPE_IMPORT_INT_H
#define NETTAPE_IMPORT_INT_H

/*
 * Invariants:
 * - One struct importer per nt_import() call; every part works on it, none
 *   keeps state of its own.
 * - A connection is an index into im->conns (stable for the whole import;
 *   the array may move when it grows, so pointers into it are only valid
 *   until the next conn_of()).
 * - Functions that can fail return 0 or -1 with the one-line message in
 *   im->err (NT_ERRLEN bytes).
 */

#include <stdint.h>
#include <time.h>

#include "store/store.h"
#include "util/hmap.h"
#include "import/import.h"
#include "tape.h"


/* A connection as the importer aggregates it (one row of `connections`). */
struct iconn {
	int64_t conn_id, host_id;
	uint64_t cookie, cgroup;
	uint32_t netns, pid;
	uint8_t family, laddr[16], raddr[16];
	uint16_t lport, rport;
	int tuple_known, listener, last_state;
	int wscale_ok, snd_wscale, rcv_wscale, mss, sack_ok, ts_ok; /* -1 unknown */
	int64_t rcvbuf, sndbuf;
	char comm[17];
	char *container;
	int64_t first_ts, last_ts;
	uint64_t bytes_acked, bytes_received, retransmits, events;
	uint64_t rtt_samples, rtt_sum, send_samples, rwnd_limited;
	int64_t rtt_min, rtt_max;
	/* Spurious-retransmission evidence and option sysctls (cumulative maxima). */
	int opt_sysctl;                      /* NT_OPT_* bits, -1 unknown */
	uint64_t retrans_segs, dsack_dups, reord_seen, undo_episodes;
	/* The kernel's send-time accounting (tcp_sock.chrono_stat), ms, maxima. */
	uint64_t busy_ms, rwnd_limited_ms, sndbuf_limited_ms;
	uint64_t snd_wnd_max; /* the largest window the peer advertised (samples) */
	/* Initial sequence numbers from the move to ESTABLISHED (NT_STATE_F_ISN), -1 unknown. */
	int64_t isn_local, isn_peer;
	int dirty, in_db;
	const struct tape_meta *comm_meta; /* metadata last searched for a missing comm */
};

enum {
	S_DROP, S_RETRANS, S_CONG, S_STATE, S_RESET, S_STALL, S_BUFFER, S_LISTEN, S_PACKET,
	S_LOSS, S_PIN, S_PROC, S_CGROUP, S_NETNS, S_IFACE, S_CONFIG, S_REASON, S_SYMBOL,
	S_CONN_INS, S_CONN_UPD, S_CONN_EXTRA, S_CHUNK_UPD, S_DAMAGE, S_SAMPLE_MULTI, S_COUNT
};

/* conn_of()'s direct-mapped cache in front of by_cookie: a power of two, a few
 * times the connections active at once (the bulk tape cycles through 2000). */
#define CONN_CACHE_BITS 13
#define CONN_CACHE (1u << CONN_CACHE_BITS)

/* Samples dominate every tape: they are inserted this many rows per statement. */
#define SAMPLE_BATCH 1024
#define SAMPLE_COLS 14
#define SAMPLE_STMTS 32

struct importer {
	struct nt_store *db;
	char *err;
	const struct nt_import_opts *opts;
	struct nt_import_stats *st;
	struct nt_stmt *s[S_COUNT];
	struct iconn *conns;
	size_t nconns, capconns;
	int64_t next_conn_id;
	struct hmap by_cookie, by_tuple;
	struct smap reasons, symbols;
	/* Per chunk. */
	int64_t host_id, chunk_id;
	int64_t shift;              /* the host's clock correction (hosts.clock_offset_ns), added to every ts */
	const struct tape_meta *meta;
	int64_t reason_cache[1024];
	struct hmap sym_cache;      /* addr -> index into sym_ids/sym_offs */
	int64_t *sym_ids, *sym_offs;
	size_t nsym, capsym;
	int64_t chunk_first, chunk_last;
	uint64_t chunk_events;
	uint64_t skip_until;        /* frames at or below this offset were imported before */
	int have_skip;
	uint64_t pending;
	uint64_t done_bytes, total_bytes, cur_chunk_size;
	int indexes_dropped;
	struct timespec last_progress;
	char first_failure[NT_ERRLEN - 100];
	uint32_t *by_cookie_cache;  /* CONN_CACHE slots: 1 + index of a connection by (host, cookie), 0 = empty */
	int64_t sbuf[SAMPLE_BATCH][SAMPLE_COLS]; /* pending sample rows; conn_id < 0 = NULL */
	unsigned sn;
	/* The sample statements by the columns that are bound once per batch (a bit
	 * per column of `samples`, row_writers.c), replaced round robin. */
	struct nt_stmt *sample_stmt[SAMPLE_STMTS];
	uint32_t sample_mask[SAMPLE_STMTS];
	unsigned sample_next;
};

#define BI(s, i, v) nt_stmt_bind_int((s), (i), (int64_t)(v))

/* import.c */
/* Sets im->err to "<what>: <the store's message>" and returns -1. */
int fail_sql(struct importer *im, const char *what);
/* Steps s once (an INSERT or UPDATE) and resets it; 0, or -1 via fail_sql(). */
int step(struct importer *im, struct nt_stmt *s, const char *what);

/* conn_table.c: the connection table (one row of `connections` per entry). */
void addr_text(int family, const uint8_t *a, char *buf, size_t len);
uint64_t cookie_key(int64_t host_id, uint64_t cookie);
/* The connection of an event: its index in im->conns, or -1 (see conn_table.c). */
int64_t conn_of(struct importer *im, const struct nt_conn *orig, int64_t ts, int may_create);
/* Cumulative per-connection counters only grow: keep the largest seen. */
void conn_counters(struct iconn *c, uint32_t total_retrans, uint32_t dsack_dups, uint32_t reord_seen);
/* What an NT_REC_STATE or NT_REC_SOCKET record says about its connection. */
void apply_handshake(struct iconn *c, const struct nt_ev_state *e);
/* Reads the connections of earlier imports into the table. 0 or -1. */
int conn_load(struct importer *im);
/* Writes the connections changed since the last flush. 0 or -1. */
int conn_flush(struct importer *im);
/* Frees the table. */
void conn_free(struct importer *im);

/* row_writers.c: the rows of the event and metadata tables. */
/* Prepares the statements (and the sample feed) / finalizes them. 0 or -1. */
int rows_prepare(struct importer *im);
void rows_finalize(struct importer *im);
/* Reads the interned drop-reason and symbol names of earlier imports. 0 or -1. */
int rows_load_names(struct importer *im);
/* Clears the per-chunk caches (reason ids, symbols) for a new chunk. */
void rows_chunk_start(struct importer *im);
/* The rows of the chunk's metadata snapshot. 0 or -1. */
int meta_snapshot(struct importer *im, const struct tape_source *src);
/* One metadata record met inline. 0 or -1. */
int meta_record(struct importer *im, const struct tape_source *src, uint16_t type,
		const void *data, uint32_t len);
/* One event record with its (shifted realtime) timestamp: its row. 0 or -1;
 * records of types without a table are ignored. */
int ev_row(struct importer *im, const struct tape_record *rec, int64_t ts);
/* Writes the pending sample rows. 0 or -1. */
int flush_samples(struct importer *im);

#endif
