/* frame.c: encoding and checking of frame headers, index entries and the chunk trailer. */
#include <string.h>

#include "tape_int.h"

void frame_hdr_encode(const struct frame_hdr *fh, uint8_t out[FRAME_HDR_LEN])
{
	memset(out, 0, FRAME_HDR_LEN);
	memcpy(out, FRAME_MAGIC, FRAME_MAGIC_LEN);
	out[4] = fh->type;
	out[5] = fh->flags;
	put_u16(out + 6, FRAME_HDR_LEN);
	put_u32(out + 8, fh->frame_no);
	put_u32(out + 12, fh->disk_len);
	put_u32(out + 16, fh->raw_len);
	put_u32(out + 20, fh->nrecords);
	put_u32(out + 24, fh->nlost);
	put_u32(out + 28, fh->type == FRAME_DATA_DELTA ? fh->rec_len : 0);
	put_u64(out + 32, fh->base_ts);
	put_u64(out + 40, fh->first_ts);
	put_u64(out + 48, fh->last_ts);
	put_u64(out + 56, fh->clock_boot);
	put_u64(out + 64, fh->clock_real);
	put_u32(out + 72, fh->payload_crc);
	put_u32(out + 76, tape_crc32c(0, out, FRAME_HDR_LEN - 4));
}

int frame_hdr_decode(const uint8_t *buf, size_t len, struct frame_hdr *fh, size_t *need,
		     const char **why)
{
	uint16_t hlen;

	*need = FRAME_HDR_LEN;
	*why = "bad frame header";
	if (len < FRAME_MAGIC_LEN) {
		if (memcmp(buf, FRAME_MAGIC, len))
			goto bad_magic;
		return -TAPE_E_TRUNCATED;
	}
	if (memcmp(buf, FRAME_MAGIC, FRAME_MAGIC_LEN))
		goto bad_magic;
	if (len < 8)
		return -TAPE_E_TRUNCATED;
	hlen = get_u16(buf + 6);
	if (hlen < FRAME_HDR_LEN || hlen > FRAME_HDR_MAX || (hlen & 3)) {
		*why = "bad frame header length";
		return -TAPE_E_FRAME;
	}
	*need = hlen;
	if (len < hlen)
		return -TAPE_E_TRUNCATED;
	if (CRC_MISMATCH(tape_crc32c(0, buf, hlen - 4u), get_u32(buf + hlen - 4u))) {
		*why = "frame header CRC32C mismatch";
		return -TAPE_E_FRAME;
	}
	memset(fh, 0, sizeof(*fh));
	fh->type = buf[4];
	fh->flags = buf[5];
	fh->hdr_len = hlen;
	fh->frame_no = get_u32(buf + 8);
	fh->disk_len = get_u32(buf + 12);
	fh->raw_len = get_u32(buf + 16);
	fh->nrecords = get_u32(buf + 20);
	fh->nlost = get_u32(buf + 24);
	fh->rec_len = fh->type == FRAME_DATA_DELTA ? get_u32(buf + 28) : 0;
	fh->base_ts = get_u64(buf + 32);
	fh->first_ts = get_u64(buf + 40);
	fh->last_ts = get_u64(buf + 48);
	fh->clock_boot = get_u64(buf + 56);
	fh->clock_real = get_u64(buf + 64);
	fh->payload_crc = get_u32(buf + 72);
	if (fh->disk_len > FRAME_DISK_MAX || fh->raw_len > FRAME_RAW_MAX ||
	    fh->rec_len > FRAME_RAW_MAX) {
		*why = "frame sizes out of range";
		return -TAPE_E_FRAME;
	}
	return 0;
bad_magic:
	*why = "no frame magic";
	return -TAPE_E_FRAME;
}

void index_entry_encode(const struct tape_frame_info *fi, uint8_t out[INDEX_ENTRY_LEN])
{
	memset(out, 0, INDEX_ENTRY_LEN);
	put_u64(out, fi->offset);
	out[8] = fi->type == TAPE_FRAME_DATA && fi->codec == TAPE_CODEC_DELTA ? FRAME_DATA_DELTA
									     : (uint8_t)fi->type;
	put_u32(out + 12, fi->disk_len);
	put_u32(out + 16, fi->raw_len);
	put_u32(out + 20, fi->nrecords);
	put_u32(out + 24, fi->nlost);
	put_u64(out + 32, fi->first_ts);
	put_u64(out + 40, fi->last_ts);
	put_u64(out + 48, fi->clock_boot_ns);
	put_u64(out + 56, fi->clock_real_ns);
}

void index_entry_decode(const uint8_t in[INDEX_ENTRY_LEN], struct tape_frame_info *fi)
{
	memset(fi, 0, sizeof(*fi));
	fi->offset = get_u64(in);
	fi->type = in[8];
	if (fi->type == TAPE_FRAME_DATA)
		fi->codec = TAPE_CODEC_PLAIN;
	if (fi->type == FRAME_DATA_DELTA) {
		fi->type = TAPE_FRAME_DATA;
		fi->codec = TAPE_CODEC_DELTA;
	}
	fi->disk_len = get_u32(in + 12);
	fi->raw_len = get_u32(in + 16);
	fi->nrecords = get_u32(in + 20);
	fi->nlost = get_u32(in + 24);
	fi->first_ts = get_u64(in + 32);
	fi->last_ts = get_u64(in + 40);
	fi->clock_boot_ns = get_u64(in + 48);
	fi->clock_real_ns = get_u64(in + 56);
}

void trailer_encode(uint64_t index_off, uint64_t file_len, uint32_t nframes,
		    uint8_t out[TRAILER_LEN])
{
	memcpy(out, TRAILER_MAGIC, 8);
	put_u64(out + 8, index_off);
	put_u64(out + 16, file_len);
	put_u32(out + 24, nframes);
	put_u32(out + 28, tape_crc32c(0, out, TRAILER_LEN - 4));
}

int trailer_decode(const uint8_t in[TRAILER_LEN], uint64_t *index_off, uint64_t *file_len,
		   uint32_t *nframes)
{
	if (memcmp(in, TRAILER_MAGIC, 8))
		return -TAPE_E_INDEX;
	if (CRC_MISMATCH(tape_crc32c(0, in, TRAILER_LEN - 4), get_u32(in + 28)))
		return -TAPE_E_INDEX;
	*index_off = get_u64(in + 8);
	*file_len = get_u64(in + 16);
	*nframes = get_u32(in + 24);
	return 0;
}

void frame_hdr_to_info(const struct frame_hdr *fh, uint64_t off, struct tape_frame_info *fi)
{
	memset(fi, 0, sizeof(*fi));
	fi->offset = off;
	fi->type = fh->type;
	if (fi->type == TAPE_FRAME_DATA)
		fi->codec = TAPE_CODEC_PLAIN;
	if (fi->type == FRAME_DATA_DELTA) {
		fi->type = TAPE_FRAME_DATA;
		fi->codec = TAPE_CODEC_DELTA;
	}
	fi->disk_len = fh->disk_len;
	fi->raw_len = fh->raw_len;
	fi->nrecords = fh->nrecords;
	fi->nlost = fh->nlost;
	fi->first_ts = fh->first_ts;
	fi->last_ts = fh->last_ts;
	fi->clock_boot_ns = fh->clock_boot;
	fi->clock_real_ns = fh->clock_real;
}
