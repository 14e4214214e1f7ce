/* selection.h: the one grammar of the options that select a slice of the data in every command: --from/--to (against the data's span) and --conn. */
#ifndef NETTAPE_SELECTION_H
#define NETTAPE_SELECTION_H

/*
 * Used by replay, pcap, bundle and report (docs/man/nettape.1, "SELECTING
 * DATA", documents the grammar once). Times are parsed by nt_time_parse()
 * (timefmt.h); this module anchors its relative forms to the data.
 *
 * --conn C (repeatable: alternatives are ORed), each C one of
 *   cookie:N            the socket with cookie N (decimal or 0x hex, N > 0)
 *   0xN, or N > 65535   the same
 *   N (1..65535)        the socket with cookie N, or either side on port N
 *   :PORT               either side on PORT
 *   ADDR, [V6], V6      either side with that address
 *   ADDR:PORT, [V6]:PORT  either side with that address and port
 *   A-B                 two of the forms above, one on each side (either order)
 * IPv4-mapped IPv6 addresses compare as IPv4.
 *
 * While reading, a filter learns: the cookies of events whose tuple
 * matched (so that packets and pins recorded with only a cookie match),
 * and for a cookie the socket's tuple (so that packets recorded without a
 * cookie match).
 *
 * Invariants: never prints, never exits; 0 or a negative errno.
 * conn_filter_free() releases what matching learned; the struct itself is
 * the caller's.
 */

#include <stddef.h>
#include <stdint.h>

#include "packet.h"
#include "records.h"

struct tape_meta;

#define NT_CONN_MAX_ALT 16

/* The lines of --help that describe the selection options, the same in every command. */
#define NT_SELECT_HELP \
	"      --from T, --to T  time window (UTC unless T has an offset; inclusive):\n" \
	"                        2026-11-22T02:03:04Z, 2026-11-22T03:03:04+01:00, epoch\n" \
	"                        seconds, 02:03[:04] on the data's day, -5m / +30s from\n" \
	"                        the data's end / start\n" \
	"      --conn C          connection or endpoint, either side (repeat for OR):\n" \
	"                        cookie:N or 0x3039 (socket cookie), 443 (port or cookie),\n" \
	"                        :443, ADDR, ADDR:PORT, [V6]:PORT, A-B (one on each side)\n"

struct conn_endpoint {
	uint8_t family;       /* 0 = any address */
	uint8_t addr[16];
	uint8_t has_port;
	uint16_t port;
};

/* One --conn argument. */
struct conn_alt {
	int by_cookie;        /* matches the socket cookie */
	uint64_t cookie;
	int nep;              /* 0, or 1 or 2 endpoints that must match (a bare port also has 1) */
	struct conn_endpoint ep[2];
	int have_tuple;       /* by_cookie: the socket's tuple, learned */
	struct nt_conn tuple;
};

struct conn_filter {
	int active;           /* 0: matches everything */
	int nalt;
	struct conn_alt alt[NT_CONN_MAX_ALT];
	uint64_t *cookies;    /* learned from matching events */
	size_t ncookies, capcookies;
};

/* Parses s into *f (zeroed first) as its only alternative. 0 or -EINVAL. */
int conn_filter_parse(const char *s, struct conn_filter *f);
/* Adds s as one more alternative to *f (zeroed, or filled by earlier
 * calls). 0, -EINVAL for bad text, -E2BIG past NT_CONN_MAX_ALT. */
int conn_filter_add(struct conn_filter *f, const char *s);
/* Frees what matching learned; f stays a valid (inactive) filter. */
void conn_filter_free(struct conn_filter *f);

/* 1 if an event's connection matches (and learns its cookie/tuple), else 0.
 * An inactive filter matches everything. */
int conn_filter_match_conn(struct conn_filter *f, const struct nt_conn *c);
/* 1 if a packet matches: by cookie (given or learned) or by its parsed tuple. */
int conn_filter_match_packet(struct conn_filter *f, uint64_t cookie, const struct nt_packet *p);
/* 1 if the cookie is one the filter names or has learned (any cookie when inactive). */
int conn_filter_has_cookie(const struct conn_filter *f, uint64_t cookie);
/* Learns the tuple of each cookie alternative from the open sockets of m. */
void conn_filter_learn_sockets(struct conn_filter *f, const struct tape_meta *m);
/* Writes the filter back as text ("A,B" for alternatives), with addresses
 * and ports passed through a when not NULL. */
/* Rewrites an endpoint before it is printed (pseudonyms: bundle/anonymize.h's anon_endpoint). */
typedef void (*conn_endpoint_map)(void *ctx, struct conn_endpoint *ep);
void conn_filter_format(const struct conn_filter *f, conn_endpoint_map map, void *ctx, char *buf, size_t len);


/*
 * Realtime span [*first, *last] of the events of the tapes (directories or
 * chunk files), from frame headers only (no decompression): the anchor of
 * the relative --from/--to forms. Both 0 when nothing could be read.
 */
void nt_tape_span(const char *const *paths, size_t npaths, int64_t *first, int64_t *last);

/*
 * Parses --from and --to (either may be NULL: unset, left 0) against the
 * data's span [first, last] into realtime ns, and checks from <= to.
 * Returns 0, or -1 with a one-line message in err (NT_ERRLEN bytes).
 */
int nt_select_window(const char *from, const char *to, int64_t first, int64_t last, int64_t *from_ns,
		     int64_t *to_ns, char *err);

#endif
