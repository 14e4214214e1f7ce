/* header.c: encoding and decoding of the chunk header, and boottime-to-realtime clock pairs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tape_int.h"

static int tlv_put(uint8_t *buf, size_t cap, size_t *off, uint16_t tag, const char *s)
{
	size_t n = strlen(s);
	if (!n)
		return 0;
	if (n > 0xffff)
		n = 0xffff;
	if (*off + 4 + n > cap)
		return -ENOSPC;
	put_u16(buf + *off, tag);
	put_u16(buf + *off + 2, (uint16_t)n);
	memcpy(buf + *off + 4, s, n);
	*off += 4 + n;
	return 0;
}

int chunk_hdr_encode(const struct tape_header *h, uint8_t *buf, size_t cap)
{
	size_t off = CHUNK_HDR_FIXED;
	int err;

	if (cap < CHUNK_HDR_FIXED + 4)
		return -ENOSPC;
	memset(buf, 0, CHUNK_HDR_FIXED);
	memcpy(buf, CHUNK_MAGIC, CHUNK_MAGIC_LEN);
	put_u16(buf + 8, h->major);
	put_u16(buf + 10, h->minor);
	memcpy(buf + 16, h->recording_id, 16);
	put_u64(buf + 32, h->chunk_seq);
	put_u64(buf + 40, h->created_boot_ns);
	put_u64(buf + 48, h->created_real_ns);
	put_u32(buf + 56, h->snaplen);
	put_u32(buf + 60, h->flags);
	if ((err = tlv_put(buf, cap - 4, &off, TLV_HOSTNAME, h->hostname)) ||
	    (err = tlv_put(buf, cap - 4, &off, TLV_BOOT_ID, h->boot_id)) ||
	    (err = tlv_put(buf, cap - 4, &off, TLV_KERNEL, h->kernel)) ||
	    (err = tlv_put(buf, cap - 4, &off, TLV_VERSION, h->version)) ||
	    (err = tlv_put(buf, cap - 4, &off, TLV_CMDLINE, h->cmdline)))
		return err;
	off += 4;
	if (off > CHUNK_HDR_MAX)
		return -ENOSPC;
	put_u32(buf + 12, (uint32_t)off);
	put_u32(buf + off - 4, tape_crc32c(0, buf, off - 4));
	return (int)off;
}

static void tlv_copy(char *dst, size_t cap, const uint8_t *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
	/* An embedded NUL would silently shorten the text: keep it visible. */
	for (size_t i = 0; i < n; i++)
		if (!dst[i])
			dst[i] = '?';
}

int chunk_hdr_decode(const uint8_t *buf, size_t len, struct tape_header *h, size_t *need)
{
	uint32_t hlen, off;

	if (need)
		*need = CHUNK_HDR_FIXED;
	if (len < CHUNK_MAGIC_LEN)
		return memcmp(buf, CHUNK_MAGIC, len) ? -TAPE_E_MAGIC : -TAPE_E_TRUNCATED;
	if (memcmp(buf, CHUNK_MAGIC, CHUNK_MAGIC_LEN))
		return -TAPE_E_MAGIC;
	if (len < 12)
		return -TAPE_E_TRUNCATED;
	if (get_u16(buf + 8) != TAPE_FORMAT_MAJOR)
		return -TAPE_E_VERSION;
	if (len < 16)
		return -TAPE_E_TRUNCATED;
	hlen = get_u32(buf + 12);
	if (hlen < CHUNK_HDR_FIXED + 4 || hlen > CHUNK_HDR_MAX)
		return -TAPE_E_HEADER;
	if (need)
		*need = hlen;
	if (len < hlen)
		return -TAPE_E_TRUNCATED;
	if (CRC_MISMATCH(tape_crc32c(0, buf, hlen - 4), get_u32(buf + hlen - 4)))
		return -TAPE_E_HEADER;

	memset(h, 0, sizeof(*h));
	h->major = get_u16(buf + 8);
	h->minor = get_u16(buf + 10);
	memcpy(h->recording_id, buf + 16, 16);
	h->chunk_seq = get_u64(buf + 32);
	h->created_boot_ns = get_u64(buf + 40);
	h->created_real_ns = get_u64(buf + 48);
	h->snaplen = get_u32(buf + 56);
	h->flags = get_u32(buf + 60);
	for (off = CHUNK_HDR_FIXED; off < hlen - 4;) {
		uint16_t tag, n;
		if (hlen - 4 - off < 4)
			return -TAPE_E_HEADER;
		tag = get_u16(buf + off);
		n = get_u16(buf + off + 2);
		off += 4;
		if (n > hlen - 4 - off)
			return -TAPE_E_HEADER;
		switch (tag) {
		case TLV_HOSTNAME: tlv_copy(h->hostname, sizeof(h->hostname), buf + off, n); break;
		case TLV_BOOT_ID: tlv_copy(h->boot_id, sizeof(h->boot_id), buf + off, n); break;
		case TLV_KERNEL: tlv_copy(h->kernel, sizeof(h->kernel), buf + off, n); break;
		case TLV_VERSION: tlv_copy(h->version, sizeof(h->version), buf + off, n); break;
		case TLV_CMDLINE: tlv_copy(h->cmdline, sizeof(h->cmdline), buf + off, n); break;
		default: break; /* unknown tags are skipped */
		}
		off += n;
	}
	return (int)hlen;
}

