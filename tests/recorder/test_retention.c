/* test_retention.c: unit tests of recorder/retention.c with a real budget (and a real tape writer): pin ranges, the share limit, DIR/pins, a long recording under a small budget. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "budget.h"
#include "check.h"
#include "retention.h"
#include "tape.h"
#include "trigger.h"

#define SEC 1000000000ULL
#define MS 1000000ULL

/* ------------------------------------------------------------------ */

struct env {
	char dir[256];
	struct budget *b;
	struct retention *r;
	int nrec;
	struct nt_rec_pin last_pin;
	char last_desc[256];
	uint64_t last_ts;
	int gave_way;            /* "gives way" log lines */
	int capped;              /* "capped at chunks" log lines */
	int unpins;
	uint64_t unpin_from[16], unpin_to[16];
	struct tape_writer *w;   /* long-recording test */
	uint64_t now;
	int verbose;
};

static struct env *g_env;

static int append(void *ctx, uint16_t type, uint64_t ts, const void *data, uint32_t len)
{
	struct env *e = ctx;

	if (e->w)
		return tape_writer__append(e->w, type, ts, data, len);
	if (type == NT_REC_PIN && len >= sizeof(struct nt_rec_pin)) {
		size_t dl = len - sizeof(struct nt_rec_pin);

		memcpy(&e->last_pin, data, sizeof(e->last_pin));
		if (dl >= sizeof(e->last_desc))
			dl = sizeof(e->last_desc) - 1;
		memcpy(e->last_desc, (const char *)data + sizeof(struct nt_rec_pin), dl);
		e->last_desc[dl] = '\0';
		e->last_ts = ts;
	}
	e->nrec++;
	return 0;
}

static void logcb(void *ctx, int level, const char *msg)
{
	struct env *e = ctx;

	if (strstr(msg, "gives way"))
		e->gave_way++;
	if (strstr(msg, ") capped at chunks"))
		e->capped++;
	if (e->verbose || getenv("TEST_VERBOSE"))
		fprintf(stderr, "  log[%d] %s\n", level, msg);
}

/* Stands in for the proposed budget__unpin (WIRING.patch.txt): records. */
static int fake_unpin(struct budget *b, uint64_t from, uint64_t to)
{
	struct env *e = g_env;

	if (e->unpins < 16) {
		e->unpin_from[e->unpins] = from;
		e->unpin_to[e->unpins] = to;
	}
	e->unpins++;
	return 0;
}

static void chunk_path(const struct env *e, uint64_t seq, char *buf, size_t len)
{
	snprintf(buf, len, "%s/chunk-%08" PRIu64 ".ntc", e->dir, seq);
}

static int exists(const struct env *e, uint64_t seq)
{
	char p[512];

	chunk_path(e, seq, p, sizeof(p));
	return !access(p, F_OK);
}

/* A fake complete chunk of size bytes, as the writer would leave it. */
static void make_chunk(struct env *e, uint64_t seq, uint64_t size, uint64_t now)
{
	char p[512];
	uint64_t freed;
	int fd;

	chunk_path(e, seq, p, sizeof(p));
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	CHECK(fd >= 0);
	CHECK(!ftruncate(fd, (off_t)size));
	close(fd);
	/* What main.c's chunk_done callback does (retention first). */
	budget__chunk_done(e->b, p, size);
	retention__chunk_done(e->r, p, now);
	budget__enforce(e->b, NULL, &freed);
}

static void rm_rf(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];

	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static void env_init(struct env *e, uint64_t budget_bytes, uint64_t reserve,
		     struct retention_opts *ro)
{
	memset(e, 0, sizeof(*e));
	g_env = e;
	snprintf(e->dir, sizeof(e->dir), "/tmp/nt-retention-XXXXXX");
	CHECK(mkdtemp(e->dir) != NULL);
	e->b = budget__new(e->dir, budget_bytes, reserve);
	CHECK(e->b);
	ro->dir = e->dir;
	ro->budget = e->b;
	ro->budget_bytes = budget_bytes;
	ro->append = append;
	ro->log = logcb;
	ro->ctx = e;
	e->r = retention__new(ro);
	CHECK(e->r);
}

static void env_free(struct env *e)
{
	retention__free(e->r);
	budget__free(e->b);
	rm_rf(e->dir);
}

