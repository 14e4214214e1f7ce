/* pcapng_writer.c: encodes pcapng blocks (SHB, IDB, EPB) and classic nanosecond pcap records. */
#include "pcap/pcapng_writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* pcapng block types and option codes (pcapng specification, section 4). */
#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define OPT_ENDOFOPT     0
#define OPT_SHB_HARDWARE 2
#define OPT_SHB_OS       3
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME      2
#define OPT_IF_DESC      3
#define OPT_IF_TSRESOL   9
#define OPT_EPB_FLAGS    2

/* Classic pcap with nanosecond timestamps. */
#define PCAP_MAGIC_NSEC 0xA1B23C4Du
#define LINKTYPE_ETHERNET 1

#define DEFAULT_SNAPLEN 262144u
#define MAX_CAPLEN (16u << 20) /* sanity bound on one packet */

struct pcapng_writer {
	FILE *f;
	enum pcap_out_format fmt;
	uint32_t snaplen;
	int err;              /* first error, sticky */
	int niface;
	int classic_linktype; /* -1 until the first interface (classic pcap) */
	int classic_hdr_done;
	uint64_t npackets;
	/* block under construction */
	uint8_t *buf;
	size_t len, cap;
};

static int buf_reserve(struct pcapng_writer *w, size_t more)
{
	if (w->len + more <= w->cap)
		return 0;
	size_t ncap = w->cap ? w->cap : 256;
	while (ncap < w->len + more)
		ncap *= 2;
	uint8_t *nb = realloc(w->buf, ncap);
	if (!nb)
		return -ENOMEM;
	w->buf = nb;
	w->cap = ncap;
	return 0;
}

