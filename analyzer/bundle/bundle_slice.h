/* bundle_slice.h: cuts a time/connection slice out of a tape into a new, valid tape, optionally anonymized (the passes behind 'nettape bundle'). */
#ifndef NETTAPE_BUNDLE_SLICE_H
#define NETTAPE_BUNDLE_SLICE_H

/*
 * The caller (cmd_bundle.c) fills the settings of struct bundle, creates
 * meta (and anon and ameta for --anonymize), runs bundle_learn() (with
 * --conn), bundle_select() and bundle_write_slice(), then packs b->tmp.
 * It owns and frees everything in the struct; b->tmp is a temporary
 * directory the caller removes. Never prints: the passes put a one-line
 * error into b->err and return -1.
 */

#include <limits.h>
#include <stdint.h>

#include "bundle/anonymize.h"
#include "util/errlen.h"
#include "util/selection.h"
#include "tape.h"

/* The slice is made in passes over the window of the tape (the records are
 * never held in memory, only the metadata they refer to): learn (with --conn),
 * select (counts, references, first clock pair), write (the same selection,
 * anonymized, into a temporary tape), pack. */
struct bundle {
	struct tape_meta *meta;       /* original metadata the slice refers to */
	struct tape_meta *ameta;      /* its anonymized copy (with --anonymize) */
	struct anon *anon;
	struct conn_filter cf;
	uint64_t cur_boot, cur_real;  /* clock pair handed to the writer */
	uint64_t nevents, npackets, nloss, npins, nclocks;
	int counting;                 /* bundle_keep() counts (the select pass only) */
	int have_first;
	uint64_t first_boot, first_real; /* the first selected record's clock pair */
	struct tape_header hdr;       /* the source's first chunk header */
	/* settings */
	const char *tape_path, *out;
	uint64_t from_ns, to_ns;
	int no_report;
	/* the slice's header fields (pseudonyms with --anonymize) */
	char hostname[256];
	const char *boot_id, *cmdline;
	char tmp[1024];               /* temporary directory, "" when none (short: paths are made from it) */
	int have_pcap;                /* tmp/packets.pcapng was made */
	char tape_dir[PATH_MAX];
	char err[NT_ERRLEN];          /* the last pass's one-line error (or warning) */
};

/* Pass 0 (with --conn): reads the window once so that the filter learns the
 * connection's cookies and tuples. 0 or a negative tape error / errno. */
int bundle_learn(struct bundle *b, const struct tape_reader_opts *ro);

/* Pass 1: counts the records of the slice (b->nevents, b->npackets, ...) and
 * collects the metadata they refer to into b->meta. 0 or -1 (b->err). */
int bundle_select(struct bundle *b, struct tape_reader *rd);

/* Pass 2: reads the window again and writes the same selection as a tape into
 * b->tape_dir under a new temporary directory b->tmp. 0 or -1 (b->err). */
int bundle_write_slice(struct bundle *b, const struct tape_reader_opts *ro);

#endif
