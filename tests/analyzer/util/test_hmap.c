/* test_hmap.c: unit tests of util/hmap.c: u64 and string maps (insert, replace, miss, key 0, growth past many resizes, clear, free), and the hash helpers' stability. */
#include <stdio.h>
#include <string.h>

#include "util/hmap.h"
#include "check.h"

static void test_u64(void)
{
	struct hmap m;
	int64_t v = -1;
	int misses = 0, wrong = 0;

	hmap_init(&m);
	CHECK(hmap_get(&m, 1, &v) == 0 && v == -1); /* empty, nothing written */
	CHECK(hmap_get(&m, 0, &v) == 0);
	CHECK(hmap_put(&m, 7, 70) == 0 && hmap_get(&m, 7, &v) == 1 && v == 70);
	CHECK(hmap_put(&m, 7, 71) == 0 && hmap_get(&m, 7, &v) == 1 && v == 71); /* replaced */
	CHECK_EQ(m.n, 1);
	/* key 0 is a key like the others, kept out of band */
	CHECK(hmap_put(&m, 0, -5) == 0 && hmap_get(&m, 0, &v) == 1 && v == -5);
	CHECK(hmap_get(&m, 8, &v) == 0);

	/* 100k keys that collide in their low bits: every one found, none invented */
	for (uint64_t k = 1; k <= 100000; k++)
		CHECK(hmap_put(&m, k << 20, (int64_t)k) == 0);
	for (uint64_t k = 1; k <= 100000; k++) {
		if (!hmap_get(&m, k << 20, &v))
			misses++;
		else if (v != (int64_t)k)
			wrong++;
	}
	CHECK_EQ(misses, 0);
	CHECK_EQ(wrong, 0);
	CHECK(hmap_get(&m, (100001ULL << 20), &v) == 0);
	CHECK(hmap_get(&m, 7, &v) == 1 && v == 71); /* survived the resizes */
	CHECK(m.cap >= m.n && (m.cap & (m.cap - 1)) == 0);

	hmap_clear(&m);
	CHECK(hmap_get(&m, 7, &v) == 0 && hmap_get(&m, 0, &v) == 0 && hmap_get(&m, 1ULL << 20, &v) == 0);
	CHECK(hmap_put(&m, 9, 90) == 0 && hmap_get(&m, 9, &v) == 1 && v == 90); /* usable after clear */
	hmap_free(&m);
	CHECK(m.keys == NULL && m.cap == 0 && hmap_get(&m, 9, &v) == 0);
	hmap_free(&m); /* twice is fine */
}

static void test_str(void)
{
	struct smap m;
	char key[32];
	int64_t v = -1;
	int bad = 0;

	smap_init(&m);
	CHECK(smap_get(&m, "x", &v) == 0);
	snprintf(key, sizeof(key), "api-server");
	CHECK(smap_put(&m, key, 1) == 0);
	snprintf(key, sizeof(key), "overwritten"); /* the map keeps its own copy */
	CHECK(smap_get(&m, "api-server", &v) == 1 && v == 1);
	CHECK(smap_get(&m, "overwritten", &v) == 0);
	CHECK(smap_put(&m, "api-server", 2) == 0 && smap_get(&m, "api-server", &v) == 1 && v == 2);
	CHECK(smap_put(&m, "", 3) == 0 && smap_get(&m, "", &v) == 1 && v == 3);
	CHECK(smap_get(&m, "api-serve", &v) == 0 && smap_get(&m, "api-server ", &v) == 0);
	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		CHECK(smap_put(&m, key, i) == 0);
	}
	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		if (!smap_get(&m, key, &v) || v != i)
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(m.n, 20002);
	smap_free(&m);
}

static void test_hash(void)
{
	/* FNV-1a then the murmur finalizer: pinned values, the seed and every byte count */
	CHECK(hash_bytes("abc", 3, 0) == hash_bytes("abc", 3, 0));
	CHECK(hash_bytes("abc", 3, 0) != hash_bytes("abc", 3, 1));
	CHECK(hash_bytes("abc", 3, 0) != hash_bytes("abd", 3, 0));
	CHECK(hash_bytes("abc", 2, 0) == hash_bytes("abd", 2, 0));
	CHECK(hash_mix(0) == 0);
	CHECK(hash_mix(1) != 1 && hash_mix(1) != hash_mix(2));
	CHECK(hash_bytes("", 0, 0) == hash_mix(0xcbf29ce484222325ULL));
}

int main(void)
{
	test_u64();
	test_str();
	test_hash();
	CHECK_DONE("test_hmap");
}
