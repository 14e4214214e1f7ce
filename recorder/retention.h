/* retention.h: flight-recorder retention: turns trigger fires into pinned chunk ranges, within a share of the disk budget. */
#ifndef NETTAPE_RECORDER_RETENTION_H
#define NETTAPE_RECORDER_RETENTION_H

/*
 * A fire at ts pins the chunks covering [ts - pre, ts + post]: the chunks
 * completed since ts - pre (from the history of chunk completion times),
 * the chunk being written, and, while ts + post has not passed, each next
 * chunk as it starts. The pin is "open" until then, "final" after.
 *
 * Invariants:
 * - Every pin is written once into the tape as an NT_REC_PIN record at the
 *   fire time (kind, cookie, pre, post, description "...; pin #N from chunk
 *   S"), so `nettape info` lists it; the final range is in DIR/pins and in
 *   the log.
 * - Bytes of the complete chunks covered by pins stay within max_share_pct
 *   of the budget: when a new pin or a grown one exceeds it, the oldest pins
 *   give way (their chunks become ordinary rotation candidates) and the log
 *   says which. The newest pin never gives way here: when it alone holds
 *   more than the share, its end is cut back (never before the chunk of
 *   the fire) and it stops growing; the log says so. The budget itself
 *   stays the hard limit and breaks pins last.
 * - Pins survive a recorder restart through DIR/pins (text, one pin per
 *   line, replaced atomically with rename); loaded pins are final.
 * - Never prints: messages go to the log callback.
 */

#include <stddef.h>
#include <stdint.h>

#include "trigger.h"

struct budget;

struct retention_opts {
	const char *dir;              /* tape directory (chunk files, DIR/pins); required */
	struct budget *budget;        /* where pins are applied; NULL = bookkeeping only */
	uint64_t budget_bytes;        /* the disk budget; 0 = no share limit */
	uint32_t max_share_pct;       /* 1-100; 0 = 50 */
	uint64_t pre_ns;              /* 0 = 60 s */
	uint64_t post_ns;             /* 0 = 60 s */
	uint64_t first_seq;           /* sequence of the chunk being written at start; 0 = 1 */
	uint32_t max_pins;            /* 0 = 256; beyond, the oldest give way */
	int no_persist;               /* 1 = do not read or write DIR/pins */
	/* Releases the budget's pins lying within [from, to]. NULL until
	 * budget.h has budget__unpin (see WIRING.patch.txt): then a pin that
	 * gives way is dropped from retention's books and DIR/pins, but the
	 * budget keeps protecting its chunks for the rest of this run. */
	int (*unpin)(struct budget *b, uint64_t from, uint64_t to);
	/* Writes one record into the tape (tape_writer__append). Required. */
	int (*append)(void *ctx, uint16_t type, uint64_t ts, const void *data, uint32_t len);
	/* level: enum log_level of recorder/log.h. May be NULL. */
	void (*log)(void *ctx, int level, const char *msg);
	void *ctx;
};

struct retention_pin {
	uint64_t id;                  /* 1, 2, ... (continues across restarts) */
	uint16_t kind;                /* enum nt_trigger_kind */
	uint64_t ts;                  /* fire time, boottime ns (of the boot that fired it) */
	uint64_t cookie;
	uint64_t seq_from, seq_to;    /* pinned chunk sequences, inclusive */
	uint64_t seq_fire;            /* chunk written at the fire: a cap never cuts below it */
	int open;                     /* post window still running */
	char desc[TRIGGER_DESC_MAX];
};

struct retention;

/* Copies opts (dir is copied); reads DIR/pins and re-applies those pins to
 * the budget. Returns NULL and sets errno (EINVAL: no dir or append;
 * ENOMEM). A damaged DIR/pins is logged and ignored. Free with
 * retention__free(). */
struct retention *retention__new(const struct retention_opts *opts);
void retention__free(struct retention *r);

/* A trigger fired (f->ts ~ now): writes the NT_REC_PIN record, pins the
 * range, enforces the share. Returns the new pin's id (> 0) or a negative
 * errno (the record's write error is returned but the pin is kept). */
long retention__fire(struct retention *r, const struct trigger_fire *f);

/* The writer completed a chunk (its final path) at boottime now: extends
 * open pins to the next chunk, enforces the share, saves DIR/pins.
 * Call it before budget__enforce in the writer's chunk_done callback. */
void retention__chunk_done(struct retention *r, const char *path, uint64_t now);

/* Closes pins whose post window has passed (logs their final range).
 * Call it about once a second. */
void retention__poll(struct retention *r, uint64_t now);

/* When retention__poll next has work: the earliest end of an open pin's
 * post window (boottime ns), UINT64_MAX when no pin is open. */
uint64_t retention__next_due(const struct retention *r);

/* Current pins, oldest first. Returns the count; pin i into *out. */
size_t retention__count(const struct retention *r);
int retention__get(const struct retention *r, size_t i, struct retention_pin *out);

/* Bytes of complete chunks covered by the current pins (stat of the files). */
uint64_t retention__pinned_bytes(struct retention *r);

#endif /* NETTAPE_RECORDER_RETENTION_H */
