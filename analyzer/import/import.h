/* import.h: imports tapes (one or many hosts) into a nettape SQLite database, idempotently per chunk. */
#ifndef NETTAPE_IMPORT_H
#define NETTAPE_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct nt_import_opts {
	uint64_t batch_events;   /* commit after this many events, at a frame boundary; 0 = 500000 */
	/* Progress (may be NULL): bytes of chunk files done / total, events so far. */
	void (*progress)(void *ctx, uint64_t done_bytes, uint64_t total_bytes, uint64_t events);
	/* Warnings (may be NULL): one line, no newline (damage, unreadable chunk). */
	void (*warn)(void *ctx, const char *line);
	void *ctx;
	/* Leave the indexes dropped and skip ANALYZE after the load: for a caller that reads the new
	 * rows once and deletes them (the ClickHouse import's scratch store). */
	int no_indexes;
	/* Sample rows (the 14 columns of `samples` in order; conn_id < 0 stands for NULL), handed
	 * over n at a time in the order they would be inserted, instead of being inserted (NULL:
	 * inserted as usual). Returns 0, or -1 to stop the import (the sink fills err first). */
	int (*sample_sink)(void *ctx, const int64_t (*rows)[14], unsigned n);
	void *sink_ctx;
};

struct nt_import_stats {
	uint64_t chunks;          /* chunk files found */
	uint64_t chunks_imported; /* read (fully or from where an earlier import stopped) */
	uint64_t chunks_skipped;  /* already in the database */
	uint64_t chunks_failed;   /* unreadable (bad header ...) */
	uint64_t events;          /* event rows added */
	uint64_t meta;            /* metadata records processed */
	uint64_t damaged;         /* damage places reported by the reader */
	uint64_t connections;     /* connections added */
	uint64_t bytes;           /* chunk file bytes read */
};

/*
 * Imports every chunk of every path (a tape directory or a chunk file) into
 * db, which nt_store_open(NT_STORE_WRITE) opened. A chunk already imported
 * completely is skipped (identity: recording id + chunk sequence); a chunk
 * imported while it was still being written (.partial) continues after the
 * last frame imported. Indexes are dropped before the bulk load and built
 * after it.
 * Returns 0 (check st->chunks_failed), or -1 with a one-line message in err
 * (NT_ERRLEN bytes) when the database could not be written or nothing could
 * be read at all.
 */
int nt_import(struct nt_store *db, const char *const *paths, size_t npaths,
	      const struct nt_import_opts *opts, struct nt_import_stats *st, char *err);

/* Formats one warning line (at most 1023 bytes, no newline) and hands it to
 * opts->warn; nothing when opts->warn is NULL. The importers of tapes (import.c)
 * and of captures (pcap/pcap_import.c) warn through it. */
void nt_import_warn(const struct nt_import_opts *opts, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
