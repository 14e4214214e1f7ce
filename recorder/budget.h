/* budget.h: the hard disk budget of a tape directory: accounting of chunk files and deletion of the oldest unpinned ones. */
#ifndef NETTAPE_RECORDER_BUDGET_H
#define NETTAPE_RECORDER_BUDGET_H

/*
 * Invariant: bytes of all chunk files in the directory (complete, .partial
 * leftovers of earlier runs, and the chunk being written) never exceed the
 * budget. The writer's current chunk may grow to at most `reserve` bytes
 * (chunk size + one compressed frame + index and trailer), so before it can
 * grow, complete chunks are deleted, oldest first, until
 * complete + reserve <= budget. Pinned chunks (a trigger asked to keep them)
 * are deleted only when nothing else is left: the budget is hard, pins are
 * best effort, and the recorder says so when it breaks a pin.
 */

#include <stdint.h>

struct budget;

/* Scans dir for chunk files (chunk-*.ntc and *.ntc.partial). budget = 0
 * means no limit (accounting only). Returns NULL and sets errno. */
struct budget *budget__new(const char *dir, uint64_t budget, uint64_t reserve);
void budget__free(struct budget *b);

/* A chunk was completed (path is its final name, size its bytes). */
void budget__chunk_done(struct budget *b, const char *path, uint64_t size);

/* Deletes oldest unpinned complete chunks until complete + reserve fits in
 * the budget. cur_path is the chunk being written (never deleted). Returns
 * the number of chunks deleted; *freed receives the bytes freed. */
int budget__enforce(struct budget *b, const char *cur_path, uint64_t *freed);

/* Disk full: deletes the oldest complete chunk (unpinned first) to free
 * space whatever the budget says. Returns 1 if one was deleted, 0 if none
 * is left. */
int budget__free_oldest(struct budget *b, const char *cur_path, uint64_t *freed);

/* Pins the chunks with sequence numbers in [seq_from, seq_to] until the
 * boottime until_ns (0 = for the rest of the recording). For the trigger
 * engine. Returns 0 or -ENOMEM. */
int budget__pin(struct budget *b, uint64_t seq_from, uint64_t seq_to, uint64_t until_ns);

/* Removes every pin lying entirely within [seq_from, seq_to] (retention:
 * a pin that gives way to newer ones; the caller re-applies overlapping
 * pins it still wants). Returns the number of pins removed. */
int budget__unpin(struct budget *b, uint64_t seq_from, uint64_t seq_to);

/* Bytes of complete chunks on disk and their count. */
uint64_t budget__complete_bytes(const struct budget *b);
uint64_t budget__nchunks(const struct budget *b);
/* Chunks deleted so far (budget and disk full). */
uint64_t budget__deleted(const struct budget *b);

/* Highest chunk sequence found in the directory at budget__new (0 = none). */
uint64_t budget__last_seq(const struct budget *b);
/* Path of the newest complete or partial chunk found at start, or NULL. */
const char *budget__last_path(const struct budget *b);

#endif /* NETTAPE_RECORDER_BUDGET_H */
