/* import_ch.h: imports tapes into a nettape ClickHouse database (docs/CLICKHOUSE.md), idempotently per chunk, as nt_import() does into SQLite. */
#ifndef NETTAPE_IMPORT_CH_H
#define NETTAPE_IMPORT_CH_H

#include <stddef.h>
#include <stdint.h>

#include "import/import.h"

struct nt_ch;

/* What nt_import_ch() adds to struct nt_import_stats. */
struct nt_ch_import_stats {
	uint64_t rows;        /* rows sent (events, connections, metadata) */
	uint64_t wire_bytes;  /* request bytes sent (after gzip) */
	uint64_t raw_bytes;   /* RowBinary bytes before compression */
	uint64_t recovered;   /* batches of an interrupted import removed before they were sent again */
	double decode_s;      /* seconds spent decoding chunks (the SQLite row code) */
	double send_s;        /* seconds spent formatting rows and waiting for the sender (the rest overlaps decoding) */
};

/*
 * Imports every chunk of every path (tape directories or chunk files) into
 * the ClickHouse database ch (opened with NT_CH_WRITE). Each chunk is decoded
 * by nt_import() into an in-memory SQLite store that holds its host's state
 * (chunks, connections, names) read back from ClickHouse; sample rows go
 * straight from the decoder into RowBinary, the other new rows are read back
 * from the store. Rows go out in RowBinary inserts, in order, from a queue on
 * one sender thread while decoding goes on, for groups of chunks: per chunk
 * and batch (the frame offset an import continues from), ingest_log gets a
 * begin before the group's rows and a commit after them and after the chunk
 * rows. A batch begun and not committed (a crash, a lost server) is deleted
 * before it is sent again, so a chunk imported twice adds nothing and a
 * growing .partial continues where the last import stopped.
 * One importer per host at a time (ids are numbered per host).
 * Returns 0 (check st->chunks_failed), or -1 with err.
 */
int nt_import_ch(struct nt_ch *ch, const char *const *paths, size_t npaths, const struct nt_import_opts *opts,
		 struct nt_import_stats *st, struct nt_ch_import_stats *cst, char *err);

#endif
