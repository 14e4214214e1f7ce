/* check.h: minimal assertion helpers shared by the recorder unit tests of issue 5 (trigger, retention, snippet). */
#ifndef NETTAPE_TESTS_RECORDER_UNIT_CHECK_H
#define NETTAPE_TESTS_RECORDER_UNIT_CHECK_H

#include <stdio.h>

static int check_failures;

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
			check_failures++;                                             \
		}                                                                     \
	} while (0)

#define CHECK_EQ(a, b)                                                                \
	do {                                                                          \
		unsigned long long va_ = (unsigned long long)(a), vb_ = (unsigned long long)(b); \
		if (va_ != vb_) {                                                     \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s = %llu, %s = %llu\n", \
				__FILE__, __LINE__, #a, va_, #b, vb_);                \
			check_failures++;                                             \
		}                                                                     \
	} while (0)

#define CHECK_DONE(name)                                                              \
	do {                                                                          \
		if (check_failures) {                                                 \
			fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures); \
			return 1;                                                     \
		}                                                                     \
		printf("%s: all checks passed\n", name);                              \
		return 0;                                                             \
	} while (0)

#endif
