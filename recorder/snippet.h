/* snippet.h: packet-header snippets (libpcap) kept in a bounded pre-trigger ring and written into the tape around trigger fires. */
#ifndef NETTAPE_RECORDER_SNIPPET_H
#define NETTAPE_RECORDER_SNIPPET_H

/*
 * Capture: libpcap on one interface or "any" (then LINKTYPE_LINUX_SLL2, so
 * each packet carries its ifindex and direction), snaplen bytes, filter
 * "(USER FILTER) and tcp" compiled by libpcap, nanosecond timestamps. The
 * socket lives in the recorder's network namespace, or in --pcap-netns NAME
 * (setns around opening it only: the recorder itself stays put).
 *
 * Live, the pre-trigger ring is in the kernel: a TPACKET_V3 packet socket
 * of the same kind as libpcap's, with the filter libpcap attached to its
 * own (which is then closed), whose mmap-ed blocks are held oldest first and
 * given back when the kernel needs room. No per-packet work in user space:
 * packets are parsed only at a fire, or while a window is open. When that
 * is not possible (libpcap filters in user space, --pcap-buffer above 1 GiB,
 * force_libpcap) libpcap runs in immediate mode and every packet is copied
 * into a ring in user space, as offline captures always are.
 *
 * Invariants:
 * - Without a fire nothing is written: packets only enter the in-memory
 *   ring, which never holds more than ring_bytes (entry headers included);
 *   the oldest packets are evicted first.
 * - A fire for connection C at T writes C's packets (4-tuple, either
 *   direction; zero address/port in the fire = wildcard, family 0 = every
 *   packet) with time in [T - pre, T + post] as NT_REC_PACKET records: those
 *   already in the ring at once, later ones as they arrive. A packet is
 *   written at most once, even when several windows cover it.
 * - Record timestamps are on the tape's clock (CLOCK_BOOTTIME): libpcap
 *   gives CLOCK_REALTIME (the skb timestamp), converted with a (boottime,
 *   realtime) pair refreshed every second. Alignment error: the pair's read
 *   spread (two clock_gettime calls, see snippet_clock_spread) plus any
 *   realtime step or slew since the last refresh, plus the distance between
 *   the kernel's skb timestamp and the tracepoint that produced the event
 *   (driver receive / dev_queue_xmit vs. TCP processing: microseconds).
 * - Never prints: messages go to the log callback.
 */

#include <stddef.h>
#include <stdint.h>

#include "trigger.h"

struct snippet_opts {
	const char *iface;            /* interface name; NULL or "any" = all (SLL2) */
	const char *filter;           /* tcpdump expression; NULL = every TCP packet */
	const char *netns;            /* /run/netns name or an ns path; NULL = our own */
	uint32_t snaplen;             /* 0 = 128 */
	uint64_t ring_bytes;          /* pre-trigger ring; 0 = 16 MiB; at least 64 KiB */
	uint32_t pcap_buffer;         /* libpcap's kernel buffer (libpcap path); 0 = 4 MiB */
	int force_libpcap;            /* 1 = libpcap copies every packet (tests, benchmarks) */
	uint64_t pre_ns;              /* 0 = 10 s */
	uint64_t post_ns;             /* 0 = 10 s */
	uint32_t max_window_packets;  /* packets written per fire at most; 0 = 100000 */
	uint32_t netns_inode;         /* nt_rec_packet.netns; 0 = inode of the capture netns */
	/* Writes one record into the tape (tape_writer__append). Required. */
	int (*append)(void *ctx, uint16_t type, uint64_t ts, const void *data, uint32_t len);
	/* level: enum log_level of recorder/log.h. May be NULL. */
	void (*log)(void *ctx, int level, const char *msg);
	void *ctx;
	/* Clock pair source (tests): boottime and realtime ns now.
	 * NULL = clock_gettime (boottime read on both sides of realtime). */
	void (*clock_pair)(void *ctx, uint64_t *boot_ns, uint64_t *real_ns);
};

struct snippet_stats {
	uint64_t packets;             /* packets captured */
	uint64_t unparsed;            /* not IPv4/IPv6 TCP (libpcap path: kept out of the
				       * ring; kernel ring: among the packets parsed) */
	uint64_t ring_entries;        /* packets in the ring now */
	uint64_t ring_used;           /* bytes in use now (headers included) */
	uint64_t ring_peak;           /* most bytes ever in use */
	uint64_t ring_bytes;          /* the bound */
	uint64_t evicted;             /* packets evicted from the ring */
	uint64_t written;             /* NT_REC_PACKET records written */
	uint64_t write_errors;
	uint64_t fires;
	uint64_t windows_active;
	uint64_t window_capped;       /* packets not written: max_window_packets reached */
	uint64_t pcap_recv, pcap_drop, pcap_ifdrop; /* pcap_stats (live only) */
	uint64_t clock_spread_ns;     /* read spread of the current clock pair */
	uint64_t clock_spread_max_ns; /* largest spread of a pair in use so far */
	int linktype;                 /* LINKTYPE_* of the records */
	int kernel_ring;              /* 1: the ring is the kernel's TPACKET_V3 ring */
};

struct snippet;

/* Opens the live capture. Returns NULL, sets errno and writes a one-line
 * reason into err ("no such device", "bad filter: ...", "permission
 * denied: needs CAP_NET_RAW"). Caller frees with snippet__free(). */
struct snippet *snippet__open(const struct snippet_opts *o, char *err, size_t errlen);

/* Same over a pcap file (tests, replays): nothing is read until
 * snippet__feed_offline. The clock pair is taken once, at open. */
struct snippet *snippet__open_offline(const struct snippet_opts *o, const char *path, char *err,
				      size_t errlen);
void snippet__free(struct snippet *s);

/* Pollable descriptor of the live capture (POLLIN when packets wait), -1
 * offline and with the kernel ring (poll with snippet__timeout_ms then). */
int snippet__fd(const struct snippet *s);

/* Longest wait in ms before the next snippet__poll (1-100): with the kernel
 * ring, short enough at the current packet rate that the kernel always
 * finds a free block. */
int snippet__timeout_ms(const struct snippet *s);

/* Reads every waiting packet into the ring (kernel ring: takes the blocks
 * the kernel handed over) and into the tape for open windows, closes
 * windows that ended, refreshes the clock pair once a second. now: boottime
 * ns. Returns the packets read or a negative errno. */
int snippet__poll(struct snippet *s, uint64_t now);

/* Offline: reads up to max packets (0 = all). Returns the packets read,
 * 0 at the end of the file, or a negative errno. */
int snippet__feed_offline(struct snippet *s, uint64_t max);

/* A trigger fired: drains the capture, writes the ring's packets of f->conn
 * from f->ts - pre on, and opens a window until f->ts + post. Returns the
 * packets written now or a negative errno. */
int snippet__fire(struct snippet *s, const struct trigger_fire *f);

void snippet__stats(struct snippet *s, struct snippet_stats *st);

/* Measures the (boottime, realtime) pair: rounds back-to-back reads, the
 * spread (boottime after - boottime before) min / median / max in ns. */
void snippet_clock_spread(unsigned rounds, uint64_t *min, uint64_t *median, uint64_t *max);

#endif /* NETTAPE_RECORDER_SNIPPET_H */
