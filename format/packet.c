/* packet.c: the one parser of captured packet bytes (link, IP and TCP/UDP headers) for NT_REC_PACKET snippets and pcap captures. */
#include <string.h>

#include "packet.h"

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_QINQ_OLD 0x9100
#define MAX_VLAN_TAGS 8
#define MAX_V6_EXT 16

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int nt_packet_linktype_ok(int linktype)
{
	switch (linktype) {
	case NT_LINKTYPE_NULL:
	case NT_LINKTYPE_ETHERNET:
	case NT_LINKTYPE_RAW_OLD:
	case NT_LINKTYPE_RAW_OPENBSD:
	case NT_LINKTYPE_RAW:
	case NT_LINKTYPE_LINUX_SLL:
	case NT_LINKTYPE_LINUX_SLL2:
	case NT_LINKTYPE_IPV4:
	case NT_LINKTYPE_IPV6:
		return 1;
	default:
		return 0;
	}
}

static uint8_t pkttype_dir(unsigned pkttype)
{
	switch (pkttype) {
	case 0: /* PACKET_HOST */
	case 1: /* PACKET_BROADCAST */
	case 2: /* PACKET_MULTICAST */
		return NT_PKT_DIR_IN;
	case 4: /* PACKET_OUTGOING */
		return NT_PKT_DIR_OUT;
	default:
		return NT_PKT_DIR_UNKNOWN;
	}
}

static uint16_t ethertype_of_version(uint8_t b)
{
	return b >> 4 == 4 ? ETH_IPV4 : b >> 4 == 6 ? ETH_IPV6 : NT_PKT_ETHERTYPE_OTHER;
}

/* Link layer: link_len and ethertype. 0, NT_PKT_SHORT or NT_PKT_BAD_LINK. */
static int link_layer(int linktype, const uint8_t *f, size_t caplen, struct nt_packet *t)
{
	switch (linktype) {
	case NT_LINKTYPE_ETHERNET: {
		uint32_t off = 14;
		uint16_t et;

		if (caplen < 14)
			return NT_PKT_SHORT;
		t->eth_macs = 1;
		et = be16(f + 12);
		for (int i = 0; i < MAX_VLAN_TAGS && (et == ETH_VLAN || et == ETH_QINQ || et == ETH_QINQ_OLD); i++) {
			if (off + 4 > caplen) { /* the tag is cut: the link header ends at its TPID */
				t->ethertype = et;
				t->link_len = off;
				return NT_PKT_SHORT;
			}
			et = be16(f + off + 2);
			off += 4;
		}
		t->ethertype = et;
		t->link_len = off;
		return 0;
	}
	case NT_LINKTYPE_LINUX_SLL:
		/* pkttype(2) hatype(2) halen(2) addr(8) protocol(2) */
		if (caplen < 16)
			return NT_PKT_SHORT;
		t->dir = pkttype_dir(be16(f));
		t->lladdr_alen = (uint8_t)(be16(f + 4) > 255 ? 255 : be16(f + 4));
		t->lladdr_off = 6;
		t->ethertype = be16(f + 14);
		t->link_len = 16;
		return 0;
	case NT_LINKTYPE_LINUX_SLL2:
		/* protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8) */
		if (caplen < 20)
			return NT_PKT_SHORT;
		t->ethertype = be16(f);
		t->ifindex = be32(f + 4);
		t->dir = pkttype_dir(f[10]);
		t->lladdr_alen = f[11];
		t->lladdr_off = 12;
		t->link_len = 20;
		return 0;
	case NT_LINKTYPE_NULL: {
		uint32_t fam;

		if (caplen < 4)
			return NT_PKT_SHORT;
		memcpy(&fam, f, 4); /* host byte order of the capturing machine */
		if (fam > 0xffff)
			fam = __builtin_bswap32(fam);
		t->ethertype = fam == 2 ? ETH_IPV4 : (fam == 24 || fam == 28 || fam == 30) ? ETH_IPV6 : NT_PKT_ETHERTYPE_OTHER;
		t->link_len = 4;
		return 0;
	}
	case NT_LINKTYPE_RAW_OLD:
	case NT_LINKTYPE_RAW_OPENBSD:
	case NT_LINKTYPE_RAW:
		if (caplen < 1)
			return NT_PKT_SHORT;
		t->ethertype = ethertype_of_version(f[0]);
		return 0;
	case NT_LINKTYPE_IPV4:
		t->ethertype = ETH_IPV4;
		return 0;
	case NT_LINKTYPE_IPV6:
		t->ethertype = ETH_IPV6;
		return 0;
	default:
		return NT_PKT_BAD_LINK;
	}
}

/* TCP options: window scale, MSS, SACK-permitted, SACK blocks, timestamps. */
static void tcp_options(const uint8_t *o, size_t n, struct nt_packet *t)
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

/* Ports and the first TCP bytes as far as captured (any fragment state). */
static void transport_peek(const uint8_t *f, size_t caplen, struct nt_packet *t)
{
	uint32_t l4 = t->l4_off;

	if (!l4 || (t->proto != 6 && t->proto != 17) || l4 + 4 > caplen)
		return;
	t->sport = be16(f + l4);
	t->dport = be16(f + l4 + 2);
	t->has_ports = 1;
	if (t->proto == 6 && l4 + 14 <= caplen) {
		uint32_t doff = (uint32_t)(f[l4 + 12] >> 4) * 4;

		t->flags = f[l4 + 13];
		if (doff >= 20)
			t->payload_off = l4 + doff;
	}
}

