/* timefmt.c: wall-clock time and duration formatting and parsing (--from/--to, report text). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

#include "util/errlen.h"
#include "util/timefmt.h"

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

char *nt_time_iso_ns(int64_t ns, char *buf, size_t len)
{
	struct tm tm;
	int ms;
	char d[32];
	int64_t rem = ns % NS;

	split(ns, &tm, &ms);
	if (rem < 0)
		rem += NS;
	strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09lldZ", d, (long long)rem);
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
	if (!(v * mul < 9.2e18)) /* also NaN: not a duration an int64 of ns holds */
		return -1;
	*out = (int64_t)(v * mul);
	return 0;
}

int nt_sdur_parse(const char *s, int64_t *out)
{
	int neg = *s == '-';

	if (*s == '-' || *s == '+')
		s++;
	if (*s == '-' || *s == '+' || nt_dur_parse(s, out))
		return -1;
	if (neg)
		*out = -*out;
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

/* 1 or 2 digits (exactly n when n == 2 and strict) into *v; returns chars used or -1. */
static int num12(const char *s, int *v)
{
	if (!isdigit((unsigned char)s[0]))
		return -1;
	if (isdigit((unsigned char)s[1])) {
		*v = (s[0] - '0') * 10 + (s[1] - '0');
		return 2;
	}
	*v = s[0] - '0';
	return 1;
}

/* ".123456789" or ",5": the fraction in ns, exact to 9 digits (more are
 * ignored); returns chars used (0 when there is no fraction) or -1. */
static int fraction(const char *s, int64_t *ns)
{
	int64_t v = 0, scale = NS;
	int n = 1;

	*ns = 0;
	if (*s != '.' && *s != ',')
		return 0;
	if (!isdigit((unsigned char)s[1]))
		return -1;
	for (; isdigit((unsigned char)s[n]); n++)
		if (scale > 1) {
			scale /= 10;
			v += (s[n] - '0') * scale;
		}
	*ns = v;
	return n;
}

/* "HH:MM[:SS[.frac]]" -> ns since midnight; returns chars used or -1. */
static int parse_tod(const char *s, int64_t *ns)
{
	int h, m, sec = 0, n, k;
	int64_t frac = 0;

	if ((n = num12(s, &h)) < 0 || s[n] != ':' || (k = num12(s + n + 1, &m)) < 0 || h > 23 || m > 59)
		return -1;
	n += 1 + k;
	if (s[n] == ':') {
		if ((k = num12(s + n + 1, &sec)) < 0 || sec > 60)
			return -1;
		n += 1 + k;
		if ((k = fraction(s + n, &frac)) < 0)
			return -1;
		n += k;
	}
	*ns = (int64_t)h * 3600 * NS + (int64_t)m * 60 * NS + (int64_t)sec * NS + frac;
	return n;
}

/* "Z", "+01:00", "+0100", "-05", ...: seconds east of UTC; returns chars used (0: none) or -1. */
static int parse_offset(const char *s, int64_t *east)
{
	int sign, oh, om = 0, n = 1, k;

	*east = 0;
	if (*s == 'Z' || *s == 'z')
		return 1;
	if (*s != '+' && *s != '-')
		return 0;
	sign = *s == '-' ? -1 : 1;
	if (!isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]))
		return -1;
	oh = (s[1] - '0') * 10 + (s[2] - '0');
	n = 3;
	if (s[n] == ':')
		n++;
	if (s[n]) {
		if ((k = num12(s + n, &om)) != 2)
			return -1;
		n += k;
	}
	if (oh > 23 || om > 59)
		return -1;
	*east = sign * ((int64_t)oh * 3600 + om * 60);
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
		if (s[0] == '-' ? __builtin_sub_overflow(last_ns, dur, out) : __builtin_add_overflow(first_ns, dur, out))
			goto bad;
		return 0;
	}
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && n == 10 && isdigit((unsigned char)s[0])) {
		static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		int64_t day, east;
		int used;

		/* realtime ns in an int64 run from 1970 to 2262 */
		if (y < 1970 || y > 2261 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
			goto bad;
		day = days_from_civil(y, (unsigned)mo, (unsigned)d);
		tod = 0;
		if (s[n] == 'T' || s[n] == 't' || s[n] == ' ') {
			used = parse_tod(s + n + 1, &tod);
			if (used < 0)
				goto bad;
			n += 1 + used;
		}
		used = parse_offset(s + n, &east);
		if (used < 0)
			goto bad;
		n += used;
		if (s[n])
			goto bad;
		*out = day * 86400 * NS + tod - east * NS;
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
		size_t digits = strspn(s, "0123456789");
		int64_t frac = 0;
		int used;

		if (!digits || digits > 19)
			goto bad;
		used = fraction(s + digits, &frac);
		if (used < 0 || s[digits + (size_t)used])
			goto bad;
		if (digits > 15 && !used) {
			/* nanoseconds since the epoch */
			*out = strtoll(s, NULL, 10);
		} else {
			int64_t sec = strtoll(s, NULL, 10);

			if (sec > INT64_MAX / NS - 1)
				goto bad;
			*out = sec * NS + frac;
		}
		return 0;
	}
bad:
	snprintf(err, NT_ERRLEN, "cannot parse time '%s'; use ISO-8601 (2026-11-22T02:03:04Z, "
		 "2026-11-22T03:03:04+01:00), HH:MM[:SS] (UTC), epoch seconds or a relative time like -5m",
		 s ? s : "");
	return -1;
}