static struct trigger_fire fire_at(uint16_t kind, uint64_t ts, uint64_t cookie)
{
	struct trigger_fire f;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.ts = ts;
	f.cookie = cookie;
	f.conn.cookie = cookie;
	snprintf(f.desc, sizeof(f.desc), "%s: test on cookie %" PRIu64, trigger_kind_name(kind),
		 cookie);
	return f;
}

/* Chunks of 1 MB every 10 s; pre 25 s, post 15 s: a fire at 95 s (chunk 10
 * runs 90-100 s) pins 7..11 (70-80 ends at 80 >= 70 = 95 - 25 ... see
 * below) and nothing else survives a budget of 8 chunks. */
static void test_range_and_rotation(void)
{
	struct retention_opts ro = { .pre_ns = 25 * SEC, .post_ns = 15 * SEC, .first_seq = 1,
				     .max_share_pct = 100 };
	struct env e;
	struct retention_pin p;
	uint64_t seq, t;
	long id;
	int kept = 0;

	env_init(&e, 8 * 1000000ULL, 1000000ULL, &ro);
	/* Chunk s covers ((s-1)*10 s, s*10 s]. */
	for (seq = 1; seq <= 9; seq++)
		make_chunk(&e, seq, 1000000, seq * 10 * SEC);
	/* t = 95 s, in chunk 10; window [70 s, 110 s]: chunks 7 (ends at 70),
	 * 8, 9, 10, and 11 (100-110). */
	{
		struct trigger_fire f = fire_at(NT_TRIGGER_ZERO_WINDOW, 95 * SEC, 77);

		id = retention__fire(e.r, &f);
	}
	CHECK_EQ(id, 1);
	CHECK_EQ(e.nrec, 1);
	CHECK_EQ(e.last_pin.kind, NT_TRIGGER_ZERO_WINDOW);
	CHECK_EQ(e.last_pin.cookie, 77);
	CHECK_EQ(e.last_pin.pre_ns, 25 * SEC);
	CHECK_EQ(e.last_pin.post_ns, 15 * SEC);
	CHECK_EQ(e.last_ts, 95 * SEC);
	CHECK(strstr(e.last_desc, "zero_window: test on cookie 77; pin #1 from chunk 7"));
	CHECK(!retention__get(e.r, 0, &p));
	CHECK_EQ(p.seq_from, 7);
	CHECK_EQ(p.seq_to, 10);
	CHECK(p.open);
	/* Chunk 10 ends at 100 s < 110 s: the window goes on into chunk 11. */
	make_chunk(&e, 10, 1000000, 100 * SEC);
	retention__get(e.r, 0, &p);
	CHECK_EQ(p.seq_to, 11);
	/* Chunk 11 ends at 110 s: the window ends in it. */
	make_chunk(&e, 11, 1000000, 110 * SEC);
	retention__get(e.r, 0, &p);
	CHECK_EQ(p.seq_to, 11);
	CHECK(!p.open);
	/* Hours of rotation. */
	for (seq = 12, t = 120; seq <= 400; seq++, t += 10)
		make_chunk(&e, seq, 1000000, t * SEC);
	retention__poll(e.r, t * SEC);
	for (seq = 1; seq <= 400; seq++) {
		int want = (seq >= 7 && seq <= 11) || seq > 400 - 2;

		if (exists(&e, seq) != want) {
			fprintf(stderr, "chunk %" PRIu64 ": exists %d, expected %d\n", seq,
				exists(&e, seq), want);
			check_failures++;
		}
		kept += exists(&e, seq);
	}
	CHECK_EQ(kept, 7);
	CHECK_EQ(retention__count(e.r), 1);
	CHECK_EQ(retention__pinned_bytes(e.r), 5 * 1000000ULL);
	env_free(&e);
}

/* Share 40 % of a 20-chunk budget = 8 chunks; each pin holds 4 chunks:
 * the third pin pushes the oldest out, and the log says so. */
