/* pcap_export.h: writes the packet snippets of tapes to a pcapng/pcap writer, selected by time and --conn (nettape pcap, nettape bundle). */
#ifndef NETTAPE_PCAP_EXPORT_H
#define NETTAPE_PCAP_EXPORT_H

/*
 * One pcapng interface per (tape, netns, ifindex, link type), named from the
 * tape's interface and namespace tables. The caller owns the writer and the
 * reader; nt_pcap_export__release() frees only the interface table.
 * Never prints: warnings are counted in the struct.
 */

#include <stdint.h>

#include "pcap/pcapng_writer.h"
#include "util/selection.h"
#include "tape.h"

/* One pcapng interface per (tape, netns, ifindex, linktype). */
struct pcap_iface {
	unsigned tape_no;
	uint32_t netns, ifindex;
	uint16_t linktype;
	int id;               /* pcapng interface id, or <0 = refused (classic pcap) */
};

struct nt_pcap_export {
	struct pcapng_writer *w;      /* the caller's */
	struct pcap_iface *ifs;
	size_t nifs, capifs;
	uint64_t skipped_linktype;    /* packets of a link type the (classic pcap) writer refused */
	uint64_t short_records;       /* NT_REC_PACKET records shorter than their header */
};

/* Frees the interface table of x (not the writer); x may then be reused. */
void nt_pcap_export__release(struct nt_pcap_export *x);

/* --conn on tapes, first pass: learns the connection's cookies and tuple from
 * its events and socket records. Best effort: an unreadable tape is reported
 * by the second pass. */
void nt_pcap_learn_conn(const char *const *paths, size_t npaths, const struct tape_reader_opts *ro,
			struct conn_filter *cf);

/* Writes the packet snippets of rd within [from_ns, to_ns] (realtime, 0 = open
 * end) that cf selects. Returns the reader's last status (0 at the end, < 0 a
 * tape error); *err receives a writer error (negative errno) or stays 0. */
int nt_pcap_export_tape(struct nt_pcap_export *c, struct tape_reader *rd, struct conn_filter *cf,
			uint64_t from_ns, uint64_t to_ns, int *err);

/*
 * All packet snippets of the tapes (directories or chunk files) into a new
 * pcapng file out, written as out.partial and renamed. *npackets (may be
 * NULL) receives the count. 0, or a negative errno / tape error; on error
 * nothing is left at out.
 */
int nt_pcap_export_file(const char *const *paths, size_t npaths, const char *out, uint64_t *npackets);

#endif