static uint64_t pair_apply(uint64_t boot, uint64_t pb, uint64_t pr)
{
	if (boot >= pb)
		return pr + (boot - pb);
	return pr > pb - boot ? pr - (pb - boot) : 0;
}

uint64_t header_to_realtime(const struct tape_header *h, uint64_t boot_ns)
{
	if (!h)
		return 0;
	return pair_apply(boot_ns, h->created_boot_ns, h->created_real_ns);
}

int clock_list_add(struct clock_list *cl, uint64_t boot, uint64_t real)
{
	size_t i;

	if (!real)
		return 0;
	i = cl->n;
	while (i > 0 && cl->v[i - 1].boot > boot)
		i--;
	if (i > 0 && cl->v[i - 1].boot == boot) {
		cl->v[i - 1].real = real;
		return 0;
	}
	if (cl->n == cl->cap) {
		size_t ncap = cl->cap ? cl->cap * 2 : 16;
		struct clock_pair *nv = realloc(cl->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		cl->v = nv;
		cl->cap = ncap;
	}
	memmove(cl->v + i + 1, cl->v + i, (cl->n - i) * sizeof(*cl->v));
	cl->v[i].boot = boot;
	cl->v[i].real = real;
	cl->n++;
	return 0;
}

/* Index of the last pair with pair.boot <= boot, or 0 when there is none. */
static size_t clock_list_find(const struct clock_list *cl, uint64_t boot)
{
	size_t lo = 0, hi = cl->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cl->v[mid].boot <= boot)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : 0;
}

uint64_t clock_list_to_real(const struct clock_list *cl, uint64_t boot, uint64_t hboot,
			    uint64_t hreal)
{
	size_t i;

	if (!cl || !cl->n)
		return pair_apply(boot, hboot, hreal);
	i = clock_list_find(cl, boot);
	return pair_apply(boot, cl->v[i].boot, cl->v[i].real);
}

uint64_t clock_list_to_real_hint(const struct clock_list *cl, uint64_t boot, uint64_t hboot,
				 uint64_t hreal, size_t *hint)
{
	size_t i = *hint;

	if (!cl || !cl->n)
		return pair_apply(boot, hboot, hreal);
	/* the hint is right when its pair is the last one at or below boot */
	if (!(i < cl->n && cl->v[i].boot <= boot && (i + 1 == cl->n || cl->v[i + 1].boot > boot)))
		*hint = i = clock_list_find(cl, boot);
	return pair_apply(boot, cl->v[i].boot, cl->v[i].real);
}

void clock_list_free(struct clock_list *cl)
{
	free(cl->v);
	cl->v = NULL;
	cl->n = cl->cap = 0;
}
