/* cmd_retime.c: 'nettape retime TAPE --offset DUR -o OUT': a copy of a tape whose wall clock is shifted by DUR (every clock pair), through the format library. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/commands.h"
#include "util/timefmt.h"
#include "tape.h"

/*
 * Boottime timestamps stay as recorded (they are the kernel's); only the
 * realtime half of every clock pair moves: the chunk headers' created_real_ns,
 * every frame's clock pair (the writer takes it from retime_real()), and each
 * NT_REC_CLOCK record. One output chunk per input chunk, same host name, boot
 * id, kernel, recorder version and command line, a new recording id (the copy
 * is another recording: importing both into one database keeps both).
 * Metadata records go into the copy where they were (the snapshot's ones at
 * the start of their chunk, inline), so each chunk stays self-contained.
 */

struct retime {
	int64_t offset;
	uint64_t cur_boot, cur_real;
};

static uint64_t retime_now(void *ctx) { return ((struct retime *)ctx)->cur_boot; }
static uint64_t retime_real(void *ctx) { return ((struct retime *)ctx)->cur_real; }

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nettape retime TAPE --offset +-DUR -o OUT\n\n"
		"Writes a copy of TAPE (a tape directory or chunk file) into the new directory OUT with its\n"
		"wall clock shifted by DUR: every (boottime, realtime) clock pair gets DUR added to its\n"
		"realtime, so every event of the copy is DUR later (or earlier) in 'nettape replay', 'import'\n"
		"and 'report'; boottime stamps stay as recorded. For a host whose clock is known to have been\n"
		"wrong (NTP trouble), and to build a skewed host for tests. The copy is a new recording (new\n"
		"recording id) of the same host and boot, and passes 'nettape verify'.\n\n"
		"Options:\n"
		"      --offset DUR    signed duration: +2.5s, -700ms, 90us, 1h (required)\n"
		"  -o, --output OUT    directory to create (must not exist or be empty)\n"
		"  -h, --help          this help\n\n"
		"Examples:\n"
		"  nettape retime db1-tape --offset -300ms -o db1-fixed\n"
		"  nettape retime srv-tape --offset +2.5s -o srv-skewed && nettape verify srv-skewed\n");
}

static int dir_usable(const char *out)
{
	DIR *d = opendir(out);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty ? 0 : -EEXIST;
}

static uint64_t shifted(uint64_t real, int64_t off)
{
	int64_t r = (int64_t)real + off;
	return r < 0 ? 0 : (uint64_t)r;
}

