/* host_clock.c: reads the hosts' clock alignment columns (hosts.clock_*). */
#include <stdio.h>
#include <string.h>

#include "store/host_clock.h"

long nt_host_clocks(struct nt_store *s, struct nt_host_clock *v, size_t max)
{
	char err[NT_ERRLEN];
	long n = 0;
	int rc;

	if (!nt_store_has_column(s, "hosts", "clock_source"))
		return 0;
	struct nt_stmt *q = nt_store_prepare(s, "SELECT h.host_id, h.hostname, h.clock_offset_ns, h.clock_bound_ns,"
						" h.clock_pairs, h.clock_edges, h.clock_source, r.hostname"
						" FROM hosts h LEFT JOIN hosts r ON r.host_id = h.clock_ref ORDER BY h.host_id", err);
	if (!q)
		return -1;
	while ((rc = nt_stmt_step(q)) == NT_STORE_ROW) {
		if ((size_t)n < max) {
			struct nt_host_clock *c = &v[n];
			memset(c, 0, sizeof(*c));
			c->host_id = nt_col_int(q, 0);
			snprintf(c->host, sizeof(c->host), "%s", nt_col_text(q, 1) ? nt_col_text(q, 1) : "");
			c->offset_ns = nt_col_int(q, 2);
			c->bound_ns = nt_col_type(q, 3) == NT_COL_NULL ? -1 : nt_col_int(q, 3);
			c->pairs = nt_col_int(q, 4);
			c->edges = nt_col_int(q, 5);
			snprintf(c->source, sizeof(c->source), "%s", nt_col_text(q, 6) ? nt_col_text(q, 6) : "");
			snprintf(c->ref, sizeof(c->ref), "%s", nt_col_text(q, 7) ? nt_col_text(q, 7) : "");
		}
		n++;
	}
	nt_stmt_finalize(q);
	return rc == NT_STORE_DONE ? n : -1;
}
