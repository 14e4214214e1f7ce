/* delta_loop.h: the DATA_DELTA encode and decode loops (FORMAT.md 4.1), included twice by delta.c: portable and BMI2. */
/* Expects DELTA_FN(name), DELTA_TARGET and DELTA_BMI2 defined by the includer. */

/* The popcount(m) low bytes of v placed at the byte positions set in m. */
DELTA_TARGET static inline uint64_t DELTA_FN(expand)(uint64_t v, unsigned m)
{
#if DELTA_BMI2
	return _pdep_u64(v, _pdep_u64(m, 0x0101010101010101ull) * 0xff);
#else
	uint64_t w = 0;
	for (unsigned b = 0; b < 8; b++) {
		if (m & (1u << b)) {
			w |= (v & 0xff) << (8 * b);
			v >>= 8;
		}
	}
	return w;
#endif
}

/* The bytes of w at the positions set in m, packed into the low bytes. */
DELTA_TARGET static inline uint64_t DELTA_FN(compact)(uint64_t w, unsigned m)
{
#if DELTA_BMI2
	return _pext_u64(w, _pdep_u64(m, 0x0101010101010101ull) * 0xff);
#else
	uint64_t v = 0;
	unsigned k = 0;
	for (unsigned b = 0; b < 8; b++) {
		if (m & (1u << b))
			v |= ((w >> (8 * b)) & 0xff) << (8 * k++);
	}
	return v;
#endif
}

/* The next word of the byte stream under mask m; -1 if the stream ends first. */
DELTA_TARGET static inline int DELTA_FN(read_word)(const uint8_t **nb, const uint8_t *end,
						  unsigned m, uint64_t *w)
{
	const uint8_t *q = *nb;
	if (end - q >= 8) {
		*w = DELTA_FN(expand)(get_u64(q), m);
		*nb = q + DELTA_POPCOUNT(m);
		return 0;
	}
	if ((unsigned)(end - q) < DELTA_POPCOUNT(m))
		return -1;
	*w = 0;
	while (m) {
		unsigned b = (unsigned)__builtin_ctz(m);
		*w |= (uint64_t)*q++ << (8 * b);
		m &= m - 1;
	}
	*nb = q;
	return 0;
}

DELTA_TARGET static size_t DELTA_FN(encode)(struct delta_tables *t, const uint8_t *raw, uint32_t raw_len, uint32_t nrec,
		    uint8_t *out)
{
	uint8_t *hs = out, *mk = out + (size_t)REC_HDR_LEN * nrec;
	uint8_t *nb = mk + (raw_len - (size_t)REC_HDR_LEN * nrec) / 8;
	uint32_t pos = 0, prev_ts = 0;

	memset(t, 0, sizeof(*t));
	while (pos < raw_len) {
		const uint8_t *r = raw + pos, *body = r + REC_HDR_LEN;
		const uint8_t *tref, *kref;
		uint16_t type = get_u16(r), tlen = get_u16(r + 2);
		uint32_t ts = get_u32(r + 4), P = align8(tlen) - REC_HDR_LEN, trl = 0, krl;
		struct delta_slot *ts_slot = &t->types[type % DELTA_TYPE_SLOTS], *ks = NULL;

		put_u16(hs, type);
		put_u16(hs + 2, tlen);
		put_u32(hs + 4, ts - prev_ts);
		hs += REC_HDR_LEN;
		prev_ts = ts;
		{
			/* branch-free selection: hits are not predictable */
			int hit = (ts_slot->off1 != 0) & (ts_slot->type == type);
			tref = raw + (hit ? ts_slot->off1 - 1 : 0);
			trl = hit ? ts_slot->len : 0;
		}
		kref = tref;
		krl = trl;
		if (P) {
			uint64_t w = get_u64(body);
			unsigned m;
			ks = &t->keys[delta_key_slot(type, w)];
			{
				/* off1 0 reads the frame's first bytes: harmless, hit is 0 */
				uint32_t ko = ks->off1 ? ks->off1 - 1 : 0;
				int hit = (ks->off1 != 0) & (ks->type == type) &
					  (get_u64(raw + ko) == get_u64(body));
				kref = hit ? raw + ko : tref;
				krl = hit ? ks->len : trl;
			}
			w ^= ref_word(tref, trl, 0);
			m = nonzero_mask(w);
			*mk++ = (uint8_t)m;
			/* may write up to 8 bytes past the end (delta_bound) */
			put_u64(nb, DELTA_FN(compact)(w, m));
			nb += DELTA_POPCOUNT(m);
		}
		for (uint32_t g = 1; g < P / 8; g++) {
			uint64_t w = get_u64(body + 8 * g);
			unsigned m;
			w ^= krl >= P ? get_u64(kref + 8 * g) : ref_word(kref, krl, g);
			m = nonzero_mask(w);
			*mk++ = (uint8_t)m;
			put_u64(nb, DELTA_FN(compact)(w, m));
			nb += DELTA_POPCOUNT(m);
		}
		ts_slot->off1 = pos + REC_HDR_LEN + 1;
		ts_slot->len = (uint16_t)P;
		ts_slot->type = type;
		if (ks) {
			ks->off1 = pos + REC_HDR_LEN + 1;
			ks->len = (uint16_t)P;
			ks->type = type;
		}
		pos += REC_HDR_LEN + P;
	}
	return (size_t)(nb - out);
}

