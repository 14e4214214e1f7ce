/* cmd_verify.c: 'nettape verify': decodes every frame of every chunk and reports each damage with its place. */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/commands.h"
#include "tape.h"

struct vstate {
	int quiet;
	uint64_t chunks, frames, records, partial, problems;
};

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static void problem(struct vstate *v, const char *chunk, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void problem(struct vstate *v, const char *chunk, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	v->problems++;
	if (v->quiet > 1)
		return;
	printf("%s: offset %" PRIu64 ": ", base_name(chunk), off);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* "frame 12: payload CRC32C mismatch" -> "payload CRC32C mismatch in frame 12";
 * a trailing "(N records before it)" (records of the frame itself that are still
 * readable) is folded into the recoverable count. */
static void print_damage(struct vstate *v, const char *chunk, const struct tape_damage *d,
			 uint64_t recs_before)
{
	char text[sizeof(d->reason)];
	const char *suffix = " records before it)";
	unsigned fno, inframe;
	char *open;
	int n = 0;

	snprintf(text, sizeof(text), "%s", d->reason);
	open = strrchr(text, '(');
	if (open && open > text && strlen(open) > strlen(suffix) &&
	    !strcmp(open + strlen(open) - strlen(suffix), suffix) &&
	    sscanf(open, "(%u", &inframe) == 1) {
		recs_before += inframe;
		open[-1] = 0;
	}
	if (d->err == -TAPE_E_INDEX) {
		problem(v, chunk, d->offset, "%s (records are still readable by a scan)", text);
		return;
	}
	if (sscanf(text, "frame %u: %n", &fno, &n) == 1 && n > 0)
		problem(v, chunk, d->offset, "%s in frame %u (recoverable: %" PRIu64
			" records before it)", text + n, fno, recs_before);
	else
		problem(v, chunk, d->offset, "%s (recoverable: %" PRIu64 " records before it)",
			text, recs_before);
}

static int same_frame(const struct tape_frame_info *a, const struct tape_frame_info *b)
{
	return a->offset == b->offset && a->type == b->type && a->disk_len == b->disk_len &&
	       a->raw_len == b->raw_len && a->nrecords == b->nrecords && a->nlost == b->nlost &&
	       a->first_ts == b->first_ts && a->last_ts == b->last_ts;
}

/* Verifies one chunk file. Returns 0, or -ENOMEM/-EIO when it could not go on. */
static int verify_chunk(struct vstate *v, const char *path, struct tape_header *hdr, int *hdr_ok)
{
	struct tape_chunk_reader *r;
	struct tape_frame_info fi, *idx = NULL, *seen = NULL;
	size_t nidx = 0, nseen = 0, cap = 0, ndmg = 0;
	uint64_t recs = 0;
	int err = 0, rc;

	*hdr_ok = 0;
	v->chunks++;
	r = tape_chunk_reader__open(path, &err);
	if (!r) {
		if (err == -ENOMEM)
			return err;
		problem(v, path, 0, "%s (chunk unreadable)", tape_strerror(err));
		return 0;
	}
	*hdr = tape_chunk_reader__source(r)->hdr;
	*hdr_ok = 1;
	if (tape_chunk_reader__source(r)->partial)
		v->partial++;
	if (tape_chunk_reader__source(r)->has_index)
		tape_chunk_reader__index(r, &idx, &nidx);
	/* damage found while opening (trailer, index, metadata frames) */
	for (;;) {
		rc = tape_chunk_reader__next_frame(r, 1, &fi);
		for (; ndmg < tape_chunk_reader__ndamage(r); ndmg++)
			print_damage(v, path, tape_chunk_reader__damage(r, ndmg), recs);
		if (rc <= 0)
			break;
		if (fi.type == TAPE_FRAME_INDEX)
			continue;
		v->frames++;
		recs += fi.nrecords;
		if (nseen == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct tape_frame_info *n = realloc(seen, ncap * sizeof(*n));
			if (!n) {
				rc = -ENOMEM;
				break;
			}
			seen = n;
			cap = ncap;
		}
		seen[nseen++] = fi;
	}
	if (rc < 0) {
		if (rc != -ENOMEM)
			problem(v, path, 0, "read error: %s", tape_strerror(rc));
		err = rc == -ENOMEM ? rc : 0;
	}
	v->records += recs;
	/* the index must describe exactly the frames that are there (frames lost
	 * to a reported damage are not reported again) */
	if (idx && rc == 0) {
		size_t i = 0, k = 0;
		while (i < nidx || k < nseen) {
			if (k == nseen || (i < nidx && idx[i].offset < seen[k].offset)) {
				int known = 0;
				for (size_t d = 0; d < tape_chunk_reader__ndamage(r); d++) {
					const struct tape_damage *dm = tape_chunk_reader__damage(r, d);
					if (idx[i].offset >= dm->offset &&
					    idx[i].offset < dm->offset + (dm->lost_bytes ? dm->lost_bytes : 1))
						known = 1;
				}
				if (!known)
					problem(v, path, idx[i].offset,
						"index lists frame %zu, but no such frame is there", i);
				i++;
			} else if (i == nidx || seen[k].offset < idx[i].offset) {
				problem(v, path, seen[k].offset, "frame missing from the index");
				k++;
			} else {
				if (!same_frame(&idx[i], &seen[k]))
					problem(v, path, idx[i].offset,
						"index entry %zu does not match the frame there", i);
				i++;
				k++;
			}
		}
	}
	free(idx);
	free(seen);
	tape_chunk_reader__free(r);
	return err;
}

static int verify_tape(struct vstate *v, const char *path)
{
	struct stat st;
	char **paths = NULL;
	int n, err = 0;
	uint64_t prev_seq = 0;
	uint8_t id[16];
	int have_prev = 0;

	if (stat(path, &st)) {
		fprintf(stderr, "nettape verify: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		n = tape_list_chunks(path, &paths);
		if (n < 0) {
			fprintf(stderr, "nettape verify: %s: %s\n", path, tape_strerror(n));
			return -1;
		}
		if (n == 0) {
			fprintf(stderr, "nettape verify: %s: %s\n", path,
				tape_strerror(-TAPE_E_NOCHUNKS));
			tape_list_free(paths, n);
			return -1;
		}
	} else {
		paths = malloc(sizeof(*paths));
		if (!paths || !(paths[0] = strdup(path))) {
			free(paths);
			return -ENOMEM;
		}
		n = 1;
	}
	for (int i = 0; i < n && !err; i++) {
		struct tape_header h;
		int ok;
		err = verify_chunk(v, paths[i], &h, &ok);
		if (err || !ok)
			continue;
		if (have_prev && memcmp(id, h.recording_id, 16))
			problem(v, paths[i], 0, "chunk of another recording in this tape");
		else if (have_prev && h.chunk_seq != prev_seq + 1)
			problem(v, paths[i], 0,
				"chunk sequence gap: %" PRIu64 " follows %" PRIu64 " (%s)",
				h.chunk_seq, prev_seq,
				h.chunk_seq > prev_seq ? "chunks missing" : "out of order");
		memcpy(id, h.recording_id, 16);
		prev_seq = h.chunk_seq;
		have_prev = 1;
	}
	tape_list_free(paths, n);
	return err;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nettape verify [OPTIONS] TAPE...\n\n"
		"Decodes every frame of every chunk of each TAPE (a tape directory or a chunk\n"
		"file): header, frame and payload CRC32C, zstd, record framing, the footer\n"
		"index against the frames, and chunk sequence gaps.\n"
		"Prints 'OK: N chunks, M frames, R records' and exits 0 when clean; otherwise\n"
		"one line per damage and exit 1.\n\n"
		"Options:\n"
		"  -q, --quiet   print nothing when clean; -qq: print nothing at all\n"
		"  -h, --help    this help\n\n"
		"Exit codes: 0 clean, 1 damage or error, 2 usage error.\n\n"
		"Examples:\n"
		"  nettape verify /var/lib/nettape\n"
		"  nettape verify -q /var/lib/nettape/chunk-00000003.ntc && echo clean\n");
}

int cmd_verify(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vstate v = { 0 };
	int c, failed = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "qh", lopts, NULL)) != -1) {
		switch (c) {
		case 'q': v.quiet++; break;
		case 'h': usage(stdout); return 0;
		default:
			if (optopt)
				fprintf(stderr, "nettape verify: unknown option '-%c'; run 'nettape verify --help'\n",
					optopt);
			else
				fprintf(stderr, "nettape verify: unknown option '%s'; run 'nettape verify --help'\n",
					argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "nettape verify: no tape given; run 'nettape verify --help'\n");
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		int err = verify_tape(&v, argv[i]);
		if (err == -ENOMEM) {
			fprintf(stderr, "nettape verify: out of memory\n");
			return 1;
		}
		if (err)
			failed = 1;
	}
	if (failed)
		return 1;
	if (v.problems)
		return 1;
	if (!v.quiet) {
		printf("OK: %" PRIu64 " chunks, %" PRIu64 " frames, %" PRIu64 " records\n",
		       v.chunks, v.frames, v.records);
		if (v.partial)
			printf("note: %" PRIu64 " chunk%s not closed (.partial, no index): "
			       "recording still running, or stopped by a crash\n",
			       v.partial, v.partial == 1 ? "" : "s");
	}
	return 0;
}
