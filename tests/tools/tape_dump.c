/* tape_dump.c: the one tape dumper of the tests: record counts and decoded events, every record as text+hex, or the raw content of every zstd frame. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "tape.h"
#include "util/record_fmt.h"

/*
 * tape_dump [-v] TAPE      counts per record type and the damage count; with -v
 *                          every record first, one line each as 'nettape replay
 *                          --type all' prints it (the recorder tests)
 * tape_dump records TAPE   every chunk header and record through the tape reader:
 *                          "type ts real len", the record as 'nettape replay --json'
 *                          prints it, then the payload as text (non-printable bytes
 *                          as '.') and hex; exit 1 on any damage (a verify; the
 *                          bundle tests)
 * tape_dump zstd FILE...   scans the bytes for zstd frames (magic 28 b5 2f fd) and
 *                          writes each decompressed frame to stdout: an independent
 *                          check that nothing hides in compressed data
 */

/* Every record goes through the replay printer (analyzer/util/record_fmt.c): one
 * printer of records for 'nettape replay' and the tests. */
static void print_rec(const struct tape_record *r, int json)
{
	struct nt_line l;

	nt_record_format(&l, r, json, 0);
	fwrite(l.buf, 1, l.n, stdout);
}

/* ---- tape_dump records / zstd ---- */

static void text_hex(const uint8_t *p, uint32_t n)
{
	printf("  text: ");
	for (uint32_t i = 0; i < n; i++)
		putchar(isprint(p[i]) ? p[i] : '.');
	printf("\n  hex: ");
	for (uint32_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static int dump_records(const char *path)
{
	int err = 0, r;
	const char *paths[1] = { path };
	struct tape_reader_opts ro = { 0 };
	struct tape_reader *rd = tape_reader__open(paths, 1, &ro, &err);
	if (!rd) {
		fprintf(stderr, "tape_dump: %s: %s\n", path, tape_strerror(err));
		return 1;
	}
	struct tape_record rec;
	size_t seen = 0;
	uint64_t n = 0;
	while ((r = tape_reader__next(rd, &rec)) > 0) {
		while (seen < tape_reader__nsources(rd)) {
			const struct tape_source *s = tape_reader__source(rd, seen++);
			printf("chunk %s seq=%" PRIu64 " host=%s boot_id=%s kernel=%s version=%s "
			       "cmdline=%s snaplen=%u flags=0x%x\n", s->path, s->hdr.chunk_seq,
			       s->hdr.hostname, s->hdr.boot_id, s->hdr.kernel, s->hdr.version,
			       s->hdr.cmdline, s->hdr.snaplen, s->hdr.flags);
		}
		printf("rec %s type=0x%04x ts=%" PRIu64 " real=%" PRIu64 " len=%u\n",
		       nt_rec_type_name(rec.type), rec.type, rec.ts, tape_record_realtime(&rec), rec.len);
		printf("  json: ");
		print_rec(&rec, 1);
		text_hex(rec.data, rec.len);
		n++;
	}
	int bad = r < 0 || tape_reader__ndamage(rd) > 0;
	for (size_t i = 0; i < tape_reader__ndamage(rd); i++) {
		const struct tape_damage *d = tape_reader__damage(rd, i);
		fprintf(stderr, "tape_dump: damage %s@%" PRIu64 ": %s\n", d->path, d->offset, d->reason);
	}
	printf("records=%" PRIu64 "\n", n);
	tape_reader__free(rd);
	return bad;
}

static int dump_zstd(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	size_t cap = 1 << 20, n = 0;
	uint8_t *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			uint8_t *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf)
		return 1;
	int frames = 0;
	for (size_t i = 0; i + 4 <= n; i++) {
		if (buf[i] != 0x28 || buf[i + 1] != 0xb5 || buf[i + 2] != 0x2f || buf[i + 3] != 0xfd)
			continue;
		size_t csize = ZSTD_findFrameCompressedSize(buf + i, n - i);
		if (ZSTD_isError(csize))
			continue;
		unsigned long long rsize = ZSTD_getFrameContentSize(buf + i, csize);
		if (rsize == ZSTD_CONTENTSIZE_ERROR || rsize == ZSTD_CONTENTSIZE_UNKNOWN ||
		    rsize > (256u << 20))
			continue;
		void *out = malloc(rsize ? rsize : 1);
		if (!out)
			break;
		size_t d = ZSTD_decompress(out, rsize, buf + i, csize);
		if (!ZSTD_isError(d)) {
			fwrite(out, 1, d, stdout);
			frames++;
		}
		free(out);
		i += csize - 1;
	}
	fprintf(stderr, "tape_dump: %s: %d zstd frames\n", path, frames);
	free(buf);
	return 0;
}

/* ---- tape_dump [-v] ---- */

static int dump_counts(int argc, char **argv)
{
	uint64_t counts[0x300] = { 0 };
	struct tape_record rec;
	struct tape_reader *r;
	int err = 0, verbose = 0, i, n;
	const char *path;

	if (argc > 2 && !strcmp(argv[1], "-v")) {
		verbose = 1;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: tape_dump [-v] TAPE | tape_dump records TAPE | tape_dump zstd FILE...\n");
		return 2;
	}
	path = argv[1];
	r = tape_reader__open(&path, 1, NULL, &err);
	if (!r) {
		fprintf(stderr, "tape_dump: %s: %s\n", path, tape_strerror(err));
		return 1;
	}
	while ((n = tape_reader__next(r, &rec)) > 0) {
		if (rec.type < 0x300)
			counts[rec.type]++;
		if (verbose)
			print_rec(&rec, 0);
	}
	if (n < 0)
		fprintf(stderr, "tape_dump: read error: %s\n", tape_strerror(n));
	for (i = 0; i < 0x300; i++)
		if (counts[i])
			printf("count %s %" PRIu64 "\n", nt_rec_type_name((uint16_t)i), counts[i]);
	printf("damage %zu\n", tape_reader__ndamage(r));
	tape_reader__free(r);
	return n < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "records"))
		return dump_records(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "zstd")) {
		int rc = 0;
		for (int i = 2; i < argc; i++)
			rc |= dump_zstd(argv[i]);
		return rc;
	}
	return dump_counts(argc, argv);
}