static void put_bytes(struct pcapng_writer *w, const void *p, size_t n)
{
	if (w->err)
		return;
	int err = buf_reserve(w, n);
	if (err) {
		w->err = err;
		return;
	}
	if (n)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void put_u16(struct pcapng_writer *w, uint16_t v) { put_bytes(w, &v, 2); }
static void put_u32(struct pcapng_writer *w, uint32_t v) { put_bytes(w, &v, 4); }

static void put_pad4(struct pcapng_writer *w)
{
	static const uint8_t zero[4];
	put_bytes(w, zero, (4 - (w->len & 3)) & 3);
}

/* One option: code, length, value padded to 32 bits. */
static void put_opt(struct pcapng_writer *w, uint16_t code, const void *val, size_t n)
{
	if (n > 0xffff) /* longer than an option can be: cut it */
		n = 0xffff;
	put_u16(w, code);
	put_u16(w, (uint16_t)n);
	put_bytes(w, val, n);
	put_pad4(w);
}

static void put_opt_str(struct pcapng_writer *w, uint16_t code, const char *s)
{
	if (s && *s)
		put_opt(w, code, s, strlen(s));
}

/* Starts a block: type and a placeholder for the total length. */
static void block_begin(struct pcapng_writer *w, uint32_t type)
{
	w->len = 0;
	put_u32(w, type);
	put_u32(w, 0);
}

/* Ends a block: end-of-options, trailing length, patches the leading length, writes it. */
static int block_end(struct pcapng_writer *w, int has_options)
{
	if (has_options) {
		put_u16(w, OPT_ENDOFOPT);
		put_u16(w, 0);
	}
	put_u32(w, 0);
	if (w->err)
		return w->err;
	uint32_t total = (uint32_t)w->len;
	memcpy(w->buf + 4, &total, 4);
	memcpy(w->buf + w->len - 4, &total, 4);
	if (fwrite(w->buf, 1, w->len, w->f) != w->len)
		w->err = errno ? -errno : -EIO;
	return w->err;
}

static int write_raw(struct pcapng_writer *w, const void *p, size_t n)
{
	if (w->err)
		return w->err;
	if (n && fwrite(p, 1, n, w->f) != n)
		w->err = errno ? -errno : -EIO;
	return w->err;
}

static int classic_header(struct pcapng_writer *w, uint32_t linktype)
{
	uint32_t h[6];
	h[0] = PCAP_MAGIC_NSEC;
	h[1] = 2u | (4u << 16); /* version 2.4: u16 major, u16 minor */
	h[2] = 0;               /* thiszone */
	h[3] = 0;               /* sigfigs */
	h[4] = w->snaplen;
	h[5] = linktype;
	w->classic_hdr_done = 1;
	return write_raw(w, h, sizeof(h));
}

struct pcapng_writer *pcapng_writer__open(FILE *f, enum pcap_out_format fmt, uint32_t snaplen,
					  const char *app, const char *os, const char *hardware)
{
	if (!f || (fmt != PCAP_OUT_PCAPNG && fmt != PCAP_OUT_PCAP)) {
		errno = EINVAL;
		return NULL;
	}
	struct pcapng_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	w->f = f;
	w->fmt = fmt;
	w->snaplen = snaplen ? snaplen : DEFAULT_SNAPLEN;
	w->classic_linktype = -1;
	if (fmt == PCAP_OUT_PCAP)
		return w;

	block_begin(w, BT_SHB);
	put_u32(w, BYTE_ORDER_MAGIC);
	put_u16(w, 1); /* major */
	put_u16(w, 0); /* minor */
	put_u32(w, 0xffffffffu); /* section length: -1, not specified */
	put_u32(w, 0xffffffffu);
	put_opt_str(w, OPT_SHB_HARDWARE, hardware);
	put_opt_str(w, OPT_SHB_OS, os);
	put_opt_str(w, OPT_SHB_USERAPPL, app);
	int err = block_end(w, 1);
	if (err) {
		pcapng_writer__free(w);
		errno = -err;
		return NULL;
	}
	return w;
}

int pcapng_writer__add_iface(struct pcapng_writer *w, uint16_t linktype,
			     const char *name, const char *description)
{
	if (!w)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (w->fmt == PCAP_OUT_PCAP) {
		if (w->classic_linktype < 0) {
			w->classic_linktype = linktype;
			int err = classic_header(w, linktype);
			if (err)
				return err;
		}
		return w->classic_linktype == linktype ? 0 : -EPROTOTYPE;
	}
	block_begin(w, BT_IDB);
	put_u16(w, linktype);
	put_u16(w, 0); /* reserved */
	put_u32(w, w->snaplen);
	put_opt_str(w, OPT_IF_NAME, name);
	put_opt_str(w, OPT_IF_DESC, description);
	uint8_t tsresol = 9; /* 10^-9 s */
	put_opt(w, OPT_IF_TSRESOL, &tsresol, 1);
	int err = block_end(w, 1);
	if (err)
		return err;
	return w->niface++;
}

int pcapng_writer__packet(struct pcapng_writer *w, int iface, uint64_t ts_ns,
			  const void *data, uint32_t caplen, uint32_t orig_len, enum pcap_dir dir)
{
	if (!w || (caplen && !data) || caplen > MAX_CAPLEN)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (orig_len < caplen)
		orig_len = caplen;
	if (w->fmt == PCAP_OUT_PCAP) {
		if (iface != 0 || w->classic_linktype < 0)
			return -EINVAL;
		uint32_t h[4];
		h[0] = (uint32_t)(ts_ns / 1000000000u);
		h[1] = (uint32_t)(ts_ns % 1000000000u);
		h[2] = caplen;
		h[3] = orig_len;
		int err = write_raw(w, h, sizeof(h));
		if (!err)
			err = write_raw(w, data, caplen);
		if (!err)
			w->npackets++;
		return err;
	}
	if (iface < 0 || iface >= w->niface)
		return -EINVAL;
	block_begin(w, BT_EPB);
	put_u32(w, (uint32_t)iface);
	put_u32(w, (uint32_t)(ts_ns >> 32)); /* units of if_tsresol: ns */
	put_u32(w, (uint32_t)ts_ns);
	put_u32(w, caplen);
	put_u32(w, orig_len);
	put_bytes(w, data, caplen);
	put_pad4(w);
	int has_opts = 0;
	if (dir == PCAP_DIR_INBOUND || dir == PCAP_DIR_OUTBOUND) {
		uint32_t flags = (uint32_t)dir; /* bits 0-1: 01 inbound, 10 outbound */
		put_opt(w, OPT_EPB_FLAGS, &flags, 4);
		has_opts = 1;
	}
	int err = block_end(w, has_opts);
	if (!err)
		w->npackets++;
	return err;
}

int pcapng_writer__finish(struct pcapng_writer *w)
{
	if (!w)
		return -EINVAL;
	if (w->fmt == PCAP_OUT_PCAP && !w->classic_hdr_done)
		classic_header(w, LINKTYPE_ETHERNET);
	if (!w->err && fflush(w->f) != 0)
		w->err = errno ? -errno : -EIO;
	if (!w->err && ferror(w->f))
		w->err = -EIO;
	return w->err;
}

uint64_t pcapng_writer__npackets(const struct pcapng_writer *w)
{
	return w ? w->npackets : 0;
}

void pcapng_writer__free(struct pcapng_writer *w)
{
	if (!w)
		return;
	free(w->buf);
	free(w);
}
