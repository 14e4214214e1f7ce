/* retention.c: pins the chunks around trigger fires, keeps them within a share of the disk budget, persists them in DIR/pins. */
#include "retention.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "budget.h"
#include "log.h"
#include "names.h"
#include "pins.h"
#include "records.h"

#define SEC UINT64_C(1000000000)
#define HISTORY 256        /* completion times of the last chunks */

struct done_chunk {
	uint64_t seq;
	uint64_t end_ns;
};

struct retention {
	struct retention_opts o;
	char *dir;
	struct retention_pin *pins;   /* oldest first */
	size_t npins, cap;
	uint64_t next_id;
	uint64_t cur_seq;             /* chunk being written */
	struct done_chunk hist[HISTORY];
	size_t nhist, hhead;          /* ring */
	int unpin_warned;
	int dirty;                    /* pins changed since DIR/pins was written */
};

static void say(struct retention *r, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void say(struct retention *r, int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!r->o.log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	r->o.log(r->o.ctx, level, buf);
}

static uint64_t seq_of(const char *path)
{
	uint64_t seq;

	return tape_chunk_name_parse(path, &seq, NULL) ? seq : 0;
}

/* Size of complete chunk seq on disk, 0 if it is gone (or not complete). */
static uint64_t chunk_size(const struct retention *r, uint64_t seq)
{
	char path[4096];
	struct stat st;

	if (tape_chunk_name_format(path, sizeof(path), r->dir, seq, 0) < 0 || stat(path, &st))
		return 0;
	return (uint64_t)st.st_size;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t retention__pinned_bytes(struct retention *r)
{
	uint64_t *seqs = NULL, sum = 0;
	size_t n = 0, cap = 0, i;

	for (i = 0; i < r->npins; i++) {
		uint64_t s;

		for (s = r->pins[i].seq_from; s <= r->pins[i].seq_to && s < r->cur_seq; s++) {
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				uint64_t *p = realloc(seqs, ncap * sizeof(*p));

				if (!p) {
					free(seqs);
					return 0;
				}
				seqs = p;
				cap = ncap;
			}
			seqs[n++] = s;
		}
	}
	if (n)
		qsort(seqs, n, sizeof(*seqs), cmp_u64);
	for (i = 0; i < n; i++)
		if (!i || seqs[i] != seqs[i - 1])
			sum += chunk_size(r, seqs[i]);
	free(seqs);
	return sum;
}

/* ------------------------------------------------------------------ */
/* DIR/pins                                                           */

/* DIR/pins is written and read by format/pins.c. */
static void save(struct retention *r)
{
	struct tape_pin_line *v;
	size_t i;
	int err;

	if (r->o.no_persist || !r->dirty)
		return;
	r->dirty = 0;
	v = calloc(r->npins ? r->npins : 1, sizeof(*v));
	if (!v) {
		r->dirty = 1;     /* retried at the next change or chunk */
		return;
	}
	for (i = 0; i < r->npins; i++) {
		const struct retention_pin *p = &r->pins[i];

		v[i].id = p->id;
		v[i].kind = p->kind;
		v[i].ts = p->ts;
		v[i].seq_from = p->seq_from;
		v[i].seq_to = p->seq_to;
		v[i].cookie = p->cookie;
		snprintf(v[i].desc, sizeof(v[i].desc), "%s", p->desc);
	}
	err = tape_pins_write(r->dir, v, r->npins);
	free(v);
	if (err) {
		say(r, LOG_LVL_WARN, "retention: cannot save %s/%s: %s", r->dir, TAPE_PINS_FILE, strerror(-err));
		r->dirty = 1;
	}
}

static int push_pin(struct retention *r, const struct retention_pin *p)
{
	if (r->npins == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 16;
		void *n = realloc(r->pins, ncap * sizeof(*r->pins));

		if (!n)
			return -ENOMEM;
		r->pins = n;
		r->cap = ncap;
	}
	r->pins[r->npins++] = *p;
	r->dirty = 1;
	return 0;
}

static void apply(struct retention *r, uint64_t from, uint64_t to)
{
	if (r->o.budget && budget__pin(r->o.budget, from, to, 0))
		say(r, LOG_LVL_WARN, "retention: out of memory pinning chunks %" PRIu64 "-%" PRIu64,
		    from, to);
}

static int load_one(void *ctx, const struct tape_pin_line *l)
{
	struct retention *r = ctx;
	struct retention_pin p;

	memset(&p, 0, sizeof(p));
	p.id = l->id;
	p.kind = l->kind;
	p.ts = l->ts;
	p.seq_from = l->seq_from;
	p.seq_to = l->seq_to;
	p.cookie = l->cookie;
	p.seq_fire = p.seq_to;    /* final: never cut back */
	snprintf(p.desc, sizeof(p.desc), "%s", l->desc);
	if (push_pin(r, &p))
		return -ENOMEM;
	apply(r, p.seq_from, p.seq_to);
	if (p.id >= r->next_id)
		r->next_id = p.id + 1;
	return 0;
}

static void load(struct retention *r)
{
	unsigned lines = 0, bad = 0;
	int err = tape_pins_read(r->dir, load_one, r, &bad, &lines);

	if (err && err != -ENOENT && err != -ENOMEM)
		say(r, LOG_LVL_WARN, "retention: cannot read %s/%s: %s", r->dir, TAPE_PINS_FILE, strerror(-err));
	if (bad)
		say(r, LOG_LVL_WARN, "retention: %s/%s: %u unreadable line(s) of %u ignored", r->dir,
		    TAPE_PINS_FILE, bad, lines);
	if (r->npins)
		say(r, LOG_LVL_INFO, "retention: %zu pin(s) kept from the previous run (%s/%s)",
		    r->npins, r->dir, TAPE_PINS_FILE);
}

/* ------------------------------------------------------------------ */

struct retention *retention__new(const struct retention_opts *opts)
{
	struct retention *r;

	if (!opts->dir || !opts->append) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->o = *opts;
	r->dir = strdup(opts->dir);
	if (!r->dir) {
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	r->o.dir = r->dir;
	if (!r->o.max_share_pct || r->o.max_share_pct > 100)
		r->o.max_share_pct = 50;
	if (!r->o.pre_ns)
		r->o.pre_ns = 60 * SEC;
	if (!r->o.post_ns)
		r->o.post_ns = 60 * SEC;
	if (!r->o.max_pins)
		r->o.max_pins = 256;
	r->cur_seq = r->o.first_seq ? r->o.first_seq : 1;
	r->next_id = 1;
	if (!r->o.no_persist)
		load(r);
	r->dirty = 0;     /* DIR/pins holds what was just read */
	return r;
}

void retention__free(struct retention *r)
{
	if (!r)
		return;
	free(r->pins);
	free(r->dir);
	free(r);
}

size_t retention__count(const struct retention *r)
{
	return r->npins;
}

int retention__get(const struct retention *r, size_t i, struct retention_pin *out)
{
	if (i >= r->npins)
		return -ENOENT;
	*out = r->pins[i];
	return 0;
}

/* Removes pin i; its chunks stop being protected unless another pin covers them. */
static void release(struct retention *r, size_t i, const char *why)
{
	struct retention_pin p = r->pins[i];
	size_t j;

	memmove(&r->pins[i], &r->pins[i + 1], (r->npins - i - 1) * sizeof(*r->pins));
	r->npins--;
	r->dirty = 1;
	say(r, LOG_LVL_WARN, "retention: pin #%" PRIu64 " (%s, chunks %" PRIu64 "-%" PRIu64
	    ") gives way: %s", p.id, trigger_kind_name(p.kind), p.seq_from, p.seq_to, why);
	if (!r->o.unpin) {
		if (!r->unpin_warned)
			say(r, LOG_LVL_WARN, "retention: the disk budget cannot release pins "
			    "(no budget__unpin): released chunks stay protected until restart");
		r->unpin_warned = 1;
		return;
	}
	r->o.unpin(r->o.budget, p.seq_from, p.seq_to);
	/* budget__unpin drops every budget pin inside the range, those of
	 * overlapping pins too: apply them again. */
	for (j = 0; j < r->npins; j++)
		if (r->pins[j].seq_from <= p.seq_to && r->pins[j].seq_to >= p.seq_from)
			apply(r, r->pins[j].seq_from, r->pins[j].seq_to);
}

/* The last pin alone holds more than the share (a post window longer than
 * the budget lasts under this load): its end is cut back to the chunks that
 * fit, never before the chunk written at the fire, and an open pin stops
 * growing. The chunks cut off rotate like any other. */
static void cap_pin(struct retention *r, struct retention_pin *p, uint64_t limit)
{
	uint64_t s, sum = 0, keep = p->seq_fire, old_to = p->seq_to;
	int was_open = p->open;

	for (s = p->seq_from; s <= p->seq_to && s < r->cur_seq; s++) {
		sum += chunk_size(r, s);
		if (sum > limit)
			break;
		if (s > keep)
			keep = s;
	}
	if (keep >= old_to && !was_open)
		return;
	p->seq_to = keep < old_to ? keep : old_to;
	p->open = 0;
	r->dirty = 1;
	say(r, LOG_LVL_WARN, "retention: pin #%" PRIu64 " (%s) capped at chunks %" PRIu64 "-%" PRIu64
	    ": its window would hold more than %u%% of the %" PRIu64 "-byte budget; "
	    "later chunks rotate as usual (raise --max-disk or lower --pin-post)", p->id,
	    trigger_kind_name(p->kind), p->seq_from, p->seq_to, r->o.max_share_pct,
	    r->o.budget_bytes);
	if (p->seq_to == old_to || !r->o.unpin)
		return;
	r->o.unpin(r->o.budget, p->seq_from, old_to);
	apply(r, p->seq_from, p->seq_to);
}

/* Oldest pins give way while the share or the count is exceeded; pins whose
 * chunks are all gone (deleted by the hard budget) are forgotten. */
static void enforce(struct retention *r)
{
	uint64_t limit, bytes;
	size_t i;
	char why[160];

	for (i = 0; i < r->npins;) {
		struct retention_pin *p = &r->pins[i];
		uint64_t s;
		int any = p->open || p->seq_to >= r->cur_seq;

		for (s = p->seq_from; !any && s <= p->seq_to; s++)
			any = chunk_size(r, s) > 0;
		if (!any) {
			say(r, LOG_LVL_WARN, "retention: the chunks of pin #%" PRIu64 " (%s) are gone "
			    "(deleted by the hard disk budget)", p->id, trigger_kind_name(p->kind));
			memmove(p, p + 1, (r->npins - i - 1) * sizeof(*p));
			r->npins--;
			r->dirty = 1;
			continue;
		}
		i++;
	}
	while (r->npins > r->o.max_pins) {
		snprintf(why, sizeof(why), "more than %u pins", r->o.max_pins);
		release(r, 0, why);
	}
	if (!r->o.budget_bytes)
		return;
	limit = r->o.budget_bytes / 100 * r->o.max_share_pct;
	while (r->npins > 1 && (bytes = retention__pinned_bytes(r)) > limit) {
		snprintf(why, sizeof(why), "pinned chunks hold %" PRIu64 " bytes, more than %u%% of "
			 "the %" PRIu64 "-byte budget", bytes, r->o.max_share_pct, r->o.budget_bytes);
		release(r, 0, why);
	}
	if (r->npins == 1 && retention__pinned_bytes(r) > limit)
		cap_pin(r, &r->pins[0], limit);
}

long retention__fire(struct retention *r, const struct trigger_fire *f)
{
	struct retention_pin p;
	struct {
		struct nt_rec_pin h;
		char desc[TRIGGER_DESC_MAX + 64];
	} rec;
	uint64_t start = f->ts > r->o.pre_ns ? f->ts - r->o.pre_ns : 0;
	size_t i, dlen;
	int err;

	memset(&p, 0, sizeof(p));
	p.id = r->next_id++;
	p.kind = f->kind;
	p.ts = f->ts;
	p.cookie = f->cookie;
	p.open = 1;
	p.seq_to = r->cur_seq;
	p.seq_from = r->cur_seq;
	p.seq_fire = r->cur_seq;
	/* The completed chunks that end after ts - pre hold part of the window. */
	for (i = 0; i < r->nhist; i++) {
		const struct done_chunk *d = &r->hist[(r->hhead + HISTORY - 1 - i) % HISTORY];

		if (d->end_ns < start)
			break;
		if (d->seq < p.seq_from)
			p.seq_from = d->seq;
	}
	/* (Chunks older than the history, or of an earlier run, are not
	 * known: the window is cut at the oldest chunk this run completed.) */
	snprintf(p.desc, sizeof(p.desc), "%s", f->desc);

	memset(&rec, 0, sizeof(rec));
	rec.h.kind = f->kind;
	rec.h.cookie = f->cookie;
	rec.h.pre_ns = r->o.pre_ns;
	rec.h.post_ns = r->o.post_ns;
	snprintf(rec.desc, sizeof(rec.desc), "%s; pin #%" PRIu64 " from chunk %" PRIu64, f->desc,
		 p.id, p.seq_from);
	dlen = strlen(rec.desc);
	err = r->o.append(r->o.ctx, NT_REC_PIN, f->ts, &rec, (uint32_t)(sizeof(rec.h) + dlen));

	if (push_pin(r, &p)) {
		say(r, LOG_LVL_WARN, "retention: out of memory: %s not pinned", f->desc);
		return -ENOMEM;
	}
	apply(r, p.seq_from, p.seq_to);
	say(r, LOG_LVL_INFO, "trigger %s: pin #%" PRIu64 " keeps chunks %" PRIu64 "-... "
	    "(%" PRIu64 " s before, %" PRIu64 " s after): %s", trigger_kind_name(f->kind), p.id,
	    p.seq_from, r->o.pre_ns / SEC, r->o.post_ns / SEC, f->desc);
	enforce(r);
	save(r);
	return err ? err : (long)p.id;
}

static void close_pin(struct retention *r, struct retention_pin *p)
{
	p->open = 0;
	r->dirty = 1;
	say(r, LOG_LVL_INFO, "retention: pin #%" PRIu64 " (%s) final: chunks %" PRIu64 "-%" PRIu64,
	    p->id, trigger_kind_name(p->kind), p->seq_from, p->seq_to);
}

void retention__chunk_done(struct retention *r, const char *path, uint64_t now)
{
	uint64_t seq = seq_of(path);
	size_t i;

	if (!seq)
		return;
	r->hist[r->hhead].seq = seq;
	r->hist[r->hhead].end_ns = now;
	r->hhead = (r->hhead + 1) % HISTORY;
	if (r->nhist < HISTORY)
		r->nhist++;
	if (seq + 1 > r->cur_seq)
		r->cur_seq = seq + 1;
	for (i = 0; i < r->npins; i++) {
		struct retention_pin *p = &r->pins[i];

		if (!p->open)
			continue;
		if (now >= p->ts + r->o.post_ns) {
			close_pin(r, p);
			continue;
		}
		/* The window goes on in the next chunk. */
		if (r->cur_seq > p->seq_to) {
			p->seq_to = r->cur_seq;
			r->dirty = 1;
			apply(r, r->cur_seq, r->cur_seq);
		}
	}
	enforce(r);
	save(r);
}

uint64_t retention__next_due(const struct retention *r)
{
	uint64_t due = UINT64_MAX;
	size_t i;

	for (i = 0; r && i < r->npins; i++)
		if (r->pins[i].open && r->pins[i].ts + r->o.post_ns < due)
			due = r->pins[i].ts + r->o.post_ns;
	return due;
}

void retention__poll(struct retention *r, uint64_t now)
{
	size_t i;
	int changed = 0;

	for (i = 0; i < r->npins; i++) {
		struct retention_pin *p = &r->pins[i];

		if (!p->open || now < p->ts + r->o.post_ns)
			continue;
		close_pin(r, p);
		changed = 1;
	}
	if (changed)
		save(r);
}
