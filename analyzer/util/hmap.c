/* hmap.c: open-addressing hash maps with linear probing (u64 -> i64 and string -> i64). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/hmap.h"

/* MurmurHash3's fmix64, not format's nt_mix64: hash_mix also names what is
 * stored (pcap_import.c's capture identity), so its constants stay. */
uint64_t hash_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return hash_mix(h);
}

void hmap_init(struct hmap *m)
{
	memset(m, 0, sizeof(*m));
}

void hmap_free(struct hmap *m)
{
	free(m->keys);
	free(m->vals);
	hmap_init(m);
}

void hmap_clear(struct hmap *m)
{
	if (m->keys)
		memset(m->keys, 0, m->cap * sizeof(*m->keys));
	m->n = 0;
	m->has_zero = 0;
}

int hmap_get(const struct hmap *m, uint64_t key, int64_t *val)
{
	if (!key) {
		if (m->has_zero)
			*val = m->zero_val;
		return m->has_zero;
	}
	if (!m->cap)
		return 0;
	for (size_t i = hash_mix(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key) {
			*val = m->vals[i];
			return 1;
		}
		if (!m->keys[i])
			return 0;
	}
}

static int hmap_grow(struct hmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	uint64_t *nk = calloc(ncap, sizeof(*nk));
	int64_t *nv = calloc(ncap, sizeof(*nv));

	if (!nk || !nv) {
		free(nk);
		free(nv);
		return -ENOMEM;
	}
	for (size_t j = 0; j < m->cap; j++) {
		if (!m->keys[j])
			continue;
		size_t i = hash_mix(m->keys[j]) & (ncap - 1);
		while (nk[i])
			i = (i + 1) & (ncap - 1);
		nk[i] = m->keys[j];
		nv[i] = m->vals[j];
	}
	free(m->keys);
	free(m->vals);
	m->keys = nk;
	m->vals = nv;
	m->cap = ncap;
	return 0;
}

int hmap_put(struct hmap *m, uint64_t key, int64_t val)
{
	if (!key) {
		m->has_zero = 1;
		m->zero_val = val;
		return 0;
	}
	if ((m->n + 1) * 2 > m->cap && hmap_grow(m))
		return -ENOMEM;
	size_t i = hash_mix(key) & (m->cap - 1);
	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	if (!m->keys[i])
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
	return 0;
}

void smap_init(struct smap *m)
{
	memset(m, 0, sizeof(*m));
}

void smap_free(struct smap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	smap_init(m);
}

int smap_get(const struct smap *m, const char *key, int64_t *val)
{
	if (!m->cap)
		return 0;
	for (size_t i = hash_bytes(key, strlen(key), 0) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i])
			return 0;
		if (!strcmp(m->keys[i], key)) {
			*val = m->vals[i];
			return 1;
		}
	}
}

static int smap_grow(struct smap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	char **nk = calloc(ncap, sizeof(*nk));
	int64_t *nv = calloc(ncap, sizeof(*nv));

	if (!nk || !nv) {
		free(nk);
		free(nv);
		return -ENOMEM;
	}
	for (size_t j = 0; j < m->cap; j++) {
		if (!m->keys[j])
			continue;
		size_t i = hash_bytes(m->keys[j], strlen(m->keys[j]), 0) & (ncap - 1);
		while (nk[i])
			i = (i + 1) & (ncap - 1);
		nk[i] = m->keys[j];
		nv[i] = m->vals[j];
	}
	free(m->keys);
	free(m->vals);
	m->keys = nk;
	m->vals = nv;
	m->cap = ncap;
	return 0;
}

int smap_put(struct smap *m, const char *key, int64_t val)
{
	if ((m->n + 1) * 2 > m->cap && smap_grow(m))
		return -ENOMEM;
	size_t i = hash_bytes(key, strlen(key), 0) & (m->cap - 1);
	while (m->keys[i] && strcmp(m->keys[i], key))
		i = (i + 1) & (m->cap - 1);
	if (!m->keys[i]) {
		m->keys[i] = strdup(key);
		if (!m->keys[i])
			return -ENOMEM;
		m->n++;
	}
	m->vals[i] = val;
	return 0;
}
