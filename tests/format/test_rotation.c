/* test_rotation.c: many chunks (rotation by size, by time, by hand), order, modes, and two tapes merged by time. */
#include "tape.h"
#include "test_util.h"

struct done_ctx {
	struct tu_clock ck;
	int ndone;
	uint64_t last_seq;
	int cb_calls;
};

static void done_cb(void *ctx, const char *path, uint64_t size)
{
	struct done_ctx *d = ctx;
	struct stat st;
	CHECK(strstr(path, ".partial") == NULL);
	CHECK(!stat(path, &st) && (uint64_t)st.st_size == size);
	CHECK((st.st_mode & 0777) == 0640);
	d->ndone++;
}

static int start_cb(void *ctx, struct tape_writer *w)
{
	struct done_ctx *d = ctx;
	struct nt_ev_state s = { 0 };
	s.c.cookie = 12345;
	d->cb_calls++;
	return tape_writer__append(w, NT_REC_SOCKET, d->ck.boot, &s, sizeof(s));
}

static uint64_t boot_cb(void *ctx) { return ((struct done_ctx *)ctx)->ck.boot; }
static uint64_t real_cb(void *ctx)
{
	struct done_ctx *d = ctx;
	return d->ck.boot + d->ck.real_off;
}

/* Writes n drop records, one every step ns; returns chunks written. */
static int write_tape(const char *dir, int n, uint64_t step, uint64_t chunk_size,
		      uint64_t chunk_time, uint64_t boot0, uint64_t real_off, uint32_t tag)
{
	struct done_ctx d = { .ck = { .boot = boot0, .real_off = real_off } };
	struct tape_writer_opts o = { 0 };
	struct tape_writer_stats st;
	struct tape_writer *w;
	struct nt_ev_drop ev = { 0 };

	o.dir = dir;
	o.chunk_size = chunk_size;
	o.chunk_time_ns = chunk_time;
	o.frame_size = 2048;
	o.now_ns = boot_cb;
	o.realtime_ns = real_cb;
	o.chunk_done_cb = done_cb;
	o.chunk_start_cb = start_cb;
	o.cb_ctx = &d;
	o.first_seq = 7;
	w = tape_writer__open(&o);
	REQUIRE(w);
	for (int i = 0; i < n; i++) {
		ev.reason = tag;
		ev.seq = (uint32_t)i;
		d.ck.boot += step;
		CHECK_EQ(tape_writer__append(w, NT_REC_DROP, d.ck.boot, &ev, sizeof(ev)), 0);
		CHECK_EQ(tape_writer__poll(w), 0);
	}
	tape_writer__stats(w, &st);
	CHECK_EQ(st.records, (uint64_t)n + (uint64_t)d.cb_calls + st.chunks /* clock pairs */);
	CHECK(strstr(st.cur_chunk_path, ".partial") != NULL);
	CHECK_EQ(tape_writer__close(w), 0);
	CHECK_EQ(d.ndone, (int)st.chunks);
	CHECK_EQ(d.cb_calls, (int)st.chunks);
	return (int)st.chunks;
}

static void read_back(const char *dir, int n, int nchunks)
{
	const char *paths[1] = { dir };
	struct tape_reader *r;
	struct tape_record rec;
	uint64_t prev_seq = 0, last_ts = 0;
	int err, count = 0, rc;

	r = tape_reader__open(paths, 1, &(struct tape_reader_opts){ .skip_meta = 1 }, &err);
	REQUIRE(r);
	while ((rc = tape_reader__next(r, &rec)) == 1) {
		const struct nt_ev_drop *d = rec.data;
		CHECK_EQ(rec.type, NT_REC_DROP);
		CHECK_EQ(d->seq, (uint32_t)count);
		CHECK(rec.ts > last_ts);
		CHECK(rec.src->hdr.chunk_seq >= prev_seq);
		/* each chunk's own meta has its socket table */
		CHECK(tape_meta__socket(rec.src->meta, 12345) != NULL);
		prev_seq = rec.src->hdr.chunk_seq;
		last_ts = rec.ts;
		count++;
	}
	CHECK_EQ(rc, 0);
	CHECK_EQ(count, n);
	CHECK_EQ(tape_reader__ndamage(r), 0);
	CHECK_EQ(tape_reader__nsources(r), (size_t)nchunks);
	for (size_t i = 0; i < tape_reader__nsources(r); i++) {
		CHECK_EQ(tape_reader__source(r, i)->hdr.chunk_seq, 7 + i);
		CHECK(tape_reader__source(r, i)->has_index);
	}
	tape_reader__free(r);
}

