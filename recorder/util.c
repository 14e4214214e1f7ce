/* util.c: number, size and duration parsing, clocks, human-readable sizes. */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	uint64_t mult = 1;
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': mult = 1ULL << 10; end++; break;
	case 'm': case 'M': mult = 1ULL << 20; end++; break;
	case 'g': case 'G': mult = 1ULL << 30; end++; break;
	case 't': case 'T': mult = 1ULL << 40; end++; break;
	default: break;
	}
	if (mult > 1 && *end == 'i')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

int parse_duration(const char *s, uint64_t *out_ns)
{
	unsigned long long v;
	uint64_t mult = 1000000000ULL;
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		mult = 1000000000ULL;
	else if (!strcmp(end, "ms"))
		mult = 1000000ULL;
	else if (!strcmp(end, "us"))
		mult = 1000ULL;
	else if (!strcmp(end, "m"))
		mult = 60ULL * 1000000000ULL;
	else if (!strcmp(end, "h"))
		mult = 3600ULL * 1000000000ULL;
	else if (!strcmp(end, "d"))
		mult = 86400ULL * 1000000000ULL;
	else
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out_ns = v * mult;
	return 0;
}

const char *fmt_size(char *buf, size_t len, uint64_t bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t now_boot_ns(void) { return clock_ns(CLOCK_BOOTTIME); }
uint64_t now_real_ns(void) { return clock_ns(CLOCK_REALTIME); }
uint64_t now_mono_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

/* Keys are stored as is; 0 marks an empty slot (the key 0 is a flag). */
static int u64set_grow(struct u64set *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 64, i;
	uint64_t *nk = calloc(ncap, sizeof(*nk));

	if (!nk)
		return -ENOMEM;
	for (i = 0; i < s->cap; i++) {
		uint64_t k = s->keys[i];
		size_t j;

		if (!k)
			continue;
		for (j = nt_mix64(k) & (ncap - 1); nk[j]; j = (j + 1) & (ncap - 1))
			;
		nk[j] = k;
	}
	free(s->keys);
	s->keys = nk;
	s->cap = ncap;
	return 0;
}

int u64set_has(const struct u64set *s, uint64_t key)
{
	size_t j;

	if (!key)
		return s->has_zero;
	if (!s->cap)
		return 0;
	for (j = nt_mix64(key) & (s->cap - 1); s->keys[j]; j = (j + 1) & (s->cap - 1))
		if (s->keys[j] == key)
			return 1;
	return 0;
}

int u64set_add(struct u64set *s, uint64_t key)
{
	size_t j;

	if (!key) {
		if (s->has_zero)
			return 0;
		s->has_zero = 1;
		return 1;
	}
	if (u64set_has(s, key))
		return 0;
	if ((s->n + 1) * 4 > s->cap * 3 && u64set_grow(s))
		return -ENOMEM;
	for (j = nt_mix64(key) & (s->cap - 1); s->keys[j]; j = (j + 1) & (s->cap - 1))
		;
	s->keys[j] = key;
	s->n++;
	return 1;
}

void u64set_del(struct u64set *s, uint64_t key)
{
	size_t j, k;

	if (!key) {
		s->has_zero = 0;
		return;
	}
	if (!s->cap)
		return;
	for (j = nt_mix64(key) & (s->cap - 1); s->keys[j]; j = (j + 1) & (s->cap - 1))
		if (s->keys[j] == key)
			break;
	if (!s->keys[j])
		return;
	/* Backward-shift deletion keeps probe chains intact. */
	s->keys[j] = 0;
	s->n--;
	for (k = (j + 1) & (s->cap - 1); s->keys[k]; k = (k + 1) & (s->cap - 1)) {
		uint64_t kk = s->keys[k];

		s->keys[k] = 0;
		s->n--;
		u64set_add(s, kk);
	}
}

void u64set_free(struct u64set *s)
{
	free(s->keys);
	memset(s, 0, sizeof(*s));
}

uint64_t own_cpu_ns(void)
{
	struct timespec t;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t))
		return 0;
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}
