/* test_timefmt.c: parsing and formatting of --from/--to times and durations. */
#include <stdio.h>
#include <string.h>

#include "util/errlen.h"
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

/* The forms of the one --from/--to grammar, absolute and anchored (moved here from the bundle's unit test). */
static void test_forms(void)
{
	int64_t ns;
	char err[NT_ERRLEN];
	CHECK(nt_time_parse("1763776800", 0, 0, &ns, err) == 0 && ns == 1763776800000000000LL);
	CHECK(nt_time_parse("1763776800.25", 0, 0, &ns, err) == 0 && ns == 1763776800250000000LL);
	CHECK(nt_time_parse("2025-11-22T02:00:00Z", 0, 0, &ns, err) == 0 && ns == 1763776800000000000LL);
	CHECK(nt_time_parse("2025-11-22 02:00:00.5", 0, 0, &ns, err) == 0 && ns == 1763776800500000000LL);
	CHECK(nt_time_parse("2025-11-22T03:00:00+01:00", 0, 0, &ns, err) == 0 && ns == 1763776800000000000LL);
	CHECK(nt_time_parse("2025-11-22T02:00Z", 0, 0, &ns, err) == 0 && ns == 1763776800000000000LL);
	CHECK(nt_time_parse("2025-11-22", 0, 0, &ns, err) == 0 && ns == 1763769600000000000LL);
	CHECK(nt_time_parse("yesterday", 0, 0, &ns, err) == -1);
	CHECK(nt_time_parse("2025-13-01T00:00:00Z", 0, 0, &ns, err) == -1);
	CHECK(nt_time_parse("2025-11-22T02:00:00Zjunk", 0, 0, &ns, err) == -1);
	CHECK(nt_time_parse("", 0, 0, &ns, err) == -1);
	CHECK(nt_time_parse("1.", 0, 0, &ns, err) == -1);
	char buf[64];
	/* forms the two old parsers did not share: offsets without a colon, ',' fractions,
	 * epoch nanoseconds, and the relative and time-of-day forms against the data */
	CHECK(nt_time_parse("2025-11-22T07:30:00+0530", 0, 0, &ns, err) == 0 && ns == 1763776800000000000LL);
	CHECK(nt_time_parse("2025-11-21t21:00:00,5-05", 0, 0, &ns, err) == 0 && ns == 1763776800500000000LL);
	CHECK(nt_time_parse("1763776800123456789", 0, 0, &ns, err) == 0 && ns == 1763776800123456789LL);
	CHECK(nt_time_parse("-5m", 0, 1763776800000000000LL, &ns, err) == 0 && ns == 1763776500000000000LL);
	CHECK(nt_time_parse("02:00:01", 1763776000000000000LL, 1763780000000000000LL, &ns, err) == 0 &&
	      ns == 1763776801000000000LL);
	CHECK(nt_time_parse("2025-02-30", 0, 0, &ns, err) == -1);
	CHECK(nt_time_parse("2025-11-22T02:00:00+25:00", 0, 0, &ns, err) == -1);
	nt_time_iso_ns(1763776800123456789LL, buf, sizeof(buf));
	CHECK(!strcmp(buf, "2025-11-22T02:00:00.123456789Z"));

}

int main(void)
{
	const int64_t t0 = 1795312800LL * NS; /* 2026-11-22T02:00:00Z */
	const int64_t t1 = t0 + 600 * NS;
	char buf[64];

	test_forms();
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