static void test_share_limit(void)
{
	struct retention_opts ro = { .pre_ns = 15 * SEC, .post_ns = 15 * SEC, .first_seq = 1,
				     .max_share_pct = 40, .unpin = fake_unpin };
	struct env e;
	struct retention_pin p;
	uint64_t seq = 0;
	int k, j;

	env_init(&e, 20 * 1000000ULL, 1000000ULL, &ro);
	for (k = 0; k < 3; k++) {
		for (j = 0; j < 9; j++) {
			seq++;
			make_chunk(&e, seq, 1000000, seq * 10 * SEC);
		}
		/* Fire 5 s into chunk seq+1: window [seq*10 - 10, seq*10 + 20] =
		 * chunks seq-1 .. seq+2. */
		{
			struct trigger_fire f = fire_at(NT_TRIGGER_RTO, (seq * 10 + 5) * SEC,
							100 + (uint64_t)k);

			retention__fire(e.r, &f);
		}
		seq++;
		make_chunk(&e, seq, 1000000, seq * 10 * SEC);
		seq++;
		make_chunk(&e, seq, 1000000, seq * 10 * SEC);
		retention__poll(e.r, seq * 10 * SEC);
	}
	/* Pins: #1 8-11 (4 chunks), #2 19-22, #3 30-33 = 12 > 8: #1 gave way. */
	CHECK_EQ(seq, 33);
	CHECK_EQ(retention__count(e.r), 2);
	CHECK(!retention__get(e.r, 0, &p));
	CHECK_EQ(p.id, 2);
	CHECK_EQ(p.seq_from, 19);
	CHECK_EQ(p.seq_to, 22);
	CHECK_EQ(e.gave_way, 1);
	CHECK_EQ(e.unpins, 1);
	CHECK_EQ(e.unpin_from[0], 8);
	CHECK_EQ(e.unpin_to[0], 11);
	CHECK(retention__pinned_bytes(e.r) <= 8 * 1000000ULL);

	/* Restart: DIR/pins brings both pins back, final, and a fresh budget
	 * protects them against rotation. */
	retention__free(e.r);
	budget__free(e.b);
	e.b = budget__new(e.dir, 20 * 1000000ULL, 1000000ULL);
	ro.budget = e.b;
	ro.first_seq = 34;
	e.r = retention__new(&ro);
	CHECK(e.r);
	CHECK_EQ(retention__count(e.r), 2);
	CHECK(!retention__get(e.r, 1, &p));
	CHECK_EQ(p.id, 3);
	CHECK_EQ(p.kind, NT_TRIGGER_RTO);
	CHECK_EQ(p.cookie, 102);
	CHECK_EQ(p.seq_from, 30);
	CHECK_EQ(p.seq_to, 33);
	CHECK(!p.open);
	CHECK(strstr(p.desc, "rto: test on cookie 102") != NULL);
	for (seq = 34; seq < 100; seq++)
		make_chunk(&e, seq, 1000000, seq * 10 * SEC);
	/* 19 complete chunks fit (20 - the reserve): 8 pinned + the 11 newest. */
	for (seq = 1; seq < 100; seq++) {
		int want = (seq >= 19 && seq <= 22) || (seq >= 30 && seq <= 33) || seq >= 89;

		if (exists(&e, seq) != want) {
			fprintf(stderr, "after restart: chunk %" PRIu64 ": exists %d, expected %d\n",
				seq, exists(&e, seq), want);
			check_failures++;
		}
	}
	/* The next fire continues the numbering. */
	{
		struct trigger_fire f = fire_at(NT_TRIGGER_MANUAL, 995 * SEC, 0);

		CHECK_EQ(retention__fire(e.r, &f), 4);
	}
	env_free(&e);
}

/* With budget__unpin: a pin that gives way really releases its chunks, and
 * rotation takes them. */
static void test_share_real_unpin(void)
{
	struct retention_opts ro = { .pre_ns = 15 * SEC, .post_ns = 15 * SEC, .first_seq = 1,
				     .max_share_pct = 40, .unpin = budget__unpin };
	struct env e;
	uint64_t seq = 0;
	int k, j;

	env_init(&e, 20 * 1000000ULL, 1000000ULL, &ro);
	for (k = 0; k < 3; k++) {
		for (j = 0; j < 9; j++) {
			seq++;
			make_chunk(&e, seq, 1000000, seq * 10 * SEC);
		}
		{
			struct trigger_fire f = fire_at(NT_TRIGGER_RTO, (seq * 10 + 5) * SEC, 1);

			retention__fire(e.r, &f);
		}
		seq++;
		make_chunk(&e, seq, 1000000, seq * 10 * SEC);
		seq++;
		make_chunk(&e, seq, 1000000, seq * 10 * SEC);
	}
	for (seq = 34; seq < 60; seq++)
		make_chunk(&e, seq, 1000000, seq * 10 * SEC);
	for (seq = 1; seq < 60; seq++) {
		int want = (seq >= 19 && seq <= 22) || (seq >= 30 && seq <= 33) || seq >= 49;

		if (exists(&e, seq) != want) {
			fprintf(stderr, "real unpin: chunk %" PRIu64 ": exists %d, expected %d\n", seq,
				exists(&e, seq), want);
			check_failures++;
		}
	}
	env_free(&e);
}

