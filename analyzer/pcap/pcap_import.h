/* pcap_import.h: imports packet captures (pcap, pcapng) into a nettape database, deriving the detectors' events from packets. */
#ifndef NETTAPE_PCAP_IMPORT_H
#define NETTAPE_PCAP_IMPORT_H

/*
 * Invariants (docs/SCHEMA.md "Captures"):
 * - A capture is recognised by its magic number, never by its name.
 * - One capture = one `hosts` row (hostname = the file's base name,
 *   boot_id = "pcap:" + its identity) and one `chunks` row (kind 'pcap',
 *   recording_id = identity, seq 1). Identity: a hash of the first MiB of
 *   the file and its size. A capture already imported adds nothing.
 * - Each capture is imported in one transaction: all of it or nothing.
 */

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "import/import.h"

struct nt_pcap_stats {
	uint64_t captures;        /* capture files given */
	uint64_t imported;        /* read into the database */
	uint64_t skipped;         /* already in the database */
	uint64_t failed;          /* unreadable (libpcap error, unsupported link type) */
	uint64_t packets;         /* frames read */
	uint64_t tcp;             /* of those, TCP segments stored in `packets` */
	uint64_t connections;     /* connections added */
	uint64_t events;          /* event rows derived (samples, retransmits, cong, resets, states) */
	uint64_t truncated;       /* captures that ended early (damage recorded) */
};

/* 1 when path is a regular file that starts with a pcap or pcapng magic, else 0. */
int nt_pcap_is_capture(const char *path);

/*
 * Imports every capture in paths into db (opened with nt_store_open(NT_STORE_WRITE)).
 * opts->warn gets one line per problem (a truncated capture: what was read
 * is kept, the warning names the byte offset). Returns 0 (check
 * st->failed), or -1 with a one-line message in err (NT_ERRLEN bytes) when
 * the database could not be written.
 */
int nt_pcap_import(struct nt_store *db, const char *const *paths, size_t npaths, const struct nt_import_opts *opts,
		   struct nt_pcap_stats *st, char *err);

#endif