int main(void)
{
	char a[256], b[256];
	struct stat st;
	int nc;

	/* rotation by size */
	tu_tmpdir(a, sizeof(a), "rot");
	strcat(a, "/tape");
	nc = write_tape(a, 20000, 1000000, 6144, 0, 1000000000ull, 1700000000000000000ull, 1);
	CHECK(nc > 10);
	CHECK(!stat(a, &st) && (st.st_mode & 0777) == 0750);
	read_back(a, 20000, nc);
	*strrchr(a, '/') = 0;
	tu_rmtree(a);

	/* rotation by time: 1 record per 10 ms, chunk every 1 s */
	tu_tmpdir(a, sizeof(a), "rot");
	nc = write_tape(a, 1000, 10000000, 1ull << 30, 1000000000ull, 1000000000ull,
			1700000000000000000ull, 1);
	CHECK(nc >= 9 && nc <= 11);
	read_back(a, 1000, nc);

	/* two tapes of two hosts (different boottimes) merged by realtime */
	tu_tmpdir(b, sizeof(b), "rot");
	write_tape(b, 1000, 10000000, 8192, 0, 50000000000ull,
		   1700000000000000000ull - 50000000000ull + 1000000000ull + 5000000ull, 2);
	{
		const char *paths[2] = { a, b };
		struct tape_reader *r;
		struct tape_record rec;
		uint64_t last_rt = 0, na = 0, nb = 0;
		int err, rc;
		r = tape_reader__open(paths, 2, &(struct tape_reader_opts){ .skip_meta = 1 }, &err);
		REQUIRE(r);
		while ((rc = tape_reader__next(r, &rec)) == 1) {
			uint64_t rt = tape_record_realtime(&rec);
			const struct nt_ev_drop *d = rec.data;
			CHECK(rt >= last_rt);
			CHECK_EQ(d->reason, rec.src->tape_no + 1);
			last_rt = rt;
			if (rec.src->tape_no == 0)
				na++;
			else
				nb++;
		}
		CHECK_EQ(rc, 0);
		CHECK_EQ(na, 1000);
		CHECK_EQ(nb, 1000);
		tape_reader__free(r);

		/* a realtime window: 2 s of tape a (records at 1.01 .. 11.0 s) */
		r = tape_reader__open(paths, 1,
				      &(struct tape_reader_opts){
					      .skip_meta = 1,
					      .from_ns = 1700000000000000000ull + 4000000000ull,
					      .to_ns = 1700000000000000000ull + 6000000000ull - 1 },
				      &err);
		REQUIRE(r);
		na = 0;
		while ((rc = tape_reader__next(r, &rec)) == 1) {
			uint64_t rt = tape_record_realtime(&rec);
			CHECK(rt >= 1700000000000000000ull + 4000000000ull);
			CHECK(rt < 1700000000000000000ull + 6000000000ull);
			na++;
		}
		CHECK_EQ(na, 200);
		tape_reader__free(r);
	}
	tu_rmtree(a);
	tu_rmtree(b);

	/* an NTP step of +10 s in the middle of a chunk: frames carry fresh clock
	 * pairs, so records after the step get the new wall-clock time */
	{
		struct tu_clock ck = { .boot = 1000000000ull, .real_off = 1700000000000000000ull };
		struct tape_writer_opts o = { 0 };
		struct tape_writer *w;
		struct nt_ev_drop ev = { 0 };
		const char *paths[1];
		struct tape_reader *r;
		struct tape_record rec;
		int err, n = 0;

		tu_tmpdir(a, sizeof(a), "step");
		o.dir = a;
		o.now_ns = tu_clock_boot;
		o.realtime_ns = tu_clock_real;
		o.cb_ctx = &ck;
		w = tape_writer__open(&o);
		REQUIRE(w);
		for (uint32_t i = 0; i < 200; i++) {
			if (i == 100) {
				CHECK_EQ(tape_writer__flush(w), 0);
				ck.real_off += 10000000000ull;
				CHECK_EQ(tape_writer__flush(w), 0); /* no-op: empty frame */
			}
			ck.boot += 1000000;
			ev.seq = i;
			CHECK_EQ(tape_writer__append(w, NT_REC_DROP, ck.boot, &ev, sizeof(ev)), 0);
			if (i == 100)
				CHECK_EQ(tape_writer__flush(w), 0); /* seals a frame with the new pair */
		}
		CHECK_EQ(tape_writer__close(w), 0);
		paths[0] = a;
		r = tape_reader__open(paths, 1, &(struct tape_reader_opts){ .skip_meta = 1 }, &err);
		REQUIRE(r);
		while (tape_reader__next(r, &rec) == 1) {
			const struct nt_ev_drop *d = rec.data;
			uint64_t want = rec.ts + 1700000000000000000ull +
					(d->seq >= 100 ? 10000000000ull : 0);
			CHECK_EQ(tape_record_realtime(&rec), want);
			CHECK_EQ(tape_source__to_realtime(rec.src, rec.ts), want);
			CHECK_EQ(tape_header__to_realtime(&rec.src->hdr, rec.ts), want);
			n++;
		}
		CHECK_EQ(n, 200);
		{
			/* a header that is not a reader's: its own pair only */
			struct tape_header h = { .created_boot_ns = 5, .created_real_ns = 105 };
			CHECK_EQ(tape_header__to_realtime(&h, 10), 110);
			CHECK_EQ(tape_header__to_realtime(&h, 2), 102);
		}
		tape_reader__free(r);
		tu_rmtree(a);
	}

	/* a frame is written once it is older than flush_ms (tape_writer__poll) */
	{
		struct tu_clock ck = { .boot = 1000000000ull, .real_off = 1700000000000000000ull };
		struct tape_writer_opts o = { 0 };
		struct tape_writer_stats st0, st1, st2;
		struct tape_writer *w;
		struct nt_ev_drop ev = { 0 };

		tu_tmpdir(a, sizeof(a), "flush");
		o.dir = a;
		o.flush_ms = 500;
		o.now_ns = tu_clock_boot;
		o.cb_ctx = &ck; /* realtime derived from the fake clock */
		w = tape_writer__open(&o);
		REQUIRE(w);
		tape_writer__stats(w, &st0);
		CHECK_EQ(tape_writer__append(w, NT_REC_DROP, ck.boot, &ev, sizeof(ev)), 0);
		ck.boot += 400000000ull;
		CHECK_EQ(tape_writer__poll(w), 0);
		tape_writer__stats(w, &st1);
		CHECK_EQ(st1.frames, st0.frames);
		ck.boot += 100000000ull;
		CHECK_EQ(tape_writer__poll(w), 0);
		tape_writer__stats(w, &st2);
		CHECK_EQ(st2.frames, st0.frames + 1);
		CHECK(st2.cur_chunk_bytes > st1.cur_chunk_bytes);
		CHECK_EQ(tape_writer__close(w), 0);
		tu_rmtree(a);
	}

	/* errors of tape_reader__open */
	{
		const char *p[1] = { "/nonexistent/tape" };
		int err = 0;
		CHECK(tape_reader__open(p, 1, NULL, &err) == NULL);
		CHECK_EQ(err, -ENOENT);
		tu_tmpdir(a, sizeof(a), "rot");
		p[0] = a;
		CHECK(tape_reader__open(p, 1, NULL, &err) == NULL);
		CHECK_EQ(err, -TAPE_E_NOCHUNKS);
		/* two recordings in one directory */
		for (int k = 0; k < 2; k++) {
			struct tape_writer_opts o = { 0 };
			struct tape_writer *w;
			o.dir = a;
			o.first_seq = 1 + (uint64_t)k * 5;
			w = tape_writer__open(&o);
			REQUIRE(w);
			CHECK_EQ(tape_writer__close(w), 0);
		}
		CHECK(tape_reader__open(p, 1, NULL, &err) == NULL);
		CHECK_EQ(err, -TAPE_E_MIXED);
		/* a chunk that exists already is never overwritten */
		{
			struct tape_writer_opts o = { .dir = a, .first_seq = 1 };
			errno = 0;
			CHECK(tape_writer__open(&o) == NULL);
			CHECK_EQ(errno, EEXIST);
		}
		tu_rmtree(a);
	}
	return tu_done("test_rotation");
}