/* One pin whose post window outlasts the budget (the e2e case: 1 MB
 * chunks every second, post 30 s, a 10 MB budget with a 50 % share): the
 * pin is cut back to the 5 chunks that fit (from the pre window's chunk),
 * stops growing, and the hard budget never has to delete a pinned chunk. */
static void test_cap_single_pin(void)
{
	struct retention_opts ro = { .pre_ns = 2 * SEC, .post_ns = 30 * SEC, .first_seq = 1,
				     .max_share_pct = 50, .unpin = budget__unpin };
	struct retention_pin p;
	struct env e;
	uint64_t seq;

	env_init(&e, 10 * 1000000ULL, 1000000ULL, &ro);
	for (seq = 1; seq <= 9; seq++)
		make_chunk(&e, seq, 1000000, seq * SEC);
	{
		/* Chunk 10 is being written; pre reaches back to 7.5 s: chunks 8, 9. */
		struct trigger_fire f = fire_at(NT_TRIGGER_ZERO_WINDOW, 9 * SEC + SEC / 2, 7);

		CHECK(retention__fire(e.r, &f) == 1);
	}
	for (seq = 10; seq <= 60; seq++)
		make_chunk(&e, seq, 1000000, seq * SEC);
	CHECK_EQ(retention__count(e.r), 1);
	CHECK(!retention__get(e.r, 0, &p));
	CHECK_EQ(p.seq_from, 8);
	CHECK_EQ(p.seq_to, 12);   /* 8..12 = 5 MB = the share; 13 would exceed it */
	CHECK_EQ(p.open, 0);
	CHECK_EQ(e.capped, 1);
	CHECK_EQ(e.gave_way, 0);
	for (seq = 1; seq <= 60; seq++) {
		/* Budget 10 MB with a 1 MB reserve: the 5 pinned + the 4 newest. */
		int want = (seq >= 8 && seq <= 12) || seq >= 57;

		if (exists(&e, seq) != want) {
			fprintf(stderr, "cap: chunk %" PRIu64 ": exists %d, expected %d\n", seq,
				exists(&e, seq), want);
			check_failures++;
		}
	}
	CHECK(retention__pinned_bytes(e.r) <= 5 * 1000000ULL);
	env_free(&e);
}

/* ------------------------------------------------------------------ */
/* A long recording with the real writer: high load, short chunks, a small
 * budget; a trigger fires early; hours (fake clock) later the incident's
 * chunks are still there and everything unpinned around them is gone. */

static uint64_t fake_now(void *ctx)
{
	return ((struct env *)ctx)->now;
}

static void on_done(void *ctx, const char *path, uint64_t size)
{
	struct env *e = ctx;
	uint64_t freed;

	budget__chunk_done(e->b, path, size);
	retention__chunk_done(e->r, path, e->now);
	budget__enforce(e->b, NULL, &freed);
}

