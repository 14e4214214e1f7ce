/* fuzz_packet.c: libFuzzer target for format/packet.c (nt_packet_parse) that also checks what it promises about offsets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"

/*
 * Input: byte 0 picks the link type, byte 1 adds up to 255 bytes to the
 * wire length (a snaplen-cut capture), the rest is the captured frame
 * (copied to its own allocation so that ASan sees any read past caplen).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int lts[] = { NT_LINKTYPE_NULL, NT_LINKTYPE_ETHERNET, NT_LINKTYPE_RAW_OLD,
				   NT_LINKTYPE_RAW_OPENBSD, NT_LINKTYPE_RAW, NT_LINKTYPE_LINUX_SLL,
				   NT_LINKTYPE_IPV4, NT_LINKTYPE_IPV6, NT_LINKTYPE_LINUX_SLL2, 105 };
	struct nt_packet p;
	uint8_t *f;
	size_t n;
	int r, lt;

	if (size < 2)
		return 0;
	lt = lts[data[0] % (sizeof(lts) / sizeof(lts[0]))];
	n = size - 2;
	f = malloc(n ? n : 1);
	if (!f)
		return 0;
	memcpy(f, data + 2, n);
	r = nt_packet_parse(lt, f, n, n + data[1], &p);
	if (r < NT_PKT_TCP || r > NT_PKT_BAD_LINK)
		abort();
	if (r == NT_PKT_BAD_LINK && (p.family || p.link_len || nt_packet_linktype_ok(lt)))
		abort();
	if (p.link_len > n || p.l3_off + p.l3_hlen > n + 40 || p.l4_off > n)
		abort();
	if (p.has_ports && (!p.l4_off || p.l4_off + 4 > n))
		abort();
	if (r == NT_PKT_TCP && (p.proto != 6 || !p.has_ports || p.frag || p.hdr_end > n || p.hdr_end < p.l4_off + 20 ||
				p.wscale > 14 || (p.family != 2 && p.family != 10)))
		abort();
	free(f);
	return 0;
}
