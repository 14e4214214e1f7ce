/* cmd_info.c: 'nettape info': describes tapes: host, kernel, chunks, time range, records by type, losses, sizes, pins. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd/commands.h"
#include "report/report.h"
#include "store/host_clock.h"
#include "store/store.h"
#include "names.h"
#include "pins.h"
#include "tape.h"

#define NTYPES 65536

struct pin {
	uint64_t real_ns;
	uint16_t kind;
	uint64_t cookie;
	char desc[200];
	char kind_name[64];
};

/* One line of the recorder's DIR/pins (format/pins.h): the chunk range a pin
 * keeps, and how many of those chunk files are still on disk. */
struct kept {
	struct tape_pin_line pin;
	uint64_t present;
};

struct info {
	const char *path;
	struct tape_header hdr;
	int have_hdr;
	uint64_t chunks, complete, partial, indexed;
	uint64_t first_rt, last_rt;      /* over event records (all records if none) */
	uint64_t any_first_rt, any_last_rt;
	uint64_t *by_type;               /* NTYPES counters */
	uint64_t records, events, losses, loss_records;
	uint64_t disk_bytes, raw_bytes;
	struct pin *pins;
	size_t npins, pincap;
	struct kept *kept;               /* DIR/pins: the chunk ranges pins keep */
	size_t nkept;
	size_t ndamage;
	char first_damage[512];
};

static void iso_time(uint64_t ns, char *buf, size_t cap)
{
	time_t s = (time_t)(ns / 1000000000ull);
	struct tm tm;
	char tmp[32];
	if (!gmtime_r(&s, &tm)) {
		snprintf(buf, cap, "?");
		return;
	}
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, cap, "%s.%03uZ", tmp, (unsigned)(ns % 1000000000ull / 1000000));
}

