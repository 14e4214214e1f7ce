/* anonymize.h: consistent pseudonyms for addresses, ports and names in tape records and packet snippets. */
#ifndef NETTAPE_ANONYMIZE_H
#define NETTAPE_ANONYMIZE_H

/*
 * Used by `nettape bundle --anonymize`; the rules are documented for users in
 * docs/BUNDLE.md. In short:
 * - One `struct anon` per bundle holds counter tables: the n-th distinct value
 *   of a kind gets pseudonym n. The same input always maps to the same output
 *   within one anon object; distinct inputs never share a pseudonym (the
 *   tables are injective), so connections stay distinct. The tables live only
 *   in memory and are never written anywhere.
 * - IPv4 -> 240.0.0.0/4 (reserved, never a real peer), IPv6 ->
 *   fd6e:7474:6170::/64, v4-mapped IPv6 through the IPv4 table; unspecified and
 *   loopback addresses are kept. Ports below 1024 are kept (they name the
 *   service), others map to 61000, 61001, ... MAC addresses map to
 *   02:00:00:xx:xx:xx except all-zero and broadcast.
 * - Names map to "<kind>-<n>" ("host-1", "comm-2", "if-3", "netns-1", ...);
 *   "lo" and "init" are kept; cgroup paths are mapped per path component.
 * - Kernel text addresses (drop locations, symbols) move to a fake address
 *   space (no KASLR offset leaks) keeping "symbol+offset"; a location without
 *   a known symbol moves below every fake symbol, so no lookup misnames it.
 * - Kept: socket cookies, pids, cgroup ids, netns inodes, ifindexes (kernel
 *   counters that name nothing outside the machine), times, TCP sequence
 *   numbers, windows and counters; CLOCK, ENUM_NAME and LOSS records as they are.
 *   PIN descriptions are dropped, CONFIG and unknown record types left out.
 * - Packet snippets: addresses and ports rewritten in the IP and TCP headers
 *   (IPv4 header checksum recomputed, TCP checksum left stale), TCP options
 *   other than MSS/WS/SACK/TS replaced by NOPs, IP options and IPv6 extension
 *   header contents zeroed, everything after the TCP header zeroed, and for
 *   anything that is not TCP everything after the IP (or link) header.
 *
 * Packets are parsed by format/packet.h; the --conn and --from/--to
 * grammar is selection.h's.
 *
 * Invariants: never prints, never exits; 0 or a negative errno.
 * anon__free(NULL) is a no-op.
 */

#include <stddef.h>
#include <stdint.h>

#include "records.h"
#include "packet.h"
#include "util/selection.h"

struct anon;

/* Returns NULL with errno = ENOMEM. Caller frees with anon__free(). */
struct anon *anon__new(void);
void anon__free(struct anon *a);

enum anon_kind {
	ANON_HOST = 1,
	ANON_BOOT_ID,
	ANON_COMM,
	ANON_CMDLINE,
	ANON_CGROUP,     /* a whole cgroup path, mapped component by component */
	ANON_CONTAINER,
	ANON_NETNS,
	ANON_IFACE,
	ANON_KIND_MAX,
};

/* Pseudonym of the string s[0..len) of a kind. The result is NUL-terminated,
 * owned by a and valid until anon__free(). NULL with errno = ENOMEM or EINVAL. */
const char *anon_name(struct anon *a, enum anon_kind kind, const char *s, size_t len);

/* Rewrites an address (family 2 or 10, 16 bytes, IPv4 in the first 4) in place.
 * Other families are left alone. Returns 0 or -ENOMEM. */
int anon_addr(struct anon *a, uint8_t family, uint8_t addr[16]);
/* Pseudonym of a port (host byte order); 0 on -ENOMEM is impossible: on
 * allocation failure the port is replaced by 0 and *err set (err may be NULL). */
uint16_t anon_port(struct anon *a, uint16_t port, int *err);
/* A --conn endpoint's address and port replaced by their pseudonyms (a
 * conn_endpoint_map for conn_filter_format; ctx is the struct anon). */
void anon_endpoint(void *ctx, struct conn_endpoint *ep);
/* Rewrites the addresses and ports of a connection in place. */
int anon_conn(struct anon *a, struct nt_conn *c);
/* Rewrites a captured packet (linktype LINKTYPE_*) in place; see the rules above. */
int anon_packet(struct anon *a, uint16_t linktype, uint8_t *p, uint32_t caplen);
/* Fake kernel text address for a symbol's start address. */
uint64_t anon_ksym(struct anon *a, uint64_t sym_addr, int *err);

/* Resolves a kernel text address to (symbol start, offset) for anon_record();
 * return 0 and fill *sym when known, -ENOENT otherwise. */
typedef int (*anon_sym_lookup_fn)(void *ctx, uint64_t addr, uint64_t *sym);

/* Anonymizes any record: *out and *outlen receive the rewritten payload (owned by
 * a, valid until the next call). Returns 1 to keep it, 0 when the record must
 * be dropped (CONFIG records, unknown types: their content is not known to be
 * safe), or a negative errno (-EINVAL for a record shorter than its type). */
int anon_record(struct anon *a, uint16_t type, const void *data, uint32_t len,
		anon_sym_lookup_fn lookup, void *lookup_ctx,
		const void **out, uint32_t *outlen);

#endif /* NETTAPE_ANONYMIZE_H */
