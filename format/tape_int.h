/* tape_int.h: internal on-disk layouts, byte-order helpers and shared helpers of the format library. */
#ifndef NETTAPE_TAPE_INT_H
#define NETTAPE_TAPE_INT_H

/*
 * Invariants (docs/FORMAT.md is normative):
 * - Every multi-byte field on disk is little-endian; the library only runs on
 *   little-endian hosts (records.h), but encoders still go through the
 *   put/get helpers below so that a port only has to touch this file.
 * - All decoders work on a buffer and a length, and never read past them.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tape.h"

/* ---- chunk header ---- */
#define CHUNK_MAGIC        "\x89NTAPE\r\n"
#define CHUNK_MAGIC_LEN    8
#define CHUNK_HDR_FIXED    64          /* bytes before the TLV fields */
#define CHUNK_HDR_MAX      65536       /* header_len limit (incl. CRC) */
enum chunk_tlv_tag {
	TLV_HOSTNAME = 1,
	TLV_BOOT_ID  = 2,
	TLV_KERNEL   = 3,
	TLV_VERSION  = 4,
	TLV_CMDLINE  = 5,
};

/* ---- frame header ---- */
#define FRAME_MAGIC        "NTFR"
#define FRAME_MAGIC_LEN    4
#define FRAME_HDR_LEN      80          /* version 1.0 header size */
#define FRAME_HDR_MAX      4096        /* readers accept hdr_len in [80, 4096] */
#define FRAME_DISK_MAX     (64u << 20) /* payload limits a reader accepts */
#define FRAME_RAW_MAX      (64u << 20)
#define FRAME_DATA_DELTA   4           /* on-disk type of a DATA frame in the delta codec (1.1) */

/* ---- record header ---- */
#define REC_HDR_LEN        8
#define REC_MAX_TOTAL      65535u      /* the u16 length field holds header + payload */
#define REC_MAX_PAYLOAD    (REC_MAX_TOTAL - REC_HDR_LEN)
#define REC_ALIGN          8           /* records start at multiples of 8 in a frame */
#define REC_TS_SLACK_NS    1000000000ull /* base_ts = first ts - slack */

/* ---- index entries and trailer ---- */
#define INDEX_ENTRY_LEN    64
#define TRAILER_MAGIC      "\x89NTEND\r\n"
#define TRAILER_LEN        32

/* Checksum comparison. The fuzzing build (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION,
 * only for the libFuzzer copy of the library) accepts every checksum, so that
 * the fuzzer reaches the decoders behind them. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define CRC_MISMATCH(computed, stored) ((void)(computed), (void)(stored), 0)
#else
#define CRC_MISMATCH(computed, stored) ((computed) != (stored))
#endif

static inline uint32_t align8(uint32_t n) { return (n + 7u) & ~7u; }

static inline void put_u16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static inline uint16_t get_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t get_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t get_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Decoded frame header (internal form; tape_frame_info is the public one). */
struct frame_hdr {
	uint8_t  type;
	uint8_t  flags;
	uint16_t hdr_len;
	uint32_t frame_no;
	uint32_t disk_len, raw_len, nrecords, nlost;
	uint32_t rec_len;            /* FRAME_DATA_DELTA: record bytes after the inverse transform */
	uint64_t base_ts, first_ts, last_ts;
	uint64_t clock_boot, clock_real;
	uint32_t payload_crc;
};

/* crc32c.c: the table-driven CRC32C, whatever the CPU has (for tests). */
uint32_t crc32c_portable(uint32_t crc, const void *buf, size_t len);

/* header.c */
/* Encodes h into buf (cap bytes); returns the header length or -ENOSPC. */
int chunk_hdr_encode(const struct tape_header *h, uint8_t *buf, size_t cap);
/* Decodes a chunk header from buf[0..len). Returns the header length,
 * -TAPE_E_TRUNCATED when more bytes are needed (*need set to how many in
 * total), or -TAPE_E_MAGIC/-TAPE_E_VERSION/-TAPE_E_HEADER. */
int chunk_hdr_decode(const uint8_t *buf, size_t len, struct tape_header *h, size_t *need);

/* frame.c */
/* Copies a decoded frame header found at file offset off into *fi (index
 * entries, tape_chunk_reader__next_frame). */
void frame_hdr_to_info(const struct frame_hdr *fh, uint64_t off, struct tape_frame_info *fi);

