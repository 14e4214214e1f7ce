/* fuzz_chunk_reader.c: libFuzzer target for the chunk reader (header, frames, index, records, resync). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touches every byte a consumer could read, so ASan sees any overrun. */
static unsigned consume(const struct tape_record *rec)
{
	const volatile uint8_t *p = rec->data;
	unsigned x = rec->type ^ (unsigned)rec->ts;
	for (uint32_t i = 0; i < rec->len; i++)
		x += p[i];
	(void)tape_record_realtime(rec);
	return x;
}

static void exercise_meta(const struct tape_meta *m)
{
	uint64_t off;
	const char *cmd;
	(void)tape_meta__enum_name(m, NT_ENUM_DROP_REASON, 3);
	(void)tape_meta__symbol(m, 0xffffffff81c10010ull, &off);
	(void)tape_meta__process(m, 1000, &cmd);
	(void)tape_meta__cgroup_path(m, 5000);
	(void)tape_meta__container(m, 5000);
	(void)tape_meta__netns_name(m, 4026531840u);
	(void)tape_meta__iface_name(m, 4026531840u, 2);
	(void)tape_meta__socket(m, 0x1000);
	(void)tape_meta__config(m, "snaplen");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tape_chunk_reader *r;
	struct tape_record rec;
	struct tape_frame_info fi, *idx = NULL;
	char path[64];
	size_t n = 0;
	volatile unsigned sink = 0;
	int fd, err, i;

	fd = memfd_create("fuzz-chunk", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	/* records, in stored order */
	r = tape_chunk_reader__open(path, &err);
	if (r) {
		exercise_meta(tape_chunk_reader__source(r)->meta);
		for (i = 0; i < 100000 && tape_chunk_reader__next(r, &rec) == 1; i++)
			sink += consume(&rec);
		for (size_t k = 0; k < tape_chunk_reader__ndamage(r); k++)
			sink += (unsigned)strlen(tape_chunk_reader__damage(r, k)->reason);
		if (!tape_chunk_reader__index(r, &idx, &n))
			free(idx);
		/* a seek, then records again */
		tape_chunk_reader__seek_time(r, 0);
		for (i = 0; i < 100 && tape_chunk_reader__next(r, &rec) == 1; i++)
			sink += consume(&rec);
		tape_chunk_reader__free(r);
	}
	/* the batch reader (the import's path): the same records as one by one */
	r = tape_chunk_reader__open(path, &err);
	if (r) {
		struct tape_chunk_reader *one = tape_chunk_reader__open(path, &err);
		struct tape_batch b;
		long nb = 0, n1 = 0;
		while (nb < 100000 && tape_chunk_reader__next_batch(r, &b) == 1) {
			for (size_t k = 0; k < b.n; k++) {
				sink += consume(&b.rec[k]) + (unsigned)b.real[k];
				if (one && tape_chunk_reader__next(one, &rec) == 1) {
					n1++;
					if (rec.type != b.rec[k].type || rec.len != b.rec[k].len || rec.ts != b.rec[k].ts ||
					    memcmp(rec.data, b.rec[k].data, rec.len) || tape_record_realtime(&rec) != b.real[k])
						__builtin_trap();
				}
			}
			nb += (long)b.n;
		}
		if (one && nb < 100000 && tape_chunk_reader__next(one, &rec) == 1)
			__builtin_trap(); /* one by one found a record the batches did not */
		if (one && n1 != nb)
			__builtin_trap();
		tape_chunk_reader__free(one);
		tape_chunk_reader__free(r);
	}
	/* frames, decoded and checked (verify's path) */
	r = tape_chunk_reader__open(path, &err);
	if (r) {
		for (i = 0; i < 100000 && tape_chunk_reader__next_frame(r, i & 1, &fi) == 1; i++)
			sink += fi.nrecords;
		tape_chunk_reader__free(r);
	}
	/* the whole-tape reader on a single file */
	{
		const char *paths[1] = { path };
		struct tape_reader *tr = tape_reader__open(paths, 1, NULL, &err);
		if (tr) {
			for (i = 0; i < 100000 && tape_reader__next(tr, &rec) == 1; i++)
				sink += consume(&rec);
			tape_reader__free(tr);
		}
	}
	close(fd);
	(void)sink;
	return 0;
}
