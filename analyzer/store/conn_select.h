/* conn_select.h: which connections of a store a --conn selection matches. */
#ifndef NETTAPE_CONN_SELECT_H
#define NETTAPE_CONN_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/selection.h"

/*
 * Runs every row of a database's connections table through the filter
 * (learning cookies and tuples, as reading a tape would). The conn_ids of
 * the first maxids matching rows go to ids (may be NULL with maxids 0),
 * their number to *nmatch (may be NULL). 0, or -EIO with a message in err
 * (NT_ERRLEN bytes).
 */
int nt_store_conns_matching(struct nt_store *db, struct conn_filter *cf, int64_t *ids, size_t maxids, size_t *nmatch,
			 char *err);

#endif
