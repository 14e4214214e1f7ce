/* fuzz_anonymize.c: libFuzzer target for the packet anonymizer, record anonymization and the --conn/--from grammar (selection.c, timefmt.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/anonymize.h"
#include "store/db.h"
#include "util/selection.h"
#include "util/timefmt.h"

/*
 * Input: byte 0 selects what is fuzzed, bytes 1-2 a little-endian link type or
 * record type, the rest the payload:
 *   0  nt_packet_parse() and anon_packet() on a snippet of that link type
 *   1  anon_record() on a record of that type
 *   2  conn_filter_parse() + matching, nt_time_parse() on the text
 * The payload is copied to an exact-size heap buffer so ASan sees every overread.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3 || size > 70000)
		return 0;
	uint8_t mode = data[0] % 3;
	uint16_t kind = (uint16_t)(data[1] | data[2] << 8);
	size_t n = size - 3;
	uint8_t *p = malloc(n ? n : 1);
	if (!p)
		return 0;
	memcpy(p, data + 3, n);
	struct anon *a = anon__new();
	if (!a) {
		free(p);
		return 0;
	}
	if (mode == 0) {
		struct nt_packet pi;
		nt_packet_parse(kind, p, n, n, &pi);
		anon_packet(a, kind, p, (uint32_t)n);
		nt_packet_parse(kind, p, n, n, &pi);
	} else if (mode == 1) {
		const void *out;
		uint32_t olen;
		if (anon_record(a, kind, p, (uint32_t)n, NULL, NULL, &out, &olen) == 1 && olen) {
			volatile uint8_t sink = ((const uint8_t *)out)[olen - 1];
			(void)sink;
		}
	} else {
		char *s = malloc(n + 1);
		if (s) {
			memcpy(s, p, n);
			s[n] = '\0';
			struct conn_filter f;
			int64_t ns;
			char buf[NT_ERRLEN];
			if (conn_filter_parse(s, &f) == 0) {
				struct nt_conn c;
				struct nt_packet pk;
				memset(&c, 0, sizeof(c));
				memset(&pk, 0, sizeof(pk));
				c.family = 2;
				c.cookie = 7;
				conn_filter_match_conn(&f, &c);
				pk.family = 2;
				pk.has_ports = 1;
				conn_filter_match_packet(&f, 0, &pk);
				conn_filter_format(&f, anon_endpoint, a, buf, sizeof(buf));
				conn_filter_format(&f, NULL, NULL, buf, sizeof(buf));
				conn_filter_free(&f);
			}
			if (nt_time_parse(s, 1763776800000000000LL, 1763780400000000000LL, &ns, buf) == 0)
				nt_time_iso_ns(ns, buf, sizeof(buf));
			free(s);
		}
	}
	anon__free(a);
	free(p);
	return 0;
}

#ifdef NT_PB_REPLAY_MAIN
/* Without libFuzzer: replays the files given (or the files in the directories given). */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fuzz_anonymize: cannot open %s\n", path);
		return 1;
	}
	static uint8_t buf[70000];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0, nfiles = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st)) {
			fprintf(stderr, "fuzz_anonymize: no such file or directory %s\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			rc |= replay_file(argv[i]);
			nfiles++;
			continue;
		}
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			char p[4096];
			snprintf(p, sizeof(p), "%s/%s", argv[i], e->d_name);
			rc |= replay_file(p);
			nfiles++;
		}
		if (d)
			closedir(d);
	}
	printf("fuzz_anonymize: replayed %d inputs\n", nfiles);
	return rc || !nfiles;
}
#endif
