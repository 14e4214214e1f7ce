/* pcap_parse.h: the old names of format/packet.h's parser, kept only for analyzer/import.c until issue 11's rewrite of it lands. */
#ifndef NETTAPE_PCAP_PARSE_H
#define NETTAPE_PCAP_PARSE_H

/*
 * Transitional: new code includes "packet.h" and calls nt_packet_parse().
 * Remove this header once import.c does (it is being rewritten for issue 11
 * and must not be edited meanwhile).
 */

#include "packet.h"

#define nt_tcp_pkt nt_packet
#define NT_PARSE_TCP NT_PKT_TCP

static inline int nt_tcp_parse(int dlt, const uint8_t *frame, size_t caplen, size_t wire_len, struct nt_packet *out)
{
	return nt_packet_parse(dlt, frame, caplen, wire_len, out);
}

#endif