DELTA_TARGET static int DELTA_FN(decode)(struct delta_tables *t, const uint8_t *enc, uint32_t enc_len, uint32_t nrec,
		 uint8_t *plain, uint32_t plain_len, uint32_t *good_len, uint32_t *good_rec,
		 char *why, size_t whylen)
{
	const uint8_t *hs = enc, *mk, *mk_end, *nb, *end = enc + enc_len;
	uint32_t p = 0, prev_ts = 0;

	memset(t, 0, sizeof(*t));
	*good_len = 0;
	*good_rec = 0;
	if ((uint64_t)nrec * REC_HDR_LEN > enc_len || (uint64_t)nrec * REC_HDR_LEN > plain_len ||
	    (plain_len & 7)) {
		snprintf(why, whylen, "%u records cannot fit %u encoded / %u record bytes", nrec,
			 enc_len, plain_len);
		return -TAPE_E_RECORD;
	}
	mk = enc + (size_t)REC_HDR_LEN * nrec;
	{
		/* the masks take one byte per 8 payload bytes of each record header */
		uint64_t nmasks = 0;
		for (uint32_t n = 0; n < nrec; n++) {
			uint16_t tlen = get_u16(hs + (size_t)REC_HDR_LEN * n + 2);
			nmasks += tlen < REC_HDR_LEN ? 0 : align8(tlen) / 8 - 1;
		}
		if (nmasks > (uint64_t)(end - mk)) {
			snprintf(why, whylen, "byte masks end past the payload (%u bytes)", enc_len);
			return -TAPE_E_RECORD;
		}
		mk_end = mk + nmasks;
	}
	if (mk_end > end) {
		snprintf(why, whylen, "byte masks end past the payload (%u bytes)", enc_len);
		return -TAPE_E_RECORD;
	}
	nb = mk_end;
	for (uint32_t n = 0; n < nrec; n++) {
		const uint8_t *tref, *kref;
		uint16_t type = get_u16(hs), tlen = get_u16(hs + 2);
		uint32_t ts = prev_ts + get_u32(hs + 4), P, trl = 0, krl;
		struct delta_slot *ts_slot, *ks = NULL;
		uint8_t *body;

		hs += REC_HDR_LEN;
		if (tlen < REC_HDR_LEN || align8(tlen) > plain_len - p) {
			snprintf(why, whylen, "record %u: bad length %u", n, tlen);
			return -TAPE_E_RECORD;
		}
		P = align8(tlen) - REC_HDR_LEN;
		if ((size_t)(mk_end - mk) < P / 8) {
			snprintf(why, whylen, "record %u: byte masks run out", n);
			return -TAPE_E_RECORD;
		}
		put_u64(plain + p, (get_u64(hs - REC_HDR_LEN) & 0xffffffffull) | (uint64_t)ts << 32);
		body = plain + p + REC_HDR_LEN;
		ts_slot = &t->types[type % DELTA_TYPE_SLOTS];
		{
			/* branch-free selection: hits are not predictable */
			int hit = (ts_slot->off1 != 0) & (ts_slot->type == type);
			tref = plain + (hit ? ts_slot->off1 - 1 : 0);
			trl = hit ? ts_slot->len : 0;
		}
		kref = tref;
		krl = trl;
		if (P) {
			/* word 0 against the type reference; it names the key reference */
			uint64_t w;
			if (DELTA_FN(read_word)(&nb, end, mk[0], &w)) {
				snprintf(why, whylen, "record %u: record bytes run out", n);
				return -TAPE_E_RECORD;
			}
			w ^= ref_word(tref, trl, 0);
			put_u64(body, w);
			ks = &t->keys[delta_key_slot(type, w)];
			{
				/* off1 0 reads the frame's first bytes: harmless, hit is 0 */
				uint32_t ko = ks->off1 ? ks->off1 - 1 : 0;
				int hit = (ks->off1 != 0) & (ks->type == type) &
					  (get_u64(plain + ko) == w);
				kref = hit ? plain + ko : tref;
				krl = hit ? ks->len : trl;
			}
		}
		if (krl >= P && (size_t)(end - nb) >= (size_t)P + 8) {
			/* fast path: the reference covers the record, 8 bytes readable at each word */
			for (uint32_t g = 1; g < P / 8; g++) {
				unsigned m = mk[g];
				uint64_t w = DELTA_FN(expand)(get_u64(nb), m);
				nb += DELTA_POPCOUNT(m);
				put_u64(body + 8 * g, w ^ get_u64(kref + 8 * g));
			}
		} else {
			for (uint32_t g = 1; g < P / 8; g++) {
				uint64_t w;
				if (DELTA_FN(read_word)(&nb, end, mk[g], &w)) {
					snprintf(why, whylen, "record %u: record bytes run out", n);
					return -TAPE_E_RECORD;
				}
				put_u64(body + 8 * g, w ^ ref_word(kref, krl, g));
			}
		}
		mk += P / 8;
		ts_slot->off1 = p + REC_HDR_LEN + 1;
		ts_slot->len = (uint16_t)P;
		ts_slot->type = type;
		if (ks) {
			ks->off1 = p + REC_HDR_LEN + 1;
			ks->len = (uint16_t)P;
			ks->type = type;
		}
		p += REC_HDR_LEN + P;
		prev_ts = ts;
		*good_len = p;
		*good_rec = n + 1;
	}
	if (p != plain_len || mk != mk_end || nb != end) {
		snprintf(why, whylen, "records end at byte %u of %u, encoded bytes at %u of %u", p,
			 plain_len, (uint32_t)(nb - enc), enc_len);
		return -TAPE_E_RECORD;
	}
	return 0;
}
