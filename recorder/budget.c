/* budget.c: hard disk budget of a tape directory (chunk accounting, oldest-first deletion, pins). */
#include "budget.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "names.h"
#include "tape.h"
#include "util.h"

struct chunk {
	uint64_t seq;
	uint64_t size;
	char *path;
};

struct pin {
	uint64_t from, to, until;
};

struct budget {
	char *dir;
	uint64_t budget, reserve;
	struct chunk *chunks;  /* complete chunks, sorted by seq */
	size_t n, cap;
	struct pin *pins;
	size_t npins;
	uint64_t deleted;
	uint64_t last_seq;
	char *last_path;
};

/* "chunk-00000012.ntc[.partial]" -> 12; 0 if the name does not match. */
static uint64_t seq_of(const char *path)
{
	uint64_t seq;

	return tape_chunk_name_parse(path, &seq, NULL) ? seq : 0;
}

static int add_chunk(struct budget *b, const char *path, uint64_t size)
{
	uint64_t seq = seq_of(path);
	size_t i;

	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 64;
		void *p = realloc(b->chunks, ncap * sizeof(*b->chunks));

		if (!p)
			return -ENOMEM;
		b->chunks = p;
		b->cap = ncap;
	}
	for (i = b->n; i > 0 && b->chunks[i - 1].seq > seq; i--)
		;
	memmove(&b->chunks[i + 1], &b->chunks[i], (b->n - i) * sizeof(*b->chunks));
	b->chunks[i].seq = seq;
	b->chunks[i].size = size;
	b->chunks[i].path = strdup(path);
	if (!b->chunks[i].path) {
		memmove(&b->chunks[i], &b->chunks[i + 1], (b->n - i) * sizeof(*b->chunks));
		return -ENOMEM;
	}
	b->n++;
	return 0;
}

struct budget *budget__new(const char *dir, uint64_t budget, uint64_t reserve)
{
	struct budget *b = calloc(1, sizeof(*b));
	char **paths = NULL;
	int n, i;

	if (!b)
		return NULL;
	b->dir = strdup(dir);
	b->budget = budget;
	b->reserve = reserve;
	if (!b->dir)
		goto nomem;
	n = tape_list_chunks(dir, &paths);
	if (n == -TAPE_E_NOCHUNKS || n == -ENOENT)
		n = 0;
	if (n < 0) {
		budget__free(b);
		errno = n <= -1000 ? EIO : -n;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		struct stat st;
		uint64_t seq = seq_of(paths[i]);

		if (stat(paths[i], &st))
			continue;
		if (add_chunk(b, paths[i], (uint64_t)st.st_size))
			goto nomem_list;
		if (seq >= b->last_seq) {
			b->last_seq = seq;
			free(b->last_path);
			b->last_path = strdup(paths[i]);
		}
	}
	tape_list_free(paths, n);
	return b;
nomem_list:
	tape_list_free(paths, n);
nomem:
	budget__free(b);
	errno = ENOMEM;
	return NULL;
}

void budget__free(struct budget *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->n; i++)
		free(b->chunks[i].path);
	free(b->chunks);
	free(b->pins);
	free(b->dir);
	free(b->last_path);
	free(b);
}

void budget__chunk_done(struct budget *b, const char *path, uint64_t size)
{
	if (add_chunk(b, path, size))
		log_warn("out of memory accounting chunk %s", path);
}

static int pinned(struct budget *b, uint64_t seq)
{
	uint64_t now = now_boot_ns();
	size_t i;

	for (i = 0; i < b->npins; i++)
		if (seq >= b->pins[i].from && seq <= b->pins[i].to &&
		    (!b->pins[i].until || b->pins[i].until > now))
			return 1;
	return 0;
}

static void delete_at(struct budget *b, size_t i, uint64_t *freed)
{
	if (unlink(b->chunks[i].path) && errno != ENOENT) {
		log_warn("cannot delete %s: %s", b->chunks[i].path, strerror(errno));
		return;
	}
	log_debug("deleted %s (%llu bytes)", b->chunks[i].path, (unsigned long long)b->chunks[i].size);
	*freed += b->chunks[i].size;
	b->deleted++;
	free(b->chunks[i].path);
	memmove(&b->chunks[i], &b->chunks[i + 1], (b->n - i - 1) * sizeof(*b->chunks));
	b->n--;
}

/* Index of the oldest deletable chunk: unpinned first, then pinned when
 * allow_pinned. -1 when none. */
static long oldest(struct budget *b, const char *cur_path, int allow_pinned)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		if (cur_path && !strcmp(b->chunks[i].path, cur_path))
			continue;
		if (!pinned(b, b->chunks[i].seq))
			return (long)i;
	}
	if (!allow_pinned)
		return -1;
	for (i = 0; i < b->n; i++)
		if (!cur_path || strcmp(b->chunks[i].path, cur_path))
			return (long)i;
	return -1;
}

int budget__enforce(struct budget *b, const char *cur_path, uint64_t *freed)
{
	int n = 0;

	*freed = 0;
	if (!b->budget)
		return 0;
	while (budget__complete_bytes(b) + b->reserve > b->budget) {
		long i = oldest(b, cur_path, 0);

		if (i < 0) {
			i = oldest(b, cur_path, 1);
			if (i < 0)
				break;
			log_warn("disk budget: deleting pinned chunk %s (the budget is a hard limit)",
				 b->chunks[i].path);
		}
		delete_at(b, (size_t)i, freed);
		n++;
	}
	return n;
}

int budget__free_oldest(struct budget *b, const char *cur_path, uint64_t *freed)
{
	long i = oldest(b, cur_path, 1);

	*freed = 0;
	if (i < 0)
		return 0;
	delete_at(b, (size_t)i, freed);
	return 1;
}

int budget__pin(struct budget *b, uint64_t seq_from, uint64_t seq_to, uint64_t until_ns)
{
	void *p = realloc(b->pins, (b->npins + 1) * sizeof(*b->pins));

	if (!p)
		return -ENOMEM;
	b->pins = p;
	b->pins[b->npins].from = seq_from;
	b->pins[b->npins].to = seq_to;
	b->pins[b->npins].until = until_ns;
	b->npins++;
	return 0;
}

int budget__unpin(struct budget *b, uint64_t seq_from, uint64_t seq_to)
{
	size_t i, j = 0;
	int n = 0;

	for (i = 0; i < b->npins; i++) {
		if (b->pins[i].from >= seq_from && b->pins[i].to <= seq_to) {
			n++;
			continue;
		}
		b->pins[j++] = b->pins[i];
	}
	b->npins = j;
	return n;
}

uint64_t budget__complete_bytes(const struct budget *b)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < b->n; i++)
		sum += b->chunks[i].size;
	return sum;
}

uint64_t budget__nchunks(const struct budget *b)
{
	return b->n;
}

uint64_t budget__deleted(const struct budget *b)
{
	return b->deleted;
}

uint64_t budget__last_seq(const struct budget *b)
{
	return b->last_seq;
}

const char *budget__last_path(const struct budget *b)
{
	return b->last_path;
}
