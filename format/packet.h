/* packet.h: the one parser of captured packet bytes (link, IP and TCP/UDP headers) for NT_REC_PACKET snippets and pcap captures. */
#ifndef NETTAPE_PACKET_H
#define NETTAPE_PACKET_H

/*
 * Owner of the wire layouts nettape reads: Ethernet (with up to 8 802.1Q /
 * 802.1ad / 0x9100 tags), Linux cooked SLL and SLL2, BSD loopback (NULL),
 * raw IP, IPv4 (with options), IPv6 (with extension headers, fragment
 * header included), TCP (with options) and UDP ports. The recorder
 * (snippets), the import (snippets and captures), pcap export, the
 * bundle's anonymizer and its connection filter all call it.
 *
 * Invariants:
 * - A pure function over a byte buffer: no allocation, no I/O, never reads
 *   past caplen (fuzzed: tests/fuzz/fuzz_packet.c).
 * - It fills *out as far as the headers were captured, whatever it
 *   returns: the layer offsets, the addresses once the IP header is
 *   captured, the ports once 4 bytes of a TCP/UDP header are. The return
 *   value says whether the packet is a complete, unfragmented TCP segment
 *   (NT_PKT_TCP): only then are the TCP fields (seq ... tsecr) valid.
 * - Addresses are in network byte order in 16 bytes (IPv4 in the first 4,
 *   the rest zero), ports and sequence numbers in host order, as in
 *   struct nt_conn (records.h).
 * - payload is the TCP payload length the IP header announces (a capture
 *   cut by its snaplen still reports the on-the-wire length).
 */

#include <stddef.h>
#include <stdint.h>

/* pcap LINKTYPE_* / DLT_* values the parser reads (pcap_datalink() numbering). */
#define NT_LINKTYPE_NULL        0    /* BSD loopback: 4-byte address family, capturing host's order */
#define NT_LINKTYPE_ETHERNET    1
#define NT_LINKTYPE_RAW_OLD     12   /* DLT_RAW on Linux and most BSDs */
#define NT_LINKTYPE_RAW_OPENBSD 14   /* DLT_RAW on OpenBSD */
#define NT_LINKTYPE_RAW         101
#define NT_LINKTYPE_LINUX_SLL   113
#define NT_LINKTYPE_IPV4        228
#define NT_LINKTYPE_IPV6        229
#define NT_LINKTYPE_LINUX_SLL2  276

/* TCP flags as in the TCP header's flags byte. */
#define NT_TH_FIN 0x01
#define NT_TH_SYN 0x02
#define NT_TH_RST 0x04
#define NT_TH_PSH 0x08
#define NT_TH_ACK 0x10
#define NT_TH_URG 0x20
#define NT_TH_ECE 0x40
#define NT_TH_CWR 0x80

/* Direction from the SLL/SLL2 packet type, numbered as NT_REC_PACKET's dir. */
#define NT_PKT_DIR_UNKNOWN 0
#define NT_PKT_DIR_IN      1
#define NT_PKT_DIR_OUT     2

/* nt_packet.frag */
#define NT_PKT_FRAG_NONE  0
#define NT_PKT_FRAG_FIRST 1          /* the first fragment (offset 0): the transport header is there */
#define NT_PKT_FRAG_LATER 2          /* a later fragment: no transport header */

/* nt_packet.ethertype when the link layer names something that is not IP. */
#define NT_PKT_ETHERTYPE_OTHER 1

enum nt_packet_result {
	NT_PKT_TCP = 0,        /* a complete TCP header of an unfragmented segment: all fields valid */
	NT_PKT_NOT_TCP = 1,    /* a valid frame, but not TCP over IPv4/IPv6 (ARP, UDP, bad lengths, ...) */
	NT_PKT_FRAGMENT = 2,   /* an IP fragment (first or later) */
	NT_PKT_SHORT = 3,      /* the capture ends inside the link, IP or TCP header (snaplen) */
	NT_PKT_BAD_LINK = 4,   /* link type not supported: nothing else is filled */
};

struct nt_packet {
	/* link layer */
	uint16_t linktype;
	uint16_t ethertype;      /* 0x0800, 0x86dd, another EtherType or NT_PKT_ETHERTYPE_OTHER;
				    0 when the link header was not captured */
	uint32_t link_len;       /* bytes of link header read (a cut VLAN tag: up to its TPID) */
	uint8_t eth_macs;        /* Ethernet: destination MAC at offset 0, source at 6 */
	uint8_t dir;             /* NT_PKT_DIR_*: from SLL/SLL2 packet type, else UNKNOWN */
	uint8_t lladdr_off;      /* SLL/SLL2: offset of the 8-byte link address field, else 0 */
	uint8_t lladdr_alen;     /* SLL/SLL2: the address length the header announces */
	uint32_t ifindex;        /* SLL2 interface index, else 0 */
	/* network layer */
	uint8_t family;          /* 2 IPv4, 10 IPv6; 0 when no IP header was captured */
	uint8_t proto;           /* transport protocol (after IPv6 extension headers); 0 unknown */
	uint8_t frag;            /* NT_PKT_FRAG_* */
	uint8_t has_ports;       /* TCP or UDP ports captured (sport, dport valid) */
	uint32_t l3_off;         /* IP header */
	uint32_t l3_hlen;        /* IPv4 IHL*4 or 40; 0 when the IP header was not captured */
	uint8_t saddr[16], daddr[16];
	/* transport layer */
	uint32_t l4_off;         /* transport header (after extension headers); 0 when not reached */
	uint32_t payload_off;    /* TCP: l4_off + data offset when the offset byte was captured and >= 20; else 0 */
	uint16_t sport, dport;
	uint8_t flags;           /* NT_TH_*: valid when 14 bytes of the TCP header were captured */
	/* TCP, valid for NT_PKT_TCP */
	uint8_t sack_perm;       /* SACK-permitted option present */
	uint8_t sack_blocks;     /* number of SACK blocks in this segment */
	uint8_t has_ts;          /* timestamp option present */
	uint16_t win;            /* raw window field (unscaled) */
	uint16_t mss;            /* MSS option, 0 when absent */
	int wscale;              /* window-scale option shift (capped at 14), -1 when absent */
	uint32_t seq, ack;
	uint32_t payload;        /* TCP payload bytes (from the IP length) */
	uint32_t hdr_end;        /* offset of the end of the TCP header in the frame (caplen if cut in the options) */
	uint32_t tsval, tsecr;
};

/* Whether linktype (pcap_datalink()) is one nt_packet_parse() reads. */
int nt_packet_linktype_ok(int linktype);

/*
 * Decodes frame (caplen bytes captured of a wire_len-byte packet) of link
 * type linktype into *out (zeroed first). wire_len only matters when an IP
 * length field is 0 (a TSO/GSO segment captured before segmentation): the
 * lengths then come from it; pass caplen when it is not known.
 * Returns an enum nt_packet_result; see the invariants for what is filled.
 */
int nt_packet_parse(int linktype, const uint8_t *frame, size_t caplen, size_t wire_len, struct nt_packet *out);

#endif
