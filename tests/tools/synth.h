/* synth.h: the building blocks of every synthetic tape the tests write: a fake clock, metadata records and connection tuples. */
#ifndef NETTAPE_TESTS_SYNTH_H
#define NETTAPE_TESTS_SYNTH_H

/*
 * Shared by the tape generators of the tests (tests/tools/: nettape_synth.c,
 * gen_bundle_tape.c, gen_replay_tape.c, mktape.c):
 * each keeps its own scenario, all build records with these helpers, so
 * that a record layout is encoded once for the tests as in format/.
 * The metadata helpers return 0 or the negative error of tape_meta__add().
 */

#include <stddef.h>
#include <stdint.h>

#include "tape.h"

/* A writer clock (tape_writer_opts.now_ns / realtime_ns with cb_ctx = the
 * clock): boottime now, realtime now + real_off. */
struct synth_clock {
	uint64_t now;
	uint64_t real_off;
};
uint64_t synth_clock_boot(void *clock);
uint64_t synth_clock_real(void *clock);

/* A record of type: the fixed part, then texts a and b (either may be NULL),
 * cut to what fits in 4096 bytes. */
int synth_meta_text(struct tape_meta *m, uint16_t type, const void *fixed, size_t flen, const char *a,
		    const char *b);
int synth_meta_enum(struct tape_meta *m, uint16_t kind, uint32_t value, const char *name);
/* comm is NUL-padded, cut to 15 bytes. */
int synth_meta_process(struct tape_meta *m, uint32_t pid, uint32_t ppid, uint64_t cgroup, const char *comm,
		       const char *cmdline);
int synth_meta_symbol(struct tape_meta *m, uint64_t addr, const char *name);
int synth_meta_netns(struct tape_meta *m, uint32_t inode, const char *name);
int synth_meta_cgroup(struct tape_meta *m, uint64_t id, const char *path, const char *container);

/* A TCP connection identity: IPv6 when sa contains ':', else IPv4; cgroup,
 * netns and flags 0 (the caller sets what its scenario needs). */
struct nt_conn synth_conn(uint64_t cookie, uint32_t pid, const char *sa, uint16_t sp, const char *da, uint16_t dp);

#endif
