/* timefmt.c: wall-clock time and duration formatting and parsing (--from/--to, report text). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "timefmt.h"

#define NS 1000000000LL

static void split(int64_t ns, struct tm *tm, int *ms)
{
	time_t sec = (time_t)(ns / NS);
	int64_t rem = ns % NS;

	if (rem < 0) {
		rem += NS;
		sec--;
	}
	gmtime_r(&sec, tm);
	*ms = (int)(rem / 1000000);
}

char *nt_time_iso(int64_t ns, char *buf, size_t len)
{
	struct tm tm;
	int ms;

	split(ns, &tm, &ms);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	return buf;
}

char *nt_time_hms(int64_t ns, char *buf, size_t len)
{
	struct tm tm;
	int ms;

	split(ns, &tm, &ms);
	snprintf(buf, len, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	return buf;
}

char *nt_dur_fmt(int64_t ns, char *buf, size_t len)
{
	double s = (double)ns / 1e9;

	if (ns < 0)
		ns = 0;
	if (s < 1.0)
		snprintf(buf, len, "%.0f ms", (double)ns / 1e6);
	else if (s < 120)
		snprintf(buf, len, "%.1f s", s);
	else if (s < 7200)
		snprintf(buf, len, "%.1f min", s / 60);
	else
		snprintf(buf, len, "%.1f h", s / 3600);
	return buf;
}

int nt_dur_parse(const char *s, int64_t *out)
{
	char *end;
	double v = strtod(s, &end);
	double mul = 1e9;

	if (end == s || v < 0)
		return -1;
	if (!strcmp(end, "ms"))
		mul = 1e6;
	else if (!strcmp(end, "us"))
		mul = 1e3;
	else if (!strcmp(end, "s") || !*end)
		mul = 1e9;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		mul = 60e9;
	else if (!strcmp(end, "h"))
		mul = 3600e9;
	else
		return -1;
	*out = (int64_t)(v * mul);
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (no timezone games). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* "HH:MM[:SS[.frac]]" -> ns since midnight; returns chars used or -1. */
static int parse_tod(const char *s, int64_t *ns)
{
	int h, m, n = 0;
	double sec = 0;

	if (sscanf(s, "%2d:%2d%n", &h, &m, &n) != 2 || h > 23 || m > 59)
		return -1;
	if (s[n] == ':') {
		char *end;
		sec = strtod(s + n + 1, &end);
		if (end == s + n + 1 || sec < 0 || sec >= 61)
			return -1;
		n = (int)(end - s);
	}
	*ns = (int64_t)h * 3600 * NS + (int64_t)m * 60 * NS + (int64_t)(sec * 1e9);
	return n;
}

int nt_time_parse(const char *s, int64_t first_ns, int64_t last_ns, int64_t *out, char *err)
{
	int y, mo, d, n = 0;
	int64_t tod;

	if (!s || !*s)
		goto bad;
	if (s[0] == '-' || s[0] == '+') {
		int64_t dur;
		if (nt_dur_parse(s + 1, &dur))
			goto bad;
		*out = s[0] == '-' ? last_ns - dur : first_ns + dur;
		return 0;
	}
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && n == 10) {
		int64_t day = days_from_civil(y, (unsigned)mo, (unsigned)d);
		int used;
		if (mo < 1 || mo > 12 || d < 1 || d > 31)
			goto bad;
		tod = 0;
		if (s[n] == 'T' || s[n] == ' ') {
			used = parse_tod(s + n + 1, &tod);
			if (used < 0)
				goto bad;
			n += 1 + used;
		}
		if (s[n] == 'Z')
			n++;
		if (s[n])
			goto bad;
		*out = day * 86400 * NS + tod;
		return 0;
	}
	if (strchr(s, ':')) {
		int used = parse_tod(s, &tod);
		int64_t midnight = (first_ns / (86400 * NS)) * 86400 * NS;
		if (used < 0 || s[used] != 0)
			goto bad;
		*out = midnight + tod;
		/* A time before the data's start belongs to the next day (a tape across midnight). */
		if (*out < first_ns - 60 * NS && midnight + 86400 * NS + tod <= last_ns + 60 * NS)
			*out += 86400 * NS;
		return 0;
	}
	{
		const char *p = s;
		size_t digits = 0;
		for (; *p; p++) {
			if (isdigit((unsigned char)*p))
				digits++;
			else if (*p != '.')
				goto bad;
		}
		const char *dot = strchr(s, '.');
		if (!digits || (dot && strchr(dot + 1, '.')))
			goto bad;
		if (digits > 15 && !dot) {
			*out = strtoll(s, NULL, 10);
		} else {
			/* whole seconds and the fraction apart, to keep nanoseconds exact */
			int64_t sec = strtoll(s, NULL, 10), frac = 0, scale = NS;
			if (dot)
				for (const char *q = dot + 1; *q && scale > 1; q++) {
					scale /= 10;
					frac += (*q - '0') * scale;
				}
			*out = sec * NS + frac;
		}
		return 0;
	}
bad:
	snprintf(err, NT_ERRLEN, "cannot parse time '%s'; use ISO-8601 (2026-11-22T02:03:04Z), HH:MM[:SS] (UTC), "
		 "epoch seconds or a relative time like -5m", s ? s : "");
	return -1;
}
