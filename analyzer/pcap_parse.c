/* pcap_parse.c: decodes one captured frame (Ethernet, Linux cooked SLL/SLL2, raw IP) down to its TCP header. */
#include <string.h>

#include "pcap_parse.h"

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_QINQ_OLD 0x9100

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int nt_pcap_linktype_ok(int dlt)
{
	switch (dlt) {
	case NT_DLT_EN10MB:
	case NT_DLT_RAW_BSD:
	case NT_DLT_RAW_OPENBSD:
	case NT_LINKTYPE_RAW:
	case NT_DLT_LINUX_SLL:
	case NT_DLT_LINUX_SLL2:
	case NT_DLT_IPV4:
	case NT_DLT_IPV6:
		return 1;
	default:
		return 0;
	}
}

/* TCP options: window scale, MSS, SACK-permitted, SACK blocks, timestamps. */
static void tcp_options(const uint8_t *o, size_t n, struct nt_tcp_pkt *t)
{
	size_t i = 0;

	while (i < n) {
		uint8_t kind = o[i], len;
		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n)
			break;
		len = o[i + 1];
		if (len < 2 || i + len > n)
			break;
		switch (kind) {
		case 2:
			if (len == 4)
				t->mss = be16(o + i + 2);
			break;
		case 3:
			if (len == 3)
				t->wscale = o[i + 2] > 14 ? 14 : o[i + 2]; /* RFC 7323: larger shifts mean 14 */
			break;
		case 4:
			t->sack_perm = 1;
			break;
		case 5:
			t->sack_blocks = (uint8_t)((len - 2) / 8);
			break;
		case 8:
			if (len == 10) {
				t->has_ts = 1;
				t->tsval = be32(o + i + 2);
				t->tsecr = be32(o + i + 6);
			}
			break;
		default:
			break;
		}
		i += len;
	}
}

/* TCP header at off; ip_payload = TCP header + payload length from the IP header. */
static int tcp_header(const uint8_t *f, size_t caplen, size_t off, uint32_t ip_payload, struct nt_tcp_pkt *t)
{
	size_t thl;

	if (off + 20 > caplen)
		return NT_PARSE_SHORT;
	thl = (size_t)(f[off + 12] >> 4) * 4;
	if (thl < 20)
		return NT_PARSE_NOT_TCP; /* not a valid TCP header */
	t->sport = be16(f + off);
	t->dport = be16(f + off + 2);
	t->seq = be32(f + off + 4);
	t->ack = be32(f + off + 8);
	t->flags = f[off + 13];
	t->win = be16(f + off + 14);
	t->wscale = -1;
	t->payload = ip_payload > thl ? ip_payload - (uint32_t)thl : 0;
	t->hdr_end = (uint32_t)(off + thl);
	if (off + thl <= caplen)
		tcp_options(f + off + 20, thl - 20, t);
	else
		t->hdr_end = (uint32_t)caplen; /* options cut by the snaplen: the fixed header is enough */
	return NT_PARSE_TCP;
}

static int ipv4(const uint8_t *f, size_t caplen, size_t off, size_t frame_left, struct nt_tcp_pkt *t)
{
	size_t ihl;
	uint32_t tot;
	uint16_t frag;

	if (off + 20 > caplen)
		return NT_PARSE_SHORT;
	if (f[off] >> 4 != 4)
		return NT_PARSE_NOT_TCP;
	ihl = (size_t)(f[off] & 0x0f) * 4;
	if (ihl < 20)
		return NT_PARSE_NOT_TCP;
	if (f[off + 9] != 6)
		return NT_PARSE_NOT_TCP;
	frag = be16(f + off + 6);
	if (frag & 0x3fff) /* MF set or a fragment offset */
		return NT_PARSE_FRAGMENT;
	tot = be16(f + off + 2);
	/* Total length 0: a TSO/GSO segment captured before segmentation; take the frame length. */
	if (tot == 0)
		tot = (uint32_t)frame_left;
	if (tot < ihl)
		return NT_PARSE_NOT_TCP;
	t->family = 2;
	memset(t->saddr, 0, 16);
	memset(t->daddr, 0, 16);
	memcpy(t->saddr, f + off + 12, 4);
	memcpy(t->daddr, f + off + 16, 4);
	return tcp_header(f, caplen, off + ihl, tot - (uint32_t)ihl, t);
}

