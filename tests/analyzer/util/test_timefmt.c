/* test_timefmt.c: parsing and formatting of --from/--to times and durations. */
#include <stdio.h>
#include <string.h>

#include "store/db.h"
#include "util/timefmt.h"
#include "check.h"

#define NS 1000000000LL


static void expect(const char *in, int64_t first, int64_t last, int ok, int64_t want)
{
	char err[NT_ERRLEN] = "";
	int64_t got = 0;
	int rc = nt_time_parse(in, first, last, &got, err);

	if (ok && (rc || got != want)) {
		fprintf(stderr, "FAIL '%s': rc %d got %lld want %lld (%s)\n", in, rc, (long long)got, (long long)want, err);
		check_failures++;
	} else if (!ok && (rc == 0 || !strstr(err, "cannot parse time"))) {
		fprintf(stderr, "FAIL '%s' must be rejected with a message\n", in);
		check_failures++;
	}
}

int main(void)
{
	const int64_t t0 = 1795312800LL * NS; /* 2026-11-22T02:00:00Z */
	const int64_t t1 = t0 + 600 * NS;
	char buf[64];

	expect("2026-11-22T02:00:00Z", t0, t1, 1, t0);
	expect("2026-11-22T02:03:04.5Z", t0, t1, 1, t0 + 184 * NS + NS / 2);
	expect("2026-11-22 02:03", t0, t1, 1, t0 + 180 * NS);
	expect("2026-11-22", t0, t1, 1, t0 - 2 * 3600 * NS);
	expect("02:05", t0, t1, 1, t0 + 300 * NS);
	expect("02:05:30", t0, t1, 1, t0 + 330 * NS);
	expect("-5m", t0, t1, 1, t1 - 300 * NS);
	expect("+30s", t0, t1, 1, t0 + 30 * NS);
	expect("-250ms", t0, t1, 1, t1 - 250000000LL);
	expect("1795312800", t0, t1, 1, t0);
	expect("1795312800.25", t0, t1, 1, t0 + NS / 4);
	expect("1795312800000000000", t0, t1, 1, t0);
	expect("yesterday", t0, t1, 0, 0);
	expect("25:00", t0, t1, 0, 0);
	expect("2026-13-01", t0, t1, 0, 0);
	expect("-5x", t0, t1, 0, 0);
	expect("", t0, t1, 0, 0);
	if (strcmp(nt_time_iso(t0 + 1500000, buf, sizeof(buf)), "2026-11-22T02:00:00.001Z")) {
		fprintf(stderr, "FAIL iso: %s\n", buf);
		check_failures++;
	}
	if (strcmp(nt_dur_fmt(1500 * 1000000LL, buf, sizeof(buf)), "1.5 s") ||
	    strcmp(nt_dur_fmt(250 * 1000000LL, buf, sizeof(buf)), "250 ms")) {
		fprintf(stderr, "FAIL dur: %s\n", buf);
		check_failures++;
	}
	if (check_failures)
		return 1;
	printf("test_timefmt: ok\n");
	return 0;
}
