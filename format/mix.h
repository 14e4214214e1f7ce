/* mix.h: the 64-bit mixer (splitmix64's finaliser) of the in-memory hash tables of format/ and the recorder; nothing hashed with it is written to disk. */
#ifndef NETTAPE_FORMAT_MIX_H
#define NETTAPE_FORMAT_MIX_H

#include <stdint.h>

static inline uint64_t nt_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

#endif /* NETTAPE_FORMAT_MIX_H */
