/* util.h: small helpers of the recorder: number, size and duration parsing, clocks, human-readable sizes. */
#ifndef NETTAPE_RECORDER_UTIL_H
#define NETTAPE_RECORDER_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "mix.h"

/* "64M", "1G", "4096", "512K" (powers of 1024; an optional trailing "B" or
 * "iB" is accepted). Returns 0 and *out, or -EINVAL. */
int parse_size(const char *s, uint64_t *out);

/* "10s", "5m", "2h", "1d", "250ms", "1500us", plain number = seconds.
 * Returns 0 and *out in nanoseconds, or -EINVAL. */
int parse_duration(const char *s, uint64_t *out_ns);

/* Unsigned integer in [min, max]. Returns 0 or -EINVAL / -ERANGE. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* "1.2 MiB" into buf (at least 16 bytes). Returns buf. */
const char *fmt_size(char *buf, size_t len, uint64_t bytes);

uint64_t now_boot_ns(void);
uint64_t now_real_ns(void);
uint64_t now_mono_ns(void);
/* CPU time (user + system) of this process so far, in nanoseconds. */
uint64_t own_cpu_ns(void);



/* A set of 64-bit keys (open addressing, grows). Zero-initialise to use. */
struct u64set {
	uint64_t *keys;
	size_t cap, n;
	int has_zero;
};
/* Returns 1 if key was added, 0 if it was already there, -ENOMEM. */
int u64set_add(struct u64set *s, uint64_t key);
int u64set_has(const struct u64set *s, uint64_t key);
void u64set_del(struct u64set *s, uint64_t key);
void u64set_free(struct u64set *s);

/* Keys are hashed with format's nt_mix64 (mix.h). */
#endif /* NETTAPE_RECORDER_UTIL_H */
