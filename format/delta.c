/* delta.c: the DATA_DELTA frame transform (docs/FORMAT.md section 4.1): each record XOR-ed against the previous record of its type and connection, then zero bytes suppressed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tape_int.h"

/*
 * The reference tables of FORMAT.md 4.1. Both sides keep them in the same
 * deterministic way, so nothing about the references is stored:
 * - the type table: DELTA_TYPE_SLOTS slots, slot = type mod DELTA_TYPE_SLOTS;
 * - the key table: DELTA_KEY_SLOTS slots, slot = delta_key_slot(type, key),
 *   key = the first 8 payload bytes (the connection cookie of every event).
 * A slot names the last record that was stored in it; a lookup hits only
 * when type (and key) are equal. Tables are empty at every frame start.
 */
struct delta_slot {
	uint32_t off1;   /* body offset in the record bytes + 1; 0 = empty (the key is
			  * the body's first word, compared in place) */
	uint16_t len;    /* body length (padded payload) */
	uint16_t type;
};

struct delta_tables {
	struct delta_slot types[DELTA_TYPE_SLOTS];
	struct delta_slot keys[DELTA_KEY_SLOTS];
};

struct delta_tables *delta_tables__new(void)
{
	return calloc(1, sizeof(struct delta_tables));
}

void delta_tables__free(struct delta_tables *t)
{
	free(t);
}

static inline uint32_t delta_key_slot(uint16_t type, uint64_t key)
{
	uint64_t h = (key ^ ((uint64_t)type * 0x9E3779B97F4A7C15ull)) * 0xD6E8FEB86659FD93ull;
	return (uint32_t)(h >> (64 - DELTA_KEY_BITS));
}

/* Bit b set when byte b of w is not zero. */
static inline unsigned nonzero_mask(uint64_t w)
{
	const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full;
	uint64_t y = ((w & lo7) + lo7) | w; /* high bit of each byte: byte != 0 */
	y = (y >> 7) & 0x0101010101010101ull;
	return (unsigned)((y * 0x0102040810204080ull) >> 56) & 0xffu;
}

/* Word g of a reference body of rlen bytes (zero beyond it; rlen 0 = no reference). */
static inline uint64_t ref_word(const uint8_t *ref, uint32_t rlen, uint32_t g)
{
	return 8 * g < rlen ? get_u64(ref + 8 * g) : 0;
}

size_t delta_bound(uint32_t raw_len)
{
	return (size_t)raw_len + raw_len / 8 + 16;
}

#define DELTA_POPCOUNT(m) ((unsigned)__builtin_popcount(m))

/* portable loops */
#define DELTA_FN(name) delta_##name##_generic
#define DELTA_TARGET
#define DELTA_BMI2 0
#include "delta_loop.h"
#undef DELTA_FN
#undef DELTA_TARGET
#undef DELTA_BMI2

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* BMI2 (pdep/pext): one instruction per 8 bytes instead of a loop */
#include <immintrin.h>
#define DELTA_FN(name) delta_##name##_bmi2
#define DELTA_TARGET __attribute__((target("bmi2,popcnt")))
#define DELTA_BMI2 1
#include "delta_loop.h"
#undef DELTA_FN
#undef DELTA_TARGET
#undef DELTA_BMI2
#define DELTA_HAVE_BMI2() __builtin_cpu_supports("bmi2")
#else
#define DELTA_HAVE_BMI2() 0
#define delta_encode_bmi2 delta_encode_generic
#define delta_decode_bmi2 delta_decode_generic
#endif

size_t delta_encode(struct delta_tables *t, const uint8_t *raw, uint32_t raw_len, uint32_t nrec,
		    uint8_t *out)
{
	if (DELTA_HAVE_BMI2())
		return delta_encode_bmi2(t, raw, raw_len, nrec, out);
	return delta_encode_generic(t, raw, raw_len, nrec, out);
}

int delta_decode(struct delta_tables *t, const uint8_t *enc, uint32_t enc_len, uint32_t nrec,
		 uint8_t *plain, uint32_t plain_len, uint32_t *good_len, uint32_t *good_rec,
		 char *why, size_t whylen)
{
	if (DELTA_HAVE_BMI2())
		return delta_decode_bmi2(t, enc, enc_len, nrec, plain, plain_len, good_len,
					 good_rec, why, whylen);
	return delta_decode_generic(t, enc, enc_len, nrec, plain, plain_len, good_len, good_rec,
				    why, whylen);
}