/* The full TCP header of a segment; ip_payload = TCP header + payload from the IP lengths. */
static int tcp_header(const uint8_t *f, size_t caplen, uint32_t ip_payload, struct nt_packet *t)
{
	size_t off = t->l4_off, thl;

	if (!off || off + 20 > caplen)
		return NT_PKT_SHORT;
	thl = (size_t)(f[off + 12] >> 4) * 4;
	if (thl < 20)
		return NT_PKT_NOT_TCP; /* not a valid TCP header */
	t->seq = be32(f + off + 4);
	t->ack = be32(f + off + 8);
	t->win = be16(f + off + 14);
	t->payload = ip_payload > thl ? ip_payload - (uint32_t)thl : 0;
	t->hdr_end = (uint32_t)(off + thl);
	if (off + thl <= caplen)
		tcp_options(f + off + 20, thl - 20, t);
	else
		t->hdr_end = (uint32_t)caplen; /* options cut by the snaplen: the fixed header is enough */
	return NT_PKT_TCP;
}

static int ipv4(const uint8_t *f, size_t caplen, size_t frame_left, struct nt_packet *t)
{
	uint32_t o = t->link_len, ihl, tot;
	uint16_t frag;

	if (o + 20 > caplen)
		return NT_PKT_SHORT;
	if (f[o] >> 4 != 4)
		return NT_PKT_NOT_TCP;
	ihl = (uint32_t)(f[o] & 0x0f) * 4;
	if (ihl < 20)
		return NT_PKT_NOT_TCP;
	t->family = 2;
	t->l3_off = o;
	t->l3_hlen = ihl;
	t->proto = f[o + 9];
	memcpy(t->saddr, f + o + 12, 4);
	memcpy(t->daddr, f + o + 16, 4);
	frag = be16(f + o + 6);
	t->frag = (frag & 0x1fff) ? NT_PKT_FRAG_LATER : (frag & 0x2000) ? NT_PKT_FRAG_FIRST : NT_PKT_FRAG_NONE;
	if (t->frag != NT_PKT_FRAG_LATER && o + ihl <= caplen)
		t->l4_off = o + ihl;
	transport_peek(f, caplen, t);
	if (t->proto != 6)
		return NT_PKT_NOT_TCP;
	if (t->frag)
		return NT_PKT_FRAGMENT;
	tot = be16(f + o + 2);
	/* Total length 0: a TSO/GSO segment captured before segmentation; take the frame length. */
	if (tot == 0)
		tot = (uint32_t)frame_left;
	if (tot < ihl)
		return NT_PKT_NOT_TCP;
	return tcp_header(f, caplen, tot - ihl, t);
}

static int ipv6(const uint8_t *f, size_t caplen, size_t frame_left, struct nt_packet *t)
{
	uint32_t o = t->link_len, plen, q;
	uint8_t nh;
	int res = -1; /* the first problem met on the way, as import has always reported it */
	int i;

	if (o + 40 > caplen)
		return NT_PKT_SHORT;
	if (f[o] >> 4 != 6)
		return NT_PKT_NOT_TCP;
	t->family = 10;
	t->l3_off = o;
	t->l3_hlen = 40;
	memcpy(t->saddr, f + o + 8, 16);
	memcpy(t->daddr, f + o + 24, 16);
	plen = be16(f + o + 4);
	if (plen == 0 && frame_left > 40)
		plen = (uint32_t)(frame_left - 40); /* jumbogram or GSO: the frame length */
	nh = f[o + 6];
	q = o + 40;
	/* Extension headers: hop-by-hop, routing, destination options, fragment. */
	for (i = 0; i < MAX_V6_EXT; i++) {
		uint32_t len;

		if (nh == 44) {
			if (res < 0)
				res = NT_PKT_FRAGMENT;
			if (q + 8 > caplen)
				return res;
			t->frag = (be16(f + q + 2) & 0xfff8) ? NT_PKT_FRAG_LATER : NT_PKT_FRAG_FIRST;
			len = 8;
		} else if (nh == 0 || nh == 43 || nh == 60) {
			if (q + 8 > caplen)
				return res >= 0 ? res : NT_PKT_SHORT;
			len = ((uint32_t)f[q + 1] + 1) * 8;
		} else {
			break;
		}
		if (len > plen) {
			if (res < 0)
				res = NT_PKT_NOT_TCP;
			plen = 0;
		} else {
			plen -= len;
		}
		nh = f[q];
		q += len;
	}
	t->proto = nh;
	if (t->frag != NT_PKT_FRAG_LATER && q <= caplen)
		t->l4_off = q;
	transport_peek(f, caplen, t);
	if (res >= 0)
		return res;
	if (nh != 6)
		return NT_PKT_NOT_TCP;
	return tcp_header(f, caplen, plen, t);
}

int nt_packet_parse(int linktype, const uint8_t *f, size_t caplen, size_t wire, struct nt_packet *t)
{
	int r;

	memset(t, 0, sizeof(*t));
	t->wscale = -1;
	t->linktype = (uint16_t)linktype;
	if (wire < caplen)
		wire = caplen;
	r = link_layer(linktype, f, caplen, t);
	if (r)
		return r;
	if (t->ethertype == ETH_IPV4)
		return ipv4(f, caplen, wire - t->link_len, t);
	if (t->ethertype == ETH_IPV6)
		return ipv6(f, caplen, wire - t->link_len, t);
	return NT_PKT_NOT_TCP;
}
