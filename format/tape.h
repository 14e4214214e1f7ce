/* tape.h: public API of the nettape tape format library (writer, reader, metadata). */
#ifndef NETTAPE_TAPE_H
#define NETTAPE_TAPE_H

/*
 * A tape is a directory of chunk files "chunk-<seq 8 digits>.ntc" of one
 * recording (one recording id); "*.ntc.partial" while being written.
 * Each chunk: header, metadata frame(s), data frames, and on clean close an
 * index frame and a fixed trailer. docs/FORMAT.md is the normative spec.
 *
 * Invariants:
 * - The library never prints and never exits. Functions return 0 (or a
 *   count) on success and a negative error code on failure: -errno for
 *   system errors, -TAPE_E_* for format errors; tape_strerror() names both.
 * - Pointer-returning functions return NULL and set errno (ENOMEM, EINVAL,
 *   ENOENT ...) or, for format problems, store the -TAPE_E_* code in *err
 *   when err is not NULL.
 * - x__free(NULL) is a no-op.
 * - All timestamps are CLOCK_BOOTTIME nanoseconds of the recording host,
 *   unless a name says realtime.
 */

#include <stddef.h>
#include <stdint.h>

#include "records.h"

#define TAPE_FORMAT_MAJOR 1
#define TAPE_FORMAT_MINOR 1

/* Format errors (pinned values; negative of these are returned). They start
 * at 1000 so that they never collide with errno values. */
enum tape_error {
	TAPE_E_MAGIC = 1000,  /* not a nettape chunk (bad file magic) */
	TAPE_E_VERSION,       /* major version this reader does not support */
	TAPE_E_HEADER,        /* chunk header malformed or its CRC mismatches */
	TAPE_E_TRUNCATED,     /* file ends inside a frame or header */
	TAPE_E_FRAME,         /* frame header malformed or its CRC mismatches */
	TAPE_E_CRC,           /* frame payload CRC32C mismatch */
	TAPE_E_ZSTD,          /* frame payload does not decompress */
	TAPE_E_RECORD,        /* record framing inside a frame is inconsistent */
	TAPE_E_INDEX,         /* footer index/trailer malformed (readers fall back to scan) */
	TAPE_E_NOCHUNKS,      /* a directory without any chunk file */
	TAPE_E_TOOBIG,        /* a record larger than the format allows */
	TAPE_E_MIXED,         /* chunks of different recordings in one directory */
};

/* Names any code these functions return: -errno, -TAPE_E_*, or 0. Static string. */
const char *tape_strerror(int err);

