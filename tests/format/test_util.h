/* test_util.h: temporary-directory, file and clock helpers shared by the format unit tests (assertions: tests/check.h). */
#ifndef NETTAPE_TEST_UTIL_H
#define NETTAPE_TEST_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

/* Removes a directory tree of plain files (one level of subdirectories). */
static inline void tu_rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[4096];
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int)sizeof(p))
			continue;
		if (!lstat(p, &st) && S_ISDIR(st.st_mode))
			tu_rmtree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* A fresh temporary directory (caller removes it with tu_rmtree). */
static inline void tu_tmpdir(char *buf, size_t cap, const char *tag)
{
	const char *base = getenv("TMPDIR");
	snprintf(buf, cap, "%s/nettape-%s-XXXXXX", base ? base : "/tmp", tag);
	REQUIRE(mkdtemp(buf));
}

/* Deterministic PRNG (xorshift64*). */
static inline uint64_t tu_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Fake clocks for writers: boottime advanced by hand, realtime = boot + offset. */
struct tu_clock {
	uint64_t boot;
	uint64_t real_off;
};
static inline uint64_t tu_clock_boot(void *ctx) { return ((struct tu_clock *)ctx)->boot; }
static inline uint64_t tu_clock_real(void *ctx)
{
	struct tu_clock *c = ctx;
	return c->boot + c->real_off;
}

/* Reads a whole file into a malloc'd buffer. */
static inline uint8_t *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;
	REQUIRE(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n ? (size_t)n : 1);
	REQUIRE(buf);
	REQUIRE(fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static inline void tu_write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	REQUIRE(f);
	REQUIRE(fwrite(buf, 1, len, f) == len);
	fclose(f);
}

static inline int tu_done(const char *name)
{
	if (check_failures) {
		fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
		return 1;
	}
	printf("%s: ok\n", name);
	return 0;
}

#endif