static void hex_id(const uint8_t id[16], char out[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

static const char *trigger_name(const struct tape_meta *m, uint16_t kind)
{
	const char *n = tape_meta__enum_name(m, NT_ENUM_TRIGGER, kind);

	if (!n)
		n = nt_trigger_kind_name(kind);
	return n ? n : "unknown";
}

static int add_pin(struct info *in, const struct tape_record *rec)
{
	const struct nt_rec_pin *p = rec->data;
	struct pin *x;
	uint32_t dlen = rec->len - (uint32_t)sizeof(*p);
	if (in->npins == in->pincap) {
		size_t ncap = in->pincap ? in->pincap * 2 : 8;
		struct pin *n = realloc(in->pins, ncap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		in->pins = n;
		in->pincap = ncap;
	}
	x = &in->pins[in->npins++];
	memset(x, 0, sizeof(*x));
	x->real_ns = tape_record_realtime(rec);
	x->kind = p->kind;
	x->cookie = p->cookie;
	if (dlen >= sizeof(x->desc))
		dlen = sizeof(x->desc) - 1;
	memcpy(x->desc, (const char *)rec->data + sizeof(*p), dlen);
	for (uint32_t i = 0; i < dlen; i++)
		if ((unsigned char)x->desc[i] < 0x20)
			x->desc[i] = ' ';
	snprintf(x->kind_name, sizeof(x->kind_name), "%s", trigger_name(rec->src->meta, p->kind));
	return 0;
}

static int chunk_on_disk(const char *dir, uint64_t seq)
{
	char p[4096];
	struct stat st;

	if (tape_chunk_name_format(p, sizeof(p), dir, seq, 0) >= 0 && !stat(p, &st))
		return 1;
	return tape_chunk_name_format(p, sizeof(p), dir, seq, 1) >= 0 && !stat(p, &st);
}

struct kept_ctx {
	struct info *in;
	const char *dir;
};

static int add_kept(void *ctx, const struct tape_pin_line *l)
{
	struct kept_ctx *kc = ctx;
	struct info *in = kc->in;
	struct kept k, *nk;

	memset(&k, 0, sizeof(k));
	k.pin = *l;
	for (uint64_t s = l->seq_from; s <= l->seq_to; s++)
		k.present += (uint64_t)chunk_on_disk(kc->dir, s);
	nk = realloc(in->kept, (in->nkept + 1) * sizeof(*nk));
	if (!nk)
		return -ENOMEM;
	in->kept = nk;
	in->kept[in->nkept++] = k;
	return 0;
}

/* Reads DIR/pins (format/pins.c) if the tape is a directory that has one.
 * Lines that do not parse are skipped (the file is advisory; the pin
 * records are in the tape). */
static int read_kept(struct info *in, const char *dir)
{
	struct kept_ctx kc = { in, dir };
	struct stat st;
	int err;

	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return 0;
	err = tape_pins_read(dir, add_kept, &kc, NULL, NULL);
	return err == -ENOMEM ? err : 0;
}

/* Reads one tape completely. 0, or a negative error (already described in *msg). */
static int collect(struct info *in, const char *path, char *msg, size_t msglen)
{
	const char *paths[1] = { path };
	struct tape_reader *r;
	struct tape_record rec;
	int err = 0, rc;

	memset(in, 0, sizeof(*in));
	in->path = path;
	in->by_type = calloc(NTYPES, sizeof(*in->by_type));
	if (!in->by_type) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	if (read_kept(in, path)) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	r = tape_reader__open(paths, 1, NULL, &err);
	if (!r) {
		snprintf(msg, msglen, "%s: %s", path, tape_strerror(err));
		return err;
	}
	while ((rc = tape_reader__next(r, &rec)) == 1) {
		uint64_t rt = tape_record_realtime(&rec);
		in->records++;
		in->by_type[rec.type]++;
		in->raw_bytes += (8u + rec.len + 7u) & ~7u;
		if (!in->any_first_rt || rt < in->any_first_rt)
			in->any_first_rt = rt;
		if (rt > in->any_last_rt)
			in->any_last_rt = rt;
		if (nt_rec_is_event(rec.type)) {
			in->events++;
			if (!in->first_rt || rt < in->first_rt)
				in->first_rt = rt;
			if (rt > in->last_rt)
				in->last_rt = rt;
		} else if (rec.type == NT_REC_LOSS) {
			in->losses += ((const struct nt_rec_loss *)rec.data)->count;
			in->loss_records++;
		} else if (rec.type == NT_REC_PIN) {
			if (add_pin(in, &rec)) {
				rc = -ENOMEM;
				break;
			}
		}
	}
	if (rc < 0) {
		snprintf(msg, msglen, "%s: %s", path, tape_strerror(rc));
		tape_reader__free(r);
		return rc;
	}
	if (!in->events) {
		in->first_rt = in->any_first_rt;
		in->last_rt = in->any_last_rt;
	}
	for (size_t i = 0; i < tape_reader__nsources(r); i++) {
		const struct tape_source *s = tape_reader__source(r, i);
		struct stat st;
		if (!in->have_hdr) {
			in->hdr = s->hdr;
			in->have_hdr = 1;
		}
		if (!stat(s->path, &st))
			in->disk_bytes += (uint64_t)st.st_size;
		if (s->partial)
			in->partial++;
		else
			in->complete++;
		if (s->has_index)
			in->indexed++;
	}
	in->chunks = tape_reader__nsources(r);
	if (!in->chunks && tape_reader__ndamage(r)) {
		/* nothing readable at all: a one-line error */
		const struct tape_damage *d = tape_reader__damage(r, 0);
		int derr = d->err ? d->err : -EIO;
		snprintf(msg, msglen, "%s: %s", d->path, tape_strerror(derr));
		tape_reader__free(r);
		return derr;
	}
	in->ndamage = tape_reader__ndamage(r);
	if (in->ndamage) {
		const struct tape_damage *d = tape_reader__damage(r, 0);
		const char *b = strrchr(d->path, '/');
		if (snprintf(in->first_damage, sizeof(in->first_damage), "%s: offset %" PRIu64 ": %s",
			     b ? b + 1 : d->path, d->offset, d->reason) >= (int)sizeof(in->first_damage))
			in->first_damage[sizeof(in->first_damage) - 1] = 0; /* truncated: fine */
		/* chunks that could not be opened count too */
		for (size_t i = 0; i < in->ndamage; i++)
			if (!strncmp(tape_reader__damage(r, i)->reason, "chunk unreadable", 16)) {
				struct stat st;
				in->chunks++;
				if (!stat(tape_reader__damage(r, i)->path, &st))
					in->disk_bytes += (uint64_t)st.st_size;
			}
	}
	tape_reader__free(r);
	return 0;
}

static void info_free(struct info *in)
{
	free(in->by_type);
	free(in->pins);
	free(in->kept);
}

static void print_text(const struct info *in)
{
	char id[33], a[40], b[40];
	double dur = in->last_rt > in->first_rt ? (double)(in->last_rt - in->first_rt) / 1e9 : 0;

	hex_id(in->hdr.recording_id, id);
	printf("tape %s\n", in->path);
	printf("  recording id   %s\n", id);
	printf("  host           %s\n", in->hdr.hostname[0] ? in->hdr.hostname : "(unknown)");
	printf("  boot id        %s\n", in->hdr.boot_id[0] ? in->hdr.boot_id : "(unknown)");
	printf("  kernel         %s\n", in->hdr.kernel[0] ? in->hdr.kernel : "(unknown)");
	printf("  recorder       %s\n", in->hdr.version[0] ? in->hdr.version : "(unknown)");
	printf("  command line   %s\n", in->hdr.cmdline[0] ? in->hdr.cmdline : "(unknown)");
	printf("  format         %u.%u\n", in->hdr.major, in->hdr.minor);
	printf("  snaplen        %u%s\n", in->hdr.snaplen, in->hdr.snaplen ? "" : " (no packet snippets)");
	printf("  chunks         %" PRIu64 " (%" PRIu64 " complete, %" PRIu64 " partial; %" PRIu64
	       " with index)\n",
	       in->chunks, in->complete, in->partial, in->indexed);
	if (in->records) {
		iso_time(in->first_rt, a, sizeof(a));
		iso_time(in->last_rt, b, sizeof(b));
		printf("  time           %s .. %s (%.3f s)\n", a, b, dur);
	} else {
		printf("  time           (no records)\n");
	}
	printf("  records        %" PRIu64 " (%" PRIu64 " events)\n", in->records, in->events);
	for (uint32_t t = 0; t < NTYPES; t++)
		if (in->by_type[t])
			printf("    %-12s %" PRIu64 "\n",
			       strcmp(nt_rec_type_name((uint16_t)t), "unknown") ?
				       nt_rec_type_name((uint16_t)t) : "unknown", in->by_type[t]);
	printf("  losses         %" PRIu64 " events lost (%" PRIu64 " loss records)\n", in->losses,
	       in->loss_records);
	printf("  size           %" PRIu64 " bytes on disk, %" PRIu64 " raw", in->disk_bytes,
	       in->raw_bytes);
	if (in->disk_bytes)
		printf(" (compression %.1fx)", (double)in->raw_bytes / (double)in->disk_bytes);
	putchar('\n');
	if (in->events)
		printf("  per event      %.1f bytes on disk\n",
		       (double)in->disk_bytes / (double)in->events);
	printf("  pins           %zu\n", in->npins);
	for (size_t i = 0; i < in->npins && i < 20; i++) {
		iso_time(in->pins[i].real_ns, a, sizeof(a));
		printf("    %s  %-15s %s\n", a, in->pins[i].kind_name, in->pins[i].desc);
	}
	if (in->npins > 20)
		printf("    ... %zu more (--json lists all)\n", in->npins - 20);
	if (in->nkept) {
		printf("  pinned chunks  %zu pin(s) in %s/pins keep these chunks from rotation\n",
		       in->nkept, in->path);
		for (size_t i = 0; i < in->nkept && i < 20; i++) {
			const struct kept *k = &in->kept[i];
			printf("    #%-4" PRIu64 " %-15s chunks %" PRIu64 "-%" PRIu64 " (%" PRIu64
			       " of %" PRIu64 " on disk)  %s\n",
			       k->pin.id, trigger_name(NULL, (uint16_t)k->pin.kind), k->pin.seq_from, k->pin.seq_to,
			       k->present, k->pin.seq_to - k->pin.seq_from + 1, k->pin.desc);
		}
		if (in->nkept > 20)
			printf("    ... %zu more (--json lists all)\n", in->nkept - 20);
	}
	if (in->ndamage)
		printf("  damage         %zu place%s, first: %s (run 'nettape verify')\n",
		       in->ndamage, in->ndamage == 1 ? "" : "s", in->first_damage);
	else
		printf("  damage         none found\n");
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_json(const struct info *in, int first)
{
	char id[33], a[40], b[40];
	int n = 0;

	hex_id(in->hdr.recording_id, id);
	iso_time(in->first_rt, a, sizeof(a));
	iso_time(in->last_rt, b, sizeof(b));
	printf("%s{\"path\":", first ? "" : ",");
	json_str(in->path);
	printf(",\"recording_id\":\"%s\",\"host\":", id);
	json_str(in->hdr.hostname);
	printf(",\"boot_id\":");
	json_str(in->hdr.boot_id);
	printf(",\"kernel\":");
	json_str(in->hdr.kernel);
	printf(",\"recorder_version\":");
	json_str(in->hdr.version);
	printf(",\"cmdline\":");
	json_str(in->hdr.cmdline);
	printf(",\"format\":\"%u.%u\",\"snaplen\":%u", in->hdr.major, in->hdr.minor, in->hdr.snaplen);
	printf(",\"chunks\":{\"total\":%" PRIu64 ",\"complete\":%" PRIu64 ",\"partial\":%" PRIu64
	       ",\"with_index\":%" PRIu64 "}",
	       in->chunks, in->complete, in->partial, in->indexed);
	if (in->records)
		printf(",\"time\":{\"first\":\"%s\",\"last\":\"%s\",\"first_ns\":%" PRIu64
		       ",\"last_ns\":%" PRIu64 ",\"duration_s\":%.3f}",
		       a, b, in->first_rt, in->last_rt,
		       in->last_rt > in->first_rt ? (double)(in->last_rt - in->first_rt) / 1e9 : 0.0);
	else
		printf(",\"time\":null");
	printf(",\"records\":%" PRIu64 ",\"events\":%" PRIu64 ",\"by_type\":{", in->records,
	       in->events);
	for (uint32_t t = 0; t < NTYPES; t++) {
		if (!in->by_type[t])
			continue;
		if (strcmp(nt_rec_type_name((uint16_t)t), "unknown"))
			printf("%s\"%s\":%" PRIu64, n++ ? "," : "", nt_rec_type_name((uint16_t)t),
			       in->by_type[t]);
		else
			printf("%s\"0x%04x\":%" PRIu64, n++ ? "," : "", t, in->by_type[t]);
	}
	printf("},\"losses\":%" PRIu64 ",\"loss_records\":%" PRIu64, in->losses, in->loss_records);
	printf(",\"disk_bytes\":%" PRIu64 ",\"raw_bytes\":%" PRIu64 ",\"compression_ratio\":%.2f"
	       ",\"bytes_per_event\":%.2f",
	       in->disk_bytes, in->raw_bytes,
	       in->disk_bytes ? (double)in->raw_bytes / (double)in->disk_bytes : 0.0,
	       in->events ? (double)in->disk_bytes / (double)in->events : 0.0);
	printf(",\"pins\":[");
	for (size_t i = 0; i < in->npins; i++) {
		iso_time(in->pins[i].real_ns, a, sizeof(a));
		printf("%s{\"time\":\"%s\",\"kind\":", i ? "," : "", a);
		json_str(in->pins[i].kind_name);
		printf(",\"cookie\":%" PRIu64 ",\"description\":", in->pins[i].cookie);
		json_str(in->pins[i].desc);
		putchar('}');
	}
	printf("],\"pinned_chunks\":[");
	for (size_t i = 0; i < in->nkept; i++) {
		const struct kept *k = &in->kept[i];
		printf("%s{\"id\":%" PRIu64 ",\"kind\":", i ? "," : "", k->pin.id);
		json_str(trigger_name(NULL, (uint16_t)k->pin.kind));
		printf(",\"cookie\":%" PRIu64 ",\"seq_from\":%" PRIu64 ",\"seq_to\":%" PRIu64
		       ",\"on_disk\":%" PRIu64 ",\"description\":",
		       k->pin.cookie, k->pin.seq_from, k->pin.seq_to, k->present);
		json_str(k->pin.desc);
		putchar('}');
	}
	printf("],\"damage\":%zu", in->ndamage);
	if (in->ndamage) {
		printf(",\"first_damage\":");
		json_str(in->first_damage);
	}
	putchar('}');
}

/* A database made by 'nettape import' (SQLite header): its hosts and their clock alignment. */
static int is_database(const char *path)
{
	char magic[16];
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(magic, 1, sizeof(magic), f) : 0;

	if (f)
		fclose(f);
	return n == sizeof(magic) && !memcmp(magic, "SQLite format 3", 16);
}

static int info_database(const char *path, int json, int first)
{
	struct nt_store *s = NULL;
	struct nt_host_clock hc[64];
	char err[NT_ERRLEN], line[400];
	long n;

	if (nt_store_open(path, NT_STORE_READ, &s, err)) {
		fprintf(stderr, "nettape info: %s\n", err);
		return 1;
	}
	n = nt_host_clocks(s, hc, sizeof(hc) / sizeof(hc[0]));
	int64_t pairs = nt_store_has_column(s, "connections", "peer_conn_id")
				? nt_store_int(s, "SELECT count(*) FROM conn_pairs", 0) : 0;
	if (n > (long)(sizeof(hc) / sizeof(hc[0])))
		n = (long)(sizeof(hc) / sizeof(hc[0]));
	if (json) {
		printf("%s{\"database\":", first ? "" : ",");
		json_str(path);
		printf(",\"paired_connections\":%lld,\"hosts\":[", (long long)pairs);
		for (long i = 0; i < n; i++) {
			printf("%s{\"host\":", i ? "," : "");
			json_str(hc[i].host);
			printf(",\"alignment\":");
			if (hc[i].source[0])
				json_str(hc[i].source);
			else
				printf("null");
			printf(",\"offset_ns\":%lld,\"bound_ns\":", (long long)hc[i].offset_ns);
			if (hc[i].bound_ns >= 0)
				printf("%lld", (long long)hc[i].bound_ns);
			else
				printf("null");
			printf(",\"pairs\":%lld}", (long long)hc[i].pairs);
		}
		printf("]}");
	} else {
		printf("database %s\n", path);
		printf("  hosts          %ld, %lld connection%s paired across hosts\n", n < 0 ? 0 : n, (long long)pairs,
		       pairs == 1 ? "" : "s");
		for (long i = 0; i < n; i++)
			printf("  clock          %s\n", nt_clock_line(&hc[i], line, sizeof(line)));
	}
	nt_store_close(s);
	return n < 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nettape info [OPTIONS] TAPE|DB...\n\n"
		"Describes each TAPE (a tape directory or a chunk file): recording id, host,\n"
		"boot id, kernel, recorder version and command line, snaplen, chunks, time\n"
		"range (UTC), records by type, losses, on-disk and raw sizes, pinned moments.\n"
		"Given a database made by 'nettape import' (several hosts): its hosts, each\n"
		"one's clock alignment (offset, error bound, paired connections, or unaligned).\n\n"
		"Options:\n"
		"  -j, --json    one JSON document {\"tapes\": [...]}\n"
		"  -h, --help    this help\n\n"
		"Exit codes: 0 ok, 1 a tape could not be read, 2 usage error.\n\n"
		"Examples:\n"
		"  nettape info /var/lib/nettape\n"
		"  nettape info --json host-a/ host-b/ | jq '.tapes[].events'\n"
		"  nettape info both-hosts.db\n");
}

int cmd_info(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, json = 0, status = 0, printed = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "jh", lopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': usage(stdout); return 0;
		default:
			if (optopt)
				fprintf(stderr, "nettape info: unknown option '-%c'; run 'nettape info --help'\n",
					optopt);
			else
				fprintf(stderr, "nettape info: unknown option '%s'; run 'nettape info --help'\n",
					argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "nettape info: no tape given; run 'nettape info --help'\n");
		return 2;
	}
	if (json)
		printf("{\"tapes\":[");
	for (int i = optind; i < argc; i++) {
		struct info in;
		char msg[4200];
		if (is_database(argv[i])) {
			if (!json && printed)
				putchar('\n');
			status |= info_database(argv[i], json, !printed);
			printed++;
			continue;
		}
		int err = collect(&in, argv[i], msg, sizeof(msg));
		if (err) {
			fprintf(stderr, "nettape info: %s\n", msg);
			status = 1;
		} else if (json) {
			print_json(&in, !printed);
			printed++;
		} else {
			if (printed++)
				putchar('\n');
			print_text(&in);
		}
		info_free(&in);
	}
	if (json)
		printf("]}\n");
	return status;
}
