/* pcap_parse.h: decodes one captured frame (Ethernet, Linux cooked SLL/SLL2, raw IP) down to its TCP header. */
#ifndef NETTAPE_PCAP_PARSE_H
#define NETTAPE_PCAP_PARSE_H

/*
 * Invariants:
 * - Pure functions over a byte buffer: no allocation, no I/O, never read
 *   past caplen (fuzz-safe).
 * - Addresses are in network byte order in 16 bytes (IPv4 in the first 4,
 *   the rest zero), ports and sequence numbers in host order, as in
 *   struct nt_conn (format/records.h).
 * - payload is the TCP payload length the IP header announces (a capture
 *   truncated by its snaplen still reports the on-the-wire length).
 */

#include <stddef.h>
#include <stdint.h>

/* TCP flags as in the TCP header's flags byte. */
#define NT_TH_FIN 0x01
#define NT_TH_SYN 0x02
#define NT_TH_RST 0x04
#define NT_TH_PSH 0x08
#define NT_TH_ACK 0x10
#define NT_TH_URG 0x20
#define NT_TH_ECE 0x40
#define NT_TH_CWR 0x80

struct nt_tcp_pkt {
	uint8_t family;          /* 2 IPv4, 10 IPv6 */
	uint8_t flags;           /* NT_TH_* */
	uint16_t sport, dport;
	uint8_t saddr[16], daddr[16];
	uint32_t seq, ack;
	uint16_t win;            /* raw window field (unscaled) */
	uint32_t payload;        /* TCP payload bytes (from the IP length) */
	uint32_t hdr_end;        /* offset of the end of the TCP header in the frame */
	int wscale;              /* window-scale option shift, -1 when absent */
	uint16_t mss;            /* MSS option, 0 when absent */
	uint8_t sack_perm;       /* SACK-permitted option present */
	uint8_t sack_blocks;     /* number of SACK blocks in this segment */
	uint8_t has_ts;          /* timestamp option present */
	uint32_t tsval, tsecr;
};

enum nt_parse_result {
	NT_PARSE_TCP = 0,        /* *out filled */
	NT_PARSE_NOT_TCP = 1,    /* a valid frame, but not TCP over IPv4/IPv6 (ARP, UDP, ...) */
	NT_PARSE_FRAGMENT = 2,   /* a non-first IP fragment or a fragmented TCP segment */
	NT_PARSE_SHORT = 3,      /* the capture ends inside the IP or TCP header (snaplen) */
	NT_PARSE_BAD_LINK = 4,   /* link type not supported */
};

/* pcap DLT_/LINKTYPE_ values we read (libpcap's pcap_datalink() numbering). */
#define NT_DLT_EN10MB 1
#define NT_DLT_RAW_BSD 12    /* DLT_RAW on Linux/most BSDs */
#define NT_DLT_RAW_OPENBSD 14
#define NT_LINKTYPE_RAW 101
#define NT_DLT_LINUX_SLL 113
#define NT_DLT_IPV4 228
#define NT_DLT_IPV6 229
#define NT_DLT_LINUX_SLL2 276

/* Whether dlt (pcap_datalink()) is a link type nt_tcp_parse() reads. */
int nt_pcap_linktype_ok(int dlt);

/*
 * Decodes frame (caplen bytes captured of a wire_len-byte packet) of link
 * type dlt. wire_len only matters when an IP length field is 0 (a TSO/GSO
 * segment captured before segmentation): the payload then comes from it.
 * Returns an enum nt_parse_result; *out is only valid for NT_PARSE_TCP.
 */
int nt_tcp_parse(int dlt, const uint8_t *frame, size_t caplen, size_t wire_len, struct nt_tcp_pkt *out);

#endif