void frame_hdr_encode(const struct frame_hdr *fh, uint8_t out[FRAME_HDR_LEN]);
/* Checks magic, length fields and the header CRC of buf[0..len). Returns
 * 0, -TAPE_E_TRUNCATED (len too short: *need = bytes needed) or -TAPE_E_FRAME
 * (with a static reason in *why). */
int frame_hdr_decode(const uint8_t *buf, size_t len, struct frame_hdr *fh, size_t *need,
		     const char **why);
void index_entry_encode(const struct tape_frame_info *fi, uint8_t out[INDEX_ENTRY_LEN]);
void index_entry_decode(const uint8_t in[INDEX_ENTRY_LEN], struct tape_frame_info *fi);
void trailer_encode(uint64_t index_off, uint64_t file_len, uint32_t nframes,
		    uint8_t out[TRAILER_LEN]);
/* Returns 0 and the fields, or -TAPE_E_INDEX. */
int trailer_decode(const uint8_t in[TRAILER_LEN], uint64_t *index_off, uint64_t *file_len,
		   uint32_t *nframes);

/* delta.c: the DATA_DELTA transform (FORMAT.md 4.1). The table sizes and the
 * slot hash are part of the format. */
#define DELTA_TYPE_SLOTS   1024
#define DELTA_KEY_BITS     13
#define DELTA_KEY_SLOTS    (1u << DELTA_KEY_BITS)
struct delta_tables;
/* Reference tables for one encoder or decoder; NULL on ENOMEM. Free with delta_tables__free(). */
struct delta_tables *delta_tables__new(void);
void delta_tables__free(struct delta_tables *t);
/* Bytes delta_encode() may write for raw_len bytes of records. */
size_t delta_bound(uint32_t raw_len);
/* Encodes the nrec well-formed records raw[0..raw_len) (plain layout,
 * 8-aligned) into out (delta_bound(raw_len) bytes). Returns the encoded length. */
size_t delta_encode(struct delta_tables *t, const uint8_t *raw, uint32_t raw_len, uint32_t nrec,
		    uint8_t *out);
/* Decodes enc[0..enc_len) holding nrec records into plain[0..plain_len)
 * (the frame's nrecords and rec_len). Returns 0, or -TAPE_E_RECORD with a reason in why when the
 * encoding is inconsistent; *good_len and *good_rec are the bytes and records
 * decoded before the break (all of them on success). Never reads or writes
 * outside the given buffers. */
int delta_decode(struct delta_tables *t, const uint8_t *enc, uint32_t enc_len, uint32_t nrec,
		 uint8_t *plain, uint32_t plain_len, uint32_t *good_len, uint32_t *good_rec,
		 char *why, size_t whylen);

/* meta.c: records of these types are not repeated in each chunk's snapshot. */
int meta_is_snapshot_type(uint16_t type);

/* Clock pairs of one chunk, sorted by boottime (reader side). */
struct clock_pair { uint64_t boot, real; };
struct clock_list {
	struct clock_pair *v;
	size_t n, cap;
};
int clock_list_add(struct clock_list *cl, uint64_t boot, uint64_t real);
uint64_t clock_list_to_real(const struct clock_list *cl, uint64_t boot, uint64_t hboot,
			    uint64_t hreal);
/* As clock_list_to_real(), with *hint (start at 0) the index of the pair that
 * served the previous call: records of a frame use the same pair, so most calls
 * check one pair instead of searching. The result does not depend on *hint. */
uint64_t clock_list_to_real_hint(const struct clock_list *cl, uint64_t boot, uint64_t hboot,
				 uint64_t hreal, size_t *hint);
void clock_list_free(struct clock_list *cl);
/* The header's own pair only. */
uint64_t header_to_realtime(const struct tape_header *h, uint64_t boot_ns);

/* The reader's source: the public part first, private state after it. */
struct source_int {
	struct tape_source pub;
	char *path;
	struct clock_list clocks;
	int registered;              /* known to tape_header__to_realtime() */
};
void source_int_free(struct source_int *s);

/* chunk_reader.c: hands the source to the caller (tape_reader), which then
 * frees it with source_int_free(); the chunk reader can still be used until
 * freed. */
struct source_int *chunk_reader_take_source(struct tape_chunk_reader *r);
/* Realtime of boottime ts through the clock pairs of src. */
uint64_t source_to_realtime(const struct tape_source *src, uint64_t ts);

#endif /* NETTAPE_TAPE_INT_H */
