/* clock.h: pairs the two ends of connections recorded on different hosts and aligns the hosts' clocks from those pairs (docs/SCHEMA.md, "Several hosts"). */
#ifndef NETTAPE_CLOCK_H
#define NETTAPE_CLOCK_H

/*
 * After an import, nt_clock_align() looks at every connection of the database
 * again (it is cheap next to the import):
 * - Pairing: a connection on host A and one on host B (A != B) whose 4-tuples
 *   mirror each other are candidates, unless both ends recorded their initial
 *   sequence numbers and these do not match crosswise (A's own = B's peer's and
 *   the reverse: a reused tuple, a NAT's other connection); a match makes the
 *   pair certain (conn_pairs.method 'isn'). Each candidate pair yields causal edges
 *   (a segment is received after it was sent: the client's ESTABLISHED before
 *   the server's, a FIN sent before the peer's FIN-received transition, the
 *   peer's FIN-received before the ACK of that FIN arrives, a reset sent
 *   before it is received, a segment the server dropped before the client
 *   retransmitted it; from both ends' samples, data received before it is
 *   acknowledged and written before it is received: see data_edges() in
 *   clock.c). A pair without matching sequence numbers whose edges contradict the hosts' clock
 *   estimate is not the same connection (tuple reuse, NAT) and is rejected;
 *   with several candidates for one connection, the one that agrees with the
 *   estimate wins, else none.
 * - Clocks: per pair of hosts, the edges bound D = clock(B) - clock(A) from
 *   both sides (the interval method: every edge one half-plane, no drift
 *   term); the largest set of pairs that agree (an interval stabbing) gives
 *   [lo, hi], the estimate is its middle and the bound its half width. A
 *   spanning forest over the hosts (smallest summed bound first) from a
 *   reference host (the first imported host of each group, or a host with a
 *   manual offset) gives every host its correction, added to every ts of its
 *   rows (hosts.clock_offset_ns), and its bound (the sum along the path).
 * - Hosts that share no paired connection with any other host stay
 *   "unaligned" (correction 0, or the manual one): no guess.
 * Invariants: rows of a host always carry exactly hosts.clock_offset_ns (the
 * importer adds it to new rows; a new estimate shifts the old rows by the
 * difference), so the raw recorded time is ts - clock_offset_ns.
 */

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* A manual correction: every ts of the hosts named `host` (any boot) gets
 * offset_ns added; auto = 1 returns the host to the estimate. */
struct nt_clock_override {
	const char *host;
	int64_t offset_ns;
	int auto_;
};

struct nt_clock_stats {
	size_t hosts, aligned, unaligned, manual; /* aligned includes the references */
	size_t candidates, pairs, rejected, edges;
	size_t isn_pairs;    /* of the pairs, those whose initial sequence numbers match crosswise */
	size_t isn_rejected; /* mirrored tuples not candidates: their sequence numbers differ */
	size_t data_edges;   /* of the edges used, those from data and ACKs (samples' byte counters) */
};

/* Pairs connections across hosts, estimates and applies the clock corrections
 * (see above), in one transaction. The environment variable
 * NETTAPE_CLOCK_DATA_EDGES=0 leaves the data edges out (for measuring what
 * they add: bench/multihost_align.sh). ov (nov entries, may be NULL) are manual
 * corrections, remembered in the database (clock_source 'manual') until
 * overridden again. Returns 0 (st filled, may be NULL) or -1 with a one-line
 * message in err (an unknown host name in ov, a database error). */
int nt_clock_align(struct nt_store *s, const struct nt_clock_override *ov, size_t nov,
		   struct nt_clock_stats *st, char *err);

/* Parses "HOST=+2.5s" / "HOST=-700ms" / "HOST=auto" (the signed duration of
 * nt_sdur_parse) into *o (o->host points into arg, which must stay alive).
 * Returns 0 or -1. */
int nt_clock_override_parse(char *arg, struct nt_clock_override *o);

#endif
