/* check.h: the one assertion header of every C test: CHECK, CHECK_MSG, CHECK_EQ, REQUIRE and CHECK_DONE over one failure counter. */
#ifndef NETTAPE_TESTS_CHECK_H
#define NETTAPE_TESTS_CHECK_H

/*
 * A failed CHECK prints "file:line: CHECK failed: expr" (CHECK_MSG adds a
 * printf-style message) and counts; the test goes on so that one run shows
 * every failure. REQUIRE stops the test (exit 1) where going on makes no
 * sense. main() ends with CHECK_DONE("name") (or checks check_failures).
 * Included once per test program: the counter is file-static.
 */

#include <stdio.h>
#include <stdlib.h>

static int check_failures;

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
			check_failures++;                                             \
		}                                                                     \
	} while (0)

#define CHECK_MSG(cond, ...)                                                          \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                 \
			fputc('\n', stderr);                                          \
			check_failures++;                                             \
		}                                                                     \
	} while (0)

#define CHECK_EQ(a, b)                                                                \
	do {                                                                          \
		long long va_ = (long long)(a), vb_ = (long long)(b);                 \
		if (va_ != vb_) {                                                     \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s = %lld, %s = %lld\n", \
				__FILE__, __LINE__, #a, va_, #b, vb_);                \
			check_failures++;                                             \
		}                                                                     \
	} while (0)

#define REQUIRE(cond)                                                                 \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond); \
			exit(1);                                                      \
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
