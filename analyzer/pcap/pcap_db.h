/* pcap_db.h: 'nettape pcap DB' writes the packets table of an imported database as pcapng/pcap. */
#ifndef NETTAPE_PCAP_DB_H
#define NETTAPE_PCAP_DB_H

/*
 * The database side of `nettape pcap` (the tape side is in cmd_pcap.c; both
 * feed the same pcapng_writer):
 * - Packets are written in ts order (wall-clock ns; ties in import order,
 *   i.e. rowid) with their stored bytes, orig_len and link type. Rows from
 *   tapes keep their direction (packets.dir 1 in, 2 out -> epb_flags); rows
 *   from imported captures (hosts.boot_id 'pcap:...') get no direction, since
 *   their dir means server/client, not in/out.
 * - One interface per (host, netns, ifindex, linktype), named from the
 *   interfaces/netns/hosts tables as the tape path names them from the tape's
 *   metadata ("ifN" / "ns:INODE" when unknown; a capture's interface is named
 *   after the capture).
 * - --conn uses the conn_filter helpers of selection.h: every row of
 *   connections goes through conn_filter_match_conn() first (learning the
 *   cookies of matching tuples, or a cookie's tuple), then each packet through
 *   conn_filter_match_packet() on its cookie and parsed headers, as for tapes.
 * - Only the base columns of packets are read (chunk_id, ts, cookie, netns,
 *   ifindex, orig_len, linktype, dir, data), so databases made before the
 *   added columns work too. The database is only read.
 * Never prints, never exits.
 */

#include <stdint.h>

#include "store/store.h"
#include "util/selection.h"
#include "pcap/pcapng_writer.h"

struct nt_pcap_db_stats {
	uint64_t rows;             /* rows in packets (whole database) */
	uint64_t written;          /* packets written */
	uint64_t skipped_linktype; /* refused by classic pcap (another link type) */
	uint64_t malformed;        /* rows with an impossible link type, time or length */
};

/* Writes the packets of db (opened with nt_store_open(NT_STORE_READ)) that match
 * cf (may be NULL or inactive) and lie in [from_ns, to_ns] (0 = open end)
 * to w. *st is filled (zeroed first).
 * Returns 0, or a negative errno: the writer's error with err[0] == '\0', or
 * -EIO / -ENOMEM with a one-line description of the database problem in err
 * (NT_ERRLEN bytes; no program name). */
int nt_pcap_db_write(struct nt_store *db, struct pcapng_writer *w, struct conn_filter *cf,
		     uint64_t from_ns, uint64_t to_ns, struct nt_pcap_db_stats *st, char *err);

#endif /* NETTAPE_PCAP_DB_H */