int cmd_retime(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "offset", required_argument, NULL, 'O' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *out = NULL, *tape;
	int have_off = 0, c, err = 0, r, ret = 1;
	struct retime rt = { 0 };
	struct tape_writer *w = NULL;
	struct tape_reader *rd = NULL;
	struct tape_record rec;
	const struct tape_source *cur = NULL;
	uint64_t nrec = 0, nchunks = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'O':
			if (nt_sdur_parse(optarg, &rt.offset)) {
				fprintf(stderr, "nettape retime: --offset '%s' is not a duration; give e.g. +2.5s, -700ms, 90us\n",
					optarg);
				return 2;
			}
			have_off = 1;
			break;
		case 'o': out = optarg; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "nettape retime: see 'nettape retime --help'\n");
			return 2;
		}
	}
	if (!have_off || !out || optind != argc - 1) {
		fprintf(stderr, "nettape retime: %s; usage: nettape retime TAPE --offset DUR -o OUT\n",
			!have_off ? "missing --offset DUR" : !out ? "missing -o OUT (the directory to write)"
			: optind >= argc ? "missing TAPE" : "one TAPE at a time");
		return 2;
	}
	tape = argv[optind];
	if ((err = dir_usable(out))) {
		fprintf(stderr, "nettape retime: %s: %s; give a new directory\n", out,
			err == -EEXIST ? "exists and is not empty" : strerror(-err));
		return 1;
	}
	const char *const paths[1] = { tape };
	rd = tape_reader__open(paths, 1, NULL, &err);
	if (!rd) {
		fprintf(stderr, "nettape retime: cannot read %s: %s\n", tape, tape_strerror(err ? err : -errno));
		return 1;
	}
	while ((r = tape_reader__next(rd, &rec)) > 0) {
		if (rec.src != cur) {
			const struct tape_header *h = &rec.src->hdr;
			/* a new input chunk: a new output chunk, its header's clock pair shifted */
			rt.cur_boot = h->created_boot_ns;
			rt.cur_real = shifted(h->created_real_ns, rt.offset);
			if (!w) {
				struct tape_writer_opts wo = {
					.dir = out,
					.chunk_size = 1ull << 40,                       /* never by size ... */
					.chunk_time_ns = 1000000000ull * 3600 * 24 * 3650, /* ... nor by time */
					.hostname = h->hostname,
					.boot_id = h->boot_id,
					.kernel = h->kernel,
					.version = h->version,
					.cmdline = h->cmdline,
					.snaplen = h->snaplen,
					.hdr_flags = h->flags,
					.first_seq = h->chunk_seq,
					.cb_ctx = &rt,
					.now_ns = retime_now,
					.realtime_ns = retime_real,
				};
				w = tape_writer__open(&wo);
				if (!w) {
					fprintf(stderr, "nettape retime: cannot write %s: %s\n", out, strerror(errno));
					goto out;
				}
			} else if ((err = tape_writer__rotate(w))) {
				goto write_failed;
			}
			cur = rec.src;
			nchunks++;
		}
		if (rec.flags & TAPE_REC_F_SHORT) {
			fprintf(stderr, "nettape retime: %s holds %s records shorter than this nettape's layout; "
				"retime it with the nettape that recorded it\n", tape, nt_rec_type_name(rec.type));
			goto out;
		}
		rt.cur_boot = rec.ts;
		rt.cur_real = shifted(tape_record_realtime(&rec), rt.offset);
		if (rec.type == NT_REC_CLOCK && rec.len >= sizeof(struct nt_rec_clock)) {
			struct nt_rec_clock ck;
			memcpy(&ck, rec.data, sizeof(ck));
			ck.realtime_ns = shifted(ck.realtime_ns, rt.offset);
			err = tape_writer__append(w, rec.type, rec.ts, &ck, sizeof(ck));
		} else if (rec.type == NT_REC_LOSS && rec.len >= sizeof(struct nt_rec_loss)) {
			struct nt_rec_loss l;
			memcpy(&l, rec.data, sizeof(l));
			err = tape_writer__loss(w, l.rec_type, l.cpu, l.count, l.from_ns, l.to_ns);
		} else {
			err = tape_writer__append(w, rec.type, rec.ts, rec.data, rec.len);
		}
		if (err)
			goto write_failed;
		nrec++;
	}
	if (r < 0) {
		fprintf(stderr, "nettape retime: reading %s failed: %s\n", tape, tape_strerror(r));
		goto out;
	}
	if (!w) {
		fprintf(stderr, "nettape retime: %s has no readable chunk; check it with 'nettape verify'\n", tape);
		goto out;
	}
	for (size_t i = 0; i < tape_reader__ndamage(rd); i++) {
		const struct tape_damage *d = tape_reader__damage(rd, i);
		fprintf(stderr, "nettape retime: warning: %s: damaged at offset %llu: %s (not in the copy)\n", d->path,
			(unsigned long long)d->offset, d->reason);
	}
	err = tape_writer__close(w);
	w = NULL;
	if (err)
		goto write_failed;
	{
		char d[32];
		fprintf(stderr, "nettape retime: %llu records in %llu chunk%s into %s, wall clock %s%s\n",
			(unsigned long long)nrec, (unsigned long long)nchunks, nchunks == 1 ? "" : "s", out,
			rt.offset < 0 ? "-" : "+", nt_dur_fmt(rt.offset < 0 ? -rt.offset : rt.offset, d, sizeof(d)));
	}
	ret = 0;
	goto out;
write_failed:
	fprintf(stderr, "nettape retime: writing %s failed: %s; check free space\n", out, tape_strerror(err));
out:
	if (w)
		tape_writer__close(w);
	tape_reader__free(rd);
	return ret;
}