static void on_fire(void *ctx, const struct trigger_fire *f)
{
	struct env *e = ctx;

	retention__fire(e->r, f);
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void test_long_recording(void)
{
	const uint64_t chunk = 64 << 10, budget_bytes = 2ULL << 20;
	struct retention_opts ro = { .pre_ns = 60 * SEC, .post_ns = 60 * SEC, .first_seq = 1,
				     .max_share_pct = 50 };
	struct tape_writer_opts wo;
	struct trigger_opts to = { 0 };
	struct trigger *trg;
	struct env e;
	struct retention_pin p;
	char **paths = NULL;
	int n, i, pinned_present = 0, others = 0, pin_records = 0;
	uint64_t start = 1000 * SEC, end = start + 3 * 3600 * SEC, last_seq;
	struct nt_ev_sample s;

	/* Reserve: a chunk and its slack, as main.c computes it. */
	env_init(&e, budget_bytes, chunk + 5 * (16 << 10) + (128 << 10), &ro);
	e.now = start;
	memset(&wo, 0, sizeof(wo));
	wo.dir = e.dir;
	wo.chunk_size = chunk;
	wo.chunk_time_ns = 60 * SEC;
	wo.frame_size = 16 << 10;
	wo.flush_ms = 1000;
	wo.chunk_done_cb = on_done;
	wo.cb_ctx = &e;
	wo.now_ns = fake_now;
	e.w = tape_writer__open(&wo);
	CHECK(e.w);
	to.fire = on_fire;
	to.fire_ctx = &e;
	trg = trigger__new(&to);
	CHECK(trg);
	memset(&s, 0, sizeof(s));
	s.c.family = 2;
	s.c.cookie = 4242;
	/* 40 incompressible samples per fake second: a 64 KiB chunk every ~20 s. */
	while (e.now < end) {
		for (i = 0; i < 40; i++) {
			s.kind = NT_SAMPLE_PERIODIC;
			s.srtt_us = (uint32_t)rnd();
			s.rcv_wnd = (uint32_t)rnd();
			s.snd_wnd = (uint32_t)rnd();
			s.bytes_acked = rnd();
			s.bytes_received = rnd();
			e.now += SEC / 40;
			CHECK(!tape_writer__append(e.w, NT_REC_SAMPLE, e.now, &s, sizeof(s)) ||
			      !"append");
			trigger__feed(trg, NT_REC_SAMPLE, e.now, &s, sizeof(s));
		}
		tape_writer__poll(e.w);
		/* The incident, 10 minutes in. */
		if (e.now >= start + 600 * SEC && e.now < start + 601 * SEC) {
			s.kind = NT_SAMPLE_RCV_ZERO_START;
			CHECK_EQ(trigger__feed(trg, NT_REC_SAMPLE, e.now, &s, sizeof(s)), 1);
		}
		retention__poll(e.r, e.now);
	}
	CHECK(!tape_writer__close(e.w));
	e.w = NULL;
	trigger__free(trg);

	CHECK_EQ(retention__count(e.r), 1);
	CHECK(!retention__get(e.r, 0, &p));
	CHECK(!p.open);
	CHECK(p.seq_to > p.seq_from);
	n = tape_list_chunks(e.dir, &paths);
	CHECK(n > 0);
	last_seq = 0;
	for (i = 0; i < n; i++) {
		uint64_t seq = strtoull(strrchr(paths[i], '-') + 1, NULL, 10);

		if (seq >= p.seq_from && seq <= p.seq_to)
			pinned_present++;
		else
			others++;
		if (seq > last_seq)
			last_seq = seq;
	}
	printf("long recording: %" PRIu64 " chunks written over 3 h (fake clock), pin #%" PRIu64
	       " kept chunks %" PRIu64 "-%" PRIu64 " (%d present), %d newest unpinned kept, "
	       "budget %" PRIu64 " bytes\n", last_seq, p.id, p.seq_from, p.seq_to, pinned_present,
	       others, budget_bytes);
	CHECK(last_seq > 150); /* the budget (32 chunks) turned over several times */
	CHECK_EQ((uint64_t)pinned_present, p.seq_to - p.seq_from + 1);
	/* Everything unpinned and older than the newest few has rotated away. */
	for (i = 0; i < n; i++) {
		uint64_t seq = strtoull(strrchr(paths[i], '-') + 1, NULL, 10);

		if ((seq < p.seq_from || seq > p.seq_to) && seq + 40 < last_seq) {
			fprintf(stderr, "unpinned old chunk %s survived\n", paths[i]);
			check_failures++;
		}
	}
	/* The pinned chunks hold the PIN record and the moment itself. */
	for (i = 0; i < n; i++) {
		int err = 0;
		struct tape_chunk_reader *cr = tape_chunk_reader__open(paths[i], &err);
		struct tape_record rec;

		if (!cr)
			continue;
		while (tape_chunk_reader__next(cr, &rec) == 1)
			if (rec.type == NT_REC_PIN) {
				const struct nt_rec_pin *pr = rec.data;

				pin_records++;
				CHECK_EQ(pr->kind, NT_TRIGGER_ZERO_WINDOW);
				CHECK_EQ(pr->cookie, 4242);
				CHECK_EQ(pr->pre_ns, 60 * SEC);
				CHECK(rec.ts >= start + 600 * SEC && rec.ts < start + 601 * SEC);
			}
		tape_chunk_reader__free(cr);
	}
	CHECK_EQ(pin_records, 1);
	tape_list_free(paths, n);
	env_free(&e);
}

int main(void)
{
	test_range_and_rotation();
	test_share_limit();
	test_share_real_unpin();
	test_cap_single_pin();
	test_long_recording();
	CHECK_DONE("test_retention");
}
