/* test_records.h: random records of every type for the format round-trip tests
 * (test_roundtrip.c, test_delta.c). */
#ifndef NETTAPE_TEST_RECORDS_H
#define NETTAPE_TEST_RECORDS_H

#include "tape.h"
#include "test_util.h"

struct rec {
	uint16_t type;
	uint64_t ts;
	uint32_t len;
	uint8_t data[300];
};

/* Every type of records.h, plus event types this version does not know. */
static const uint16_t tr_types[] = {
	NT_REC_CLOCK, NT_REC_ENUM_NAME, NT_REC_SYMBOL, NT_REC_PROCESS, NT_REC_CGROUP,
	NT_REC_NETNS, NT_REC_IFACE, NT_REC_SOCKET, NT_REC_LOSS, NT_REC_PIN, NT_REC_CONFIG,
	NT_REC_DROP, NT_REC_RETRANS, NT_REC_CONG, NT_REC_STATE, NT_REC_SAMPLE, NT_REC_RESET,
	NT_REC_STALL, NT_REC_BUFFER, NT_REC_LISTEN, NT_REC_PACKET, 0x01ff /* unknown event */,
	0x0150 /* unknown event, no minimum: payloads of 0-7 bytes */,
};
#define TR_NTYPES (sizeof(tr_types) / sizeof(tr_types[0]))

/* Bytes beyond the type's minimum size for a random record of that type:
 * up to max_extra for the variable-length ones, 0-11 for 0x0150, else 0. */
static inline uint32_t tr_extra(uint16_t type, uint64_t *seed, uint32_t max_extra)
{
	if (type == 0x0150)
		return (uint32_t)(tu_rand(seed) % 12);
	if (type == NT_REC_CONFIG || type == NT_REC_PACKET || nt_rec_is_meta(type) ||
	    type == 0x01ff)
		return (uint32_t)(tu_rand(seed) % max_extra);
	return 0;
}

/* Makes a record whose bytes were filled in at random valid where the reader
 * checks its contents: a CGROUP's two lengths add up to its tail, a CONFIG
 * holds "k=v". */
static inline void tr_make_valid(struct rec *r, uint32_t extra, uint64_t cgroup_id)
{
	if (r->type == NT_REC_CGROUP) {
		struct nt_rec_cgroup cg = { .id = cgroup_id, .path_len = (uint16_t)(extra / 2),
					    .container_len = (uint16_t)(extra - extra / 2) };
		memcpy(r->data, &cg, sizeof(cg));
	}
	if (r->type == NT_REC_CONFIG) {
		memcpy(r->data, "k=v", 3);
		if (r->len < 3)
			r->len = 3;
	}
}

#endif
