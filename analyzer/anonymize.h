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
 * The second half of this header holds the selection helpers shared by
 * `nettape pcap` and `nettape bundle` (packet parsing, --conn, --from/--to),
 * because anonymization needs the same packet parser.
 *
 * Invariants: never prints, never exits; 0 or a negative errno.
 * anon__free(NULL) is a no-op.
 */

#include <stddef.h>
#include <stdint.h>

#include "records.h"
#include "packet.h"

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

/* ------------------------------------------------------------------ */
/* Selection helpers shared by `nettape pcap` and `nettape bundle`.    */
/* ------------------------------------------------------------------ */

/* --conn: a socket cookie ("12345", "0x3039", "cookie:12345") or a tuple
 * fragment: "198.18.0.2:443", "198.18.0.2", ":443", "[2001:db8::1]:443",
 * "2001:db8::1", or two fragments "A-B" that must both match (either order). */
struct conn_endpoint {
	uint8_t family;       /* 0 = any address */
	uint8_t addr[16];
	uint8_t has_port;
	uint16_t port;
};
struct conn_filter {
	int active;
	int by_cookie;
	uint64_t cookie;
	int nep;              /* 1 or 2 endpoints when !by_cookie */
	struct conn_endpoint ep[2];
	/* learned while reading: cookies of matching events, and for a cookie
	 * filter the socket's tuple (to match packets recorded without cookie) */
	uint64_t *cookies;
	size_t ncookies, capcookies;
	int have_tuple;
	struct nt_conn tuple;
};

/* Parses s into *f (zeroed first). Returns 0 or -EINVAL. Free with conn_filter_free(). */
int conn_filter_parse(const char *s, struct conn_filter *f);
void conn_filter_free(struct conn_filter *f);
/* 1 if an event's connection matches (and learns its cookie/tuple), else 0.
 * An inactive filter matches everything. */
int conn_filter_match_conn(struct conn_filter *f, const struct nt_conn *c);
/* 1 if a packet matches: by cookie (known or learned) or by its parsed tuple. */
int conn_filter_match_packet(struct conn_filter *f, uint64_t cookie, const struct nt_packet *pi);
/* 1 if the cookie is the filter's or one learned from matching events. */
int conn_filter_has_cookie(const struct conn_filter *f, uint64_t cookie);
/* Writes the filter back as text (for README/warnings), with addresses and
 * ports passed through a when not NULL. */
void conn_filter_format(const struct conn_filter *f, struct anon *a, char *buf, size_t len);

/* --from/--to: "2026-11-22T02:03:04Z" (fraction and 'Z' or "+00:00" optional,
 * 'T' or a space; always UTC), or epoch seconds "1763776984" / "1763776984.25".
 * *ns receives nanoseconds since the epoch. Returns 0 or -EINVAL. */
int parse_time_arg(const char *s, uint64_t *ns);
/* Formats epoch ns as "2026-11-22T02:03:04.123456789Z". */
void format_time_ns(uint64_t ns, char *buf, size_t len);

#endif /* NETTAPE_ANONYMIZE_H */
