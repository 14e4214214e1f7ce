/* host_clock.h: reads each host's clock alignment (hosts.clock_*: correction, bound, pairs, source) for reports and commands. */
#ifndef NETTAPE_HOST_CLOCK_H
#define NETTAPE_HOST_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* One host's clock as the import aligned it (docs/SCHEMA.md, hosts). */
struct nt_host_clock {
	int64_t host_id;
	char host[128];
	int64_t offset_ns;   /* added to every recorded ts of this host */
	int64_t bound_ns;    /* +- error bound of offset_ns against the reference; -1 unknown */
	int64_t pairs;       /* paired connections the estimate used */
	int64_t edges;       /* causal edges of those pairs */
	char source[16];     /* "reference", "estimated", "manual", "unaligned"; "" single host / older DB */
	char ref[128];       /* host name of the reference ("" none) */
};

/* Fills up to max hosts, in host_id order. Returns the number of hosts in
 * the database (may exceed max), 0 for an older database without the clock
 * columns, -1 on a database error. */
long nt_host_clocks(struct nt_store *s, struct nt_host_clock *v, size_t max);

#endif