static int ipv6(const uint8_t *f, size_t caplen, size_t off, size_t frame_left, struct nt_tcp_pkt *t)
{
	uint8_t nh;
	uint32_t plen;
	size_t p;

	if (off + 40 > caplen)
		return NT_PARSE_SHORT;
	if (f[off] >> 4 != 6)
		return NT_PARSE_NOT_TCP;
	plen = be16(f + off + 4);
	if (plen == 0 && frame_left > 40)
		plen = (uint32_t)(frame_left - 40); /* jumbogram or GSO: the frame length */
	nh = f[off + 6];
	t->family = 10;
	memcpy(t->saddr, f + off + 8, 16);
	memcpy(t->daddr, f + off + 24, 16);
	p = off + 40;
	/* Extension headers before TCP: hop-by-hop, routing, destination options; a fragment stops us. */
	for (int i = 0; i < 8 && nh != 6; i++) {
		size_t len;
		if (nh == 44)
			return NT_PARSE_FRAGMENT;
		if (nh != 0 && nh != 43 && nh != 60)
			return NT_PARSE_NOT_TCP;
		if (p + 8 > caplen)
			return NT_PARSE_SHORT;
		len = ((size_t)f[p + 1] + 1) * 8;
		if (len > plen)
			return NT_PARSE_NOT_TCP;
		nh = f[p];
		plen -= (uint32_t)len;
		p += len;
	}
	if (nh != 6)
		return NT_PARSE_NOT_TCP;
	return tcp_header(f, caplen, p, plen, t);
}

static int ip_any(const uint8_t *f, size_t caplen, size_t off, size_t frame_left, struct nt_tcp_pkt *t)
{
	if (off >= caplen)
		return NT_PARSE_SHORT;
	switch (f[off] >> 4) {
	case 4: return ipv4(f, caplen, off, frame_left, t);
	case 6: return ipv6(f, caplen, off, frame_left, t);
	default: return NT_PARSE_NOT_TCP;
	}
}

static int by_ethertype(uint16_t et, const uint8_t *f, size_t caplen, size_t wire, size_t off, struct nt_tcp_pkt *t)
{
	size_t left = wire > off ? wire - off : 0;

	if (et == ETH_IPV4)
		return ipv4(f, caplen, off, left, t);
	if (et == ETH_IPV6)
		return ipv6(f, caplen, off, left, t);
	return NT_PARSE_NOT_TCP;
}

int nt_tcp_parse(int dlt, const uint8_t *f, size_t caplen, size_t wire, struct nt_tcp_pkt *t)
{
	size_t off;
	uint16_t et;

	if (wire < caplen)
		wire = caplen;
	memset(t, 0, sizeof(*t));
	t->wscale = -1;
	switch (dlt) {
	case NT_DLT_EN10MB:
		if (caplen < 14)
			return NT_PARSE_SHORT;
		et = be16(f + 12);
		off = 14;
		for (int i = 0; i < 2 && (et == ETH_VLAN || et == ETH_QINQ || et == ETH_QINQ_OLD); i++) {
			if (off + 4 > caplen)
				return NT_PARSE_SHORT;
			et = be16(f + off + 2);
			off += 4;
		}
		return by_ethertype(et, f, caplen, wire, off, t);
	case NT_DLT_LINUX_SLL:
		if (caplen < 16)
			return NT_PARSE_SHORT;
		return by_ethertype(be16(f + 14), f, caplen, wire, 16, t);
	case NT_DLT_LINUX_SLL2:
		if (caplen < 20)
			return NT_PARSE_SHORT;
		return by_ethertype(be16(f), f, caplen, wire, 20, t);
	case NT_DLT_RAW_BSD:
	case NT_DLT_RAW_OPENBSD:
	case NT_LINKTYPE_RAW:
		return ip_any(f, caplen, 0, wire, t);
	case NT_DLT_IPV4:
		return ipv4(f, caplen, 0, wire, t);
	case NT_DLT_IPV6:
		return ipv6(f, caplen, 0, wire, t);
	default:
		return NT_PARSE_BAD_LINK;
	}
}
