/* test_golden.c: the golden bad chunks of tests/golden/ must be rejected or reported with the right error. */
#include "tape.h"
#include "test_util.h"

#ifndef GOLDEN_DIR
#error "GOLDEN_DIR must be defined"
#endif

struct golden {
	const char *file;
	int open_err;        /* expected error of tape_chunk_reader__open, 0 = opens */
	int records;         /* records returned (snapshot clock pair included) */
	int damage_err;      /* first damage's error, 0 = none */
	const char *reason;  /* substring of the first damage's reason */
	int has_index;
};

static const struct golden cases[] = {
	{ "good.chunk", 0, 31, 0, NULL, 1 },
	{ "empty.chunk", -TAPE_E_TRUNCATED, 0, 0, NULL, 0 },
	{ "bad-magic.chunk", -TAPE_E_MAGIC, 0, 0, NULL, 0 },
	{ "future-major.chunk", -TAPE_E_VERSION, 0, 0, NULL, 0 },
	{ "future-minor.chunk", 0, 31, 0, NULL, 1 },
	{ "header-crc.chunk", -TAPE_E_HEADER, 0, 0, NULL, 0 },
	{ "truncated-header.chunk", -TAPE_E_TRUNCATED, 0, 0, NULL, 0 },
	{ "no-index.chunk", 0, 31, 0, NULL, 0 },
	{ "truncated-frame.chunk", 0, 21, -TAPE_E_TRUNCATED, "frame 3: truncated", 0 },
	{ "truncated-frame-header.chunk", 0, 21, -TAPE_E_TRUNCATED, "frame 3: file ends inside a frame header", 0 },
	{ "frame-header-crc.chunk", 0, 21, -TAPE_E_FRAME, "frame 2: frame header CRC32C mismatch", 1 },
	{ "payload-crc.chunk", 0, 21, -TAPE_E_CRC, "frame 2: payload CRC32C mismatch", 1 },
	{ "bad-zstd.chunk", 0, 21, -TAPE_E_ZSTD, "frame 2: payload is not a zstd frame", 0 },
	{ "bad-record-length.chunk", 0, 24, -TAPE_E_RECORD, "frame 2: record 3 at byte 312: bad length 2000", 0 },
	{ "record-count.chunk", 0, 31, -TAPE_E_RECORD, "frame 2: holds 10 records, header says 11", 0 },
	{ "bad-trailer.chunk", 0, 31, -TAPE_E_INDEX, "trailer CRC32C mismatch", 0 },
	{ "garbage-between-frames.chunk", 0, 31, -TAPE_E_FRAME, "frame 2: no frame magic", 0 },
	{ "unknown-types.chunk", 0, 23, 0, NULL, 0 }, /* frame 2 (unknown type) skipped */
	/* format 1.1, DATA_DELTA frames */
	{ "delta-good.chunk", 0, 31, 0, NULL, 1 },
	{ "delta-rec-len.chunk", 0, 30, -TAPE_E_RECORD, "frame 2: record 9: bad length 104 (9 records before it)", 0 },
	{ "delta-impossible-len.chunk", 0, 21, -TAPE_E_RECORD, "frame 2: record length", 0 },
};

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct golden *g = &cases[i];
		struct tape_chunk_reader *r;
		struct tape_record rec;
		char path[4096];
		int err = 0, n = 0, rc;

		snprintf(path, sizeof(path), "%s/%s", GOLDEN_DIR, g->file);
		r = tape_chunk_reader__open(path, &err);
		if (err != g->open_err)
			fprintf(stderr, "%s: open: got %d (%s), want %d\n", g->file, err,
				tape_strerror(err), g->open_err);
		CHECK_EQ(err, g->open_err);
		if (!r)
			continue;
		while ((rc = tape_chunk_reader__next(r, &rec)) == 1)
			n++;
		CHECK_EQ(rc, 0);
		if (n != g->records)
			fprintf(stderr, "%s: %d records, want %d\n", g->file, n, g->records);
		CHECK_EQ(n, g->records);
		CHECK_EQ(tape_chunk_reader__source(r)->has_index, g->has_index);
		if (!g->damage_err) {
			if (tape_chunk_reader__ndamage(r))
				fprintf(stderr, "%s: unexpected damage: %s\n", g->file,
					tape_chunk_reader__damage(r, 0)->reason);
			CHECK_EQ(tape_chunk_reader__ndamage(r), 0);
		} else {
			const struct tape_damage *d = tape_chunk_reader__damage(r, 0);
			CHECK(d != NULL);
			if (d) {
				if (d->err != g->damage_err || !strstr(d->reason, g->reason))
					fprintf(stderr, "%s: damage %d '%s' at %llu, want %d '%s'\n",
						g->file, d->err, d->reason,
						(unsigned long long)d->offset, g->damage_err,
						g->reason);
				CHECK_EQ(d->err, g->damage_err);
				CHECK(strstr(d->reason, g->reason) != NULL);
			}
		}
		tape_chunk_reader__free(r);
	}
	return tu_done("test_golden");
}