/* CRC32C (Castagnoli), as used by every checksum in the format. */
uint32_t tape_crc32c(uint32_t crc, const void *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Metadata: the tables a chunk carries (and that grow inline).        */
/* ------------------------------------------------------------------ */

struct tape_meta;

struct tape_meta *tape_meta__new(void);
void tape_meta__free(struct tape_meta *m);

/* Adds (a copy of) a metadata record of type NT_REC_* (0x0001-0x00ff).
 * A record with the same key replaces the older one: ENUM_NAME by
 * (kind, value), SYMBOL by addr, PROCESS by pid, CGROUP by id, NETNS by
 * inode, IFACE by (netns, ifindex), SOCKET by cookie, CONFIG by key.
 * CLOCK, LOSS and PIN records are kept as lists (in insertion order).
 * Returns 0, -EINVAL for a short or non-metadata record, -ENOMEM. */
int tape_meta__add(struct tape_meta *m, uint16_t type, const void *data, uint32_t len);

/* Removes every SOCKET record (the recorder rebuilds that table at each chunk). */
void tape_meta__clear_sockets(struct tape_meta *m);

/* Calls cb for every stored record in a stable order (the order the writer
 * serializes them in). Stops early and returns cb's value if non-zero. */
int tape_meta__foreach(const struct tape_meta *m,
		       int (*cb)(void *ctx, uint16_t type, const void *data, uint32_t len),
		       void *ctx);

/* Lookups. Returned pointers are owned by m and valid until m is modified
 * or freed. NULL when not known. */
const char *tape_meta__enum_name(const struct tape_meta *m, uint16_t kind, uint32_t value);
/* Nearest symbol at or below addr; *off receives addr - symbol address. */
const char *tape_meta__symbol(const struct tape_meta *m, uint64_t addr, uint64_t *off);
/* *cmdline (may be NULL) receives a NUL-terminated copy owned by m. */
const struct nt_rec_process *tape_meta__process(const struct tape_meta *m, uint32_t pid,
						const char **cmdline);
const char *tape_meta__cgroup_path(const struct tape_meta *m, uint64_t id);
const char *tape_meta__container(const struct tape_meta *m, uint64_t cgroup_id);
const char *tape_meta__netns_name(const struct tape_meta *m, uint32_t inode);
const char *tape_meta__iface_name(const struct tape_meta *m, uint32_t netns, uint32_t ifindex);
const struct nt_ev_state *tape_meta__socket(const struct tape_meta *m, uint64_t cookie);
const char *tape_meta__config(const struct tape_meta *m, const char *key);
/* Count of stored records of a type (for iteration use tape_meta__foreach). */
size_t tape_meta__count(const struct tape_meta *m, uint16_t type);

/* Built-in fallback names (used when a tape lacks a table): TCP states and
 * CA states of Linux; NULL otherwise. */
const char *tape_tcp_state_name(uint32_t state);
const char *tape_ca_state_name(uint32_t state);

/* ------------------------------------------------------------------ */
/* Chunk header (decoded).                                            */
/* ------------------------------------------------------------------ */

struct tape_header {
	uint16_t major, minor;
	uint8_t  recording_id[16];
	uint64_t chunk_seq;          /* 1-based, consecutive within a recording */
	uint64_t created_boot_ns;    /* clock pair taken when the chunk was opened */
	uint64_t created_real_ns;
	uint32_t snaplen;            /* packet snippet length, 0 = no snippets */
	uint32_t flags;              /* TAPE_HDR_F_* (redaction policy etc.) */
	char hostname[256];
	char boot_id[64];
	char kernel[128];            /* uname -r */
	char version[64];            /* recorder version */
	char cmdline[1024];          /* recorder command line (may be truncated) */
};
#define TAPE_HDR_F_REDACT_PAYLOAD 0x0001 /* packet payload beyond headers zeroed */
#define TAPE_HDR_F_ANONYMIZED     0x0002 /* addresses/names pseudonymised (bundle) */

/* Converts boottime ns to realtime ns with the clock pair in effect: the
 * latest NT_REC_CLOCK / frame clock pair seen at or before ts, else the header's. */
uint64_t tape_header__to_realtime(const struct tape_header *h, uint64_t boot_ns);

/* ------------------------------------------------------------------ */
/* Writer.                                                            */
/* ------------------------------------------------------------------ */

struct tape_writer;

struct tape_writer_opts {
	const char *dir;             /* tape directory; created (0750) if missing */
	uint64_t chunk_size;         /* rotate after this many bytes on disk; default 64 MiB */
	uint64_t chunk_time_ns;      /* rotate after this long; 0 = default 10 min */
	uint32_t frame_size;         /* uncompressed bytes per frame; default 256 KiB */
	uint32_t flush_ms;           /* a frame is written at least this often; default 1000 */
	int zstd_level;              /* default 3 (zstd's default) */
	int codec;                   /* enum tape_codec of DATA frames; 0 = TAPE_CODEC_DELTA */
	int fsync;                   /* fdatasync each frame (1) or only at chunk close (0) */
	/* Header fields copied into every chunk. NULL/0 = filled in from the
	 * running machine (hostname, boot_id, uname -r) or left empty. */
	const char *hostname;
	const char *boot_id;
	const char *kernel;
	const char *version;
	const char *cmdline;
	uint32_t snaplen;
	uint32_t hdr_flags;
	const uint8_t *recording_id; /* 16 bytes; NULL = random */
	uint64_t first_seq;          /* first chunk sequence; 0 = 1 */
	/* Metadata snapshot written at the start of every chunk (borrowed;
	 * may be NULL). The caller may keep adding to it between calls. */
	struct tape_meta *meta;
	/* Called after the snapshot of a new chunk is queued, before any other
	 * record of that chunk: the caller may append extra metadata (open
	 * sockets). Return 0 or a negative error. */
	int (*chunk_start_cb)(void *ctx, struct tape_writer *w);
	/* Called after a chunk file is complete and renamed from .partial
	 * (path of the final name, its size). */
	void (*chunk_done_cb)(void *ctx, const char *path, uint64_t size);
	void *cb_ctx;
	/* Clock source for tests (NULL = clock_gettime(CLOCK_BOOTTIME)). */
	uint64_t (*now_ns)(void *ctx);
	/* Added: realtime clock for the clock pairs (tests, synthetic tapes).
	 * NULL = clock_gettime(CLOCK_REALTIME); but when only now_ns is set,
	 * realtime = now_ns() + (CLOCK_REALTIME - now_ns()) taken at open, so
	 * that the pairs of a fake clock stay consistent. */
	uint64_t (*realtime_ns)(void *ctx);
};

/* How DATA frames are coded (docs/FORMAT.md 4 and 4.1). META and INDEX frames
 * are always plain. Readers decode both; the records handed out are the same. */
enum tape_codec {
	TAPE_CODEC_DEFAULT = 0,      /* = TAPE_CODEC_DELTA */
	TAPE_CODEC_PLAIN   = 1,      /* frame type 1: records -> zstd (format 1.0) */
	TAPE_CODEC_DELTA   = 2,      /* frame type 4: records XOR-ed against the previous
				      * record of their type and connection, zero bytes
				      * suppressed, then zstd (format 1.1; 1.0 readers
				      * skip these frames) */
};

/* Opens a writer; creates the first chunk ("chunk-00000001.ntc.partial").
 * Returns NULL and sets errno on failure (EACCES, ENOSPC, ...).
 * Caller frees with tape_writer__close(). */
struct tape_writer *tape_writer__open(const struct tape_writer_opts *opts);

/* Appends one record of `type` at time ts (boottime ns); data is copied.
 * Records may be slightly out of time order; the frame tracks min/max.
 * May flush a full frame and rotate the chunk.
 * Returns 0; -TAPE_E_TOOBIG (len > 65535 - 8); -EINVAL; -errno of a failed
 * write (ENOSPC, EIO): the frame that failed to write stays pending and is
 * retried by the next flush; appending continues until the pending buffer
 * limit (4 frames), after which records are refused with -ENOSPC and
 * counted in tape_writer_stats.refused. The file is never left with a
 * partial frame: a short write is truncated back. */
int tape_writer__append(struct tape_writer *w, uint16_t type, uint64_t ts,
			const void *data, uint32_t len);

/* Writes a loss record (NT_REC_LOSS) and adds count to the current frame's
 * loss counter. */
int tape_writer__loss(struct tape_writer *w, uint16_t rec_type, uint16_t cpu,
		      uint64_t count, uint64_t from_ns, uint64_t to_ns);

/* Flushes the open frame if it is older than flush_ms, rotates if the chunk
 * is older than chunk_time_ns. Call it from the main loop (cheap). */
int tape_writer__poll(struct tape_writer *w);

/* When tape_writer__poll next has work, in the writer's clock (boottime ns
 * unless opts.now_ns), for a caller that sleeps until then: the open
 * frame's flush (flush_ms after its first record) or the chunk's rotation
 * (chunk_time_ns after it opened), whichever comes first; UINT64_MAX for a
 * NULL writer. *frame_open (may be NULL): 1 when the open frame holds
 * records. *retry (may be NULL): 1 when a failed write, chunk open or
 * rotation waits to be tried again by tape_writer__poll (the caller picks
 * how soon). */
uint64_t tape_writer__next_due(const struct tape_writer *w, int *frame_open, int *retry);

/* Writes the open frame now (even if small). */
int tape_writer__flush(struct tape_writer *w);

/* Completes the current chunk (index, trailer, fsync, rename) and opens
 * the next one. */
int tape_writer__rotate(struct tape_writer *w);

/* Flushes, completes the current chunk and frees w. Returns the first
 * error met (w is freed regardless). A chunk without any event record is
 * still completed (so a short recording leaves a valid tape). */
int tape_writer__close(struct tape_writer *w);

struct tape_writer_stats {
	uint64_t records;            /* records appended */
	uint64_t raw_bytes;          /* uncompressed record bytes */
	uint64_t disk_bytes;         /* bytes written to chunk files (all chunks) */
	uint64_t frames;
	uint64_t chunks;             /* chunks opened */
	uint64_t refused;            /* records refused (pending buffer full) */
	uint64_t write_errors;
	uint64_t cur_chunk_seq;
	uint64_t cur_chunk_bytes;
	char     cur_chunk_path[4096];
};
void tape_writer__stats(const struct tape_writer *w, struct tape_writer_stats *st);

/* ------------------------------------------------------------------ */
/* Reading.                                                           */
/* ------------------------------------------------------------------ */

/* One place where reading stopped or skipped data. */
struct tape_damage {
	char path[4096];
	uint64_t offset;             /* byte offset in the chunk file */
	uint64_t lost_bytes;         /* bytes skipped until resync (or to EOF) */
	int err;                     /* -TAPE_E_* or -errno */
	char reason[160];            /* human text: "frame 12: payload CRC32C mismatch" */
};

/* A chunk as the reader knows it. */
struct tape_source {
	const char *path;
	struct tape_header hdr;
	struct tape_meta *meta;      /* the chunk's snapshot + inline metadata so far */
	int has_index;               /* clean close: index + trailer present and valid */
	int partial;                 /* file name ends in .partial */
	unsigned tape_no;            /* which of the opened tapes (0-based) */
};

struct tape_record {
	uint16_t type;
	uint16_t flags;
	uint32_t len;                /* payload length */
	uint64_t ts;                 /* boottime ns */
	const void *data;            /* payload; valid until the next call */
	const struct tape_source *src;
	uint64_t frame_offset;       /* file offset of the frame holding it */
};
/* Added: rec->flags bits. */
#define TAPE_REC_F_SHORT 0x0001      /* stored payload was shorter than the known
				      * layout (nt_rec_min_size); data is a
				      * zero-filled copy of len = min size */

/* Per-frame information, for verify/info/seek. */
struct tape_frame_info {
	uint64_t offset;
	uint16_t type;               /* TAPE_FRAME_*: DATA for both codecs */
	uint16_t codec;              /* DATA frames: TAPE_CODEC_PLAIN or TAPE_CODEC_DELTA; else 0 */
	uint32_t disk_len, raw_len, nrecords, nlost; /* raw_len: zstd content size */
	uint64_t first_ts, last_ts;
	uint64_t clock_boot_ns, clock_real_ns;
};
#define TAPE_FRAME_DATA  1
#define TAPE_FRAME_META  2
#define TAPE_FRAME_INDEX 3

struct tape_chunk_reader;

/* Opens one chunk file and reads its header and metadata frame(s).
 * Returns NULL with errno set and *err = -TAPE_E_* or -errno on failure
 * (a bad header is fatal for the chunk). Caller frees with
 * tape_chunk_reader__free(). */
struct tape_chunk_reader *tape_chunk_reader__open(const char *path, int *err);
void tape_chunk_reader__free(struct tape_chunk_reader *r);
const struct tape_source *tape_chunk_reader__source(const struct tape_chunk_reader *r);

/* Next record in stored order (metadata records are returned too, after
 * being added to the source's meta). Returns 1 with *rec filled, 0 at the
 * end, or a negative code only for errors that stop reading entirely
 * (ENOMEM, EIO). Damage is not an error: the reader records it
 * (tape_chunk_reader__damage), resynchronises on the next valid frame header
 * and goes on; everything before the damage has been returned. */
int tape_chunk_reader__next(struct tape_chunk_reader *r, struct tape_record *rec);

/* A whole frame's records at once (the batch reader). */
struct tape_batch {
	const struct tape_record *rec; /* n records in stored order */
	const uint64_t *real;        /* n values: tape_record_realtime(&rec[i]) as it was
				      * when rec[i] was read (the chunk's clock pairs up to
				      * and including that record) */
	size_t n;                    /* >= 1 */
	uint64_t frame_offset;       /* the frame's file offset (= rec[i].frame_offset) */
};

/* The records of the next frame (or the rest of the current one, after
 * tape_chunk_reader__next()), decoded into one array: the same records, in
 * the same order, with metadata applied to the source and damage recorded the
 * same way as tape_chunk_reader__next() would, but one call per frame and no
 * copy per record (short records still get a zero-extended copy each).
 * A metadata record (nt_rec_is_meta) is only ever the first of a batch: a
 * frame that holds some is returned in several batches, so that while the
 * caller works through a batch the source's metadata is what
 * tape_chunk_reader__next() would have left after each of its records.
 * Frames without records are skipped. Returns 1 with *b filled, 0 at the
 * end, or a negative code for errors that stop reading (ENOMEM, EIO). The
 * arrays and payloads belong to r and stay valid until the next call on r. */
int tape_chunk_reader__next_batch(struct tape_chunk_reader *r, struct tape_batch *b);

/* Next frame header without decompressing it (for info/verify without
 * decoding: pass decode=0) or with full checking (decode=1: decompress and
 * check CRC and record framing). Returns 1, 0 at end, <0 fatal. */
int tape_chunk_reader__next_frame(struct tape_chunk_reader *r, int decode,
				  struct tape_frame_info *fi);

/* Positions the reader at the first data frame whose last_ts >= ts (index
 * when present, else a scan of frame headers). */
int tape_chunk_reader__seek_time(struct tape_chunk_reader *r, uint64_t ts);

size_t tape_chunk_reader__ndamage(const struct tape_chunk_reader *r);
const struct tape_damage *tape_chunk_reader__damage(const struct tape_chunk_reader *r, size_t i);

/* Reads the footer index if present: fills *fi (malloc'd array, caller
 * frees) and *n. Returns 0, -TAPE_E_INDEX if absent or damaged. */
int tape_chunk_reader__index(struct tape_chunk_reader *r, struct tape_frame_info **fi, size_t *n);

/* A reader over whole tapes: each path is a tape directory or a single
 * chunk file. Chunks of one tape are read in sequence order; several tapes
 * are merged by record timestamp (boottime of different hosts is aligned
 * through their realtime clock pairs: with more than one tape, rec->ts is
 * still the source host's boottime, use tape_record_realtime() to compare).
 * Within one tape, records come in stored order. */
struct tape_reader;

struct tape_reader_opts {
	uint64_t from_ns, to_ns;     /* realtime window; 0 = unbounded */
	int skip_meta;               /* do not return metadata records */
};

struct tape_reader *tape_reader__open(const char *const *paths, size_t npaths,
				      const struct tape_reader_opts *opts, int *err);
void tape_reader__free(struct tape_reader *r);
int tape_reader__next(struct tape_reader *r, struct tape_record *rec);
size_t tape_reader__ndamage(const struct tape_reader *r);
const struct tape_damage *tape_reader__damage(const struct tape_reader *r, size_t i);
/* Every chunk opened so far / in total (sources stay valid until free). */
size_t tape_reader__nsources(const struct tape_reader *r);
const struct tape_source *tape_reader__source(const struct tape_reader *r, size_t i);

/* Wall-clock time of a record, through the clock pairs of its source. */
uint64_t tape_record_realtime(const struct tape_record *rec);
/* Added: wall-clock time of any boottime of a source, through the clock pairs
 * of that chunk read so far (header, frames, NT_REC_CLOCK): the latest pair at
 * or before boot_ns, else the earliest. Better than tape_header__to_realtime(),
 * which only has the header's pair. */
uint64_t tape_source__to_realtime(const struct tape_source *src, uint64_t boot_ns);

/* Lists the chunk files of a tape directory sorted by sequence (including
 * .partial ones). *paths is malloc'd, each string too; free with
 * tape_list_free(). Returns the count or a negative error. */
int tape_list_chunks(const char *dir, char ***paths);
void tape_list_free(char **paths, int n);

#endif /* NETTAPE_TAPE_H */
