/* canned.h: the documented canned queries of 'nettape query --list / --run NAME'. */
#ifndef NETTAPE_CANNED_H
#define NETTAPE_CANNED_H

#include <stddef.h>

struct nt_canned {
	const char *name;
	const char *help;
	const char *sql;
};

extern const struct nt_canned nt_canned_queries[];
extern const size_t nt_canned_count;

/* The query named name, or NULL. */
const struct nt_canned *nt_canned_find(const char *name);

#endif
