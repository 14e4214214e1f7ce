/* pcapng_writer.h: a minimal writer of pcapng (and classic nanosecond pcap) capture files. */
#ifndef NETTAPE_PCAPNG_WRITER_H
#define NETTAPE_PCAPNG_WRITER_H

/*
 * Writes one section in host byte order (the format's byte-order magic lets
 * readers of either endianness read it):
 *   pcapng: Section Header Block, then Interface Description Blocks as they are
 *           added (if_name, if_description, if_tsresol = 9, i.e. nanoseconds),
 *           then Enhanced Packet Blocks (epb_flags carries the direction).
 *   pcap:   the classic format with the nanosecond magic 0xa1b23c4d. It has a
 *           single link type for the whole file: the first interface added
 *           fixes it; packets of interfaces with another link type are refused
 *           with -EPROTOTYPE (the caller counts and reports them).
 *
 * Invariants:
 * - The writer never prints and never exits; functions return 0 or a negative
 *   errno. The first write error is sticky: later calls return it too.
 * - The FILE is borrowed: the caller opens it and closes it after
 *   pcapng_writer__free(); pcapng_writer__finish() flushes it and reports any
 *   error the stream had.
 * - pcapng_writer__free(NULL) is a no-op.
 */

#include <stdint.h>
#include <stdio.h>

enum pcap_out_format {
	PCAP_OUT_PCAPNG = 0,
	PCAP_OUT_PCAP   = 1, /* classic pcap, nanosecond timestamps */
};

/* epb_flags direction (pcapng: bits 0-1 of epb_flags). */
enum pcap_dir {
	PCAP_DIR_UNKNOWN  = 0,
	PCAP_DIR_INBOUND  = 1,
	PCAP_DIR_OUTBOUND = 2,
};

struct pcapng_writer;

/* Creates a writer on f and writes the file header (pcapng: the Section
 * Header Block with shb_userappl = app and shb_hardware/shb_os when given;
 * classic pcap: its header is written when the link type is known, i.e. at the
 * first interface, or at finish with LINKTYPE_ETHERNET if there is none).
 * app, os and hardware may be NULL. snaplen is written into the classic
 * header / every IDB (0 = 262144).
 * Returns NULL with errno set (ENOMEM, EINVAL, or the write error).
 * Caller frees with pcapng_writer__free(). */
struct pcapng_writer *pcapng_writer__open(FILE *f, enum pcap_out_format fmt, uint32_t snaplen,
					  const char *app, const char *os, const char *hardware);

/* Declares an interface. name and description may be NULL.
 * Returns the interface id (>= 0) to pass to pcapng_writer__packet(), or a
 * negative errno (classic pcap: -EPROTOTYPE when linktype differs from the
 * file's; the same id 0 is returned for every compatible interface). */
int pcapng_writer__add_iface(struct pcapng_writer *w, uint16_t linktype,
			     const char *name, const char *description);

/* Writes one packet: ts_ns is wall-clock nanoseconds since the epoch; data
 * holds caplen bytes; orig_len is the length on the wire (raised to caplen if
 * smaller); dir is enum pcap_dir (ignored by classic pcap).
 * Returns 0, -EINVAL (unknown interface id, caplen too large), -errno of the
 * write. */
int pcapng_writer__packet(struct pcapng_writer *w, int iface, uint64_t ts_ns,
			  const void *data, uint32_t caplen, uint32_t orig_len, enum pcap_dir dir);

/* Writes what is still pending (classic header of an empty file) and flushes
 * the FILE. Returns 0 or the first error met by any call (-errno). */
int pcapng_writer__finish(struct pcapng_writer *w);

/* Number of packets written so far. */
uint64_t pcapng_writer__npackets(const struct pcapng_writer *w);

void pcapng_writer__free(struct pcapng_writer *w);

#endif /* NETTAPE_PCAPNG_WRITER_H */
