/* hmap.h: small open-addressing hash maps for the analyzer (u64 -> i64, string -> i64). */
#ifndef NETTAPE_HMAP_H
#define NETTAPE_HMAP_H

#include <stddef.h>
#include <stdint.h>

/* u64 key -> i64 value. Key 0 is allowed (stored out of band). */
struct hmap {
	uint64_t *keys;
	int64_t *vals;
	size_t cap, n;
	int has_zero;
	int64_t zero_val;
};

void hmap_init(struct hmap *m);
void hmap_free(struct hmap *m);
void hmap_clear(struct hmap *m);
/* Returns 1 and *val when found, 0 otherwise. */
int hmap_get(const struct hmap *m, uint64_t key, int64_t *val);
/* Inserts or replaces. Returns 0 or -ENOMEM. */
int hmap_put(struct hmap *m, uint64_t key, int64_t val);

/* string -> i64; the map keeps its own copies of the keys. */
struct smap {
	char **keys;
	int64_t *vals;
	size_t cap, n;
};

void smap_init(struct smap *m);
void smap_free(struct smap *m);
int smap_get(const struct smap *m, const char *key, int64_t *val);
int smap_put(struct smap *m, const char *key, int64_t val);

/* 64-bit hash helpers (FNV-1a, then a murmur finalizer). */
uint64_t hash_bytes(const void *p, size_t n, uint64_t seed);
uint64_t hash_mix(uint64_t x);

#endif
