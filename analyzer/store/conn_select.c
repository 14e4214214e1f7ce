/* conn_select.c: the connections of a database that a --conn selection matches (the selection grammar is util/selection.c's). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/conn_select.h"

static void text_addr(uint8_t family, const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (s && inet_pton(family == 10 ? AF_INET6 : AF_INET, s, out) != 1)
		memset(out, 0, 16);
}

int nt_store_conns_matching(struct nt_store *db, struct conn_filter *cf, int64_t *ids, size_t maxids, size_t *nmatch,
			 char *err)
{
	struct nt_stmt *st = nt_store_prepare(db, "SELECT cookie, netns, family, laddr, lport, raddr, rport, conn_id "
				     "FROM connections ORDER BY conn_id", err);
	size_t n = 0;
	int rc;

	if (!st)
		return -EIO;
	while ((rc = nt_stmt_step(st)) == NT_STORE_ROW) {
		struct nt_conn c;
		int fam = (int)nt_col_int(st, 2);

		memset(&c, 0, sizeof(c));
		c.cookie = (uint64_t)nt_col_int(st, 0);
		c.netns = (uint32_t)nt_col_int(st, 1);
		if (fam == 2 || fam == 10) {
			c.family = (uint8_t)fam;
			text_addr(c.family, nt_col_text(st, 3), c.saddr);
			text_addr(c.family, nt_col_text(st, 5), c.daddr);
		}
		c.proto = 6;
		c.sport = (uint16_t)(int)nt_col_int(st, 4);
		c.dport = (uint16_t)(int)nt_col_int(st, 6);
		if (conn_filter_match_conn(cf, &c)) {
			if (n < maxids)
				ids[n] = nt_col_int(st, 7);
			n++;
		}
	}
	if (rc != NT_STORE_DONE) {
		snprintf(err, NT_ERRLEN, "reading connections failed: %s; check the file with "
			 "'sqlite3 DB \"PRAGMA integrity_check\"' or re-import the tapes", nt_store_errmsg(db));
		nt_stmt_finalize(st);
		return -EIO;
	}
	nt_stmt_finalize(st);
	if (nmatch)
		*nmatch = n;
	return 0;
}

