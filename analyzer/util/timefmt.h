/* timefmt.h: formatting and parsing of wall-clock times and durations for the analyzer's options and reports. */
#ifndef NETTAPE_TIMEFMT_H
#define NETTAPE_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* "2026-11-22T02:03:04.123Z" (UTC, milliseconds). Returns buf. */
char *nt_time_iso(int64_t ns, char *buf, size_t len);
/* "2026-11-22T02:03:04.123456789Z" (UTC, nanoseconds). Returns buf. */
char *nt_time_iso_ns(int64_t ns, char *buf, size_t len);
/* "02:03:04.123" (UTC). Returns buf. */
char *nt_time_hms(int64_t ns, char *buf, size_t len);
/* "850 ms", "12.4 s", "3.0 min", "1.5 h". Returns buf. */
char *nt_dur_fmt(int64_t ns, char *buf, size_t len);

/*
 * The one --from/--to grammar (every command; docs/man/nettape.1 "SELECTING
 * DATA"): parses s into realtime ns since the epoch:
 *   epoch seconds        "1763776984" or "1763776984.25" (more than 15 digits
 *                        without a fraction: nanoseconds)
 *   ISO-8601             "2026-11-22T02:03:04[.123456789]" ('T', 't' or a space;
 *                        '.' or ','), "2026-11-22 02:03", "2026-11-22"; UTC unless
 *                        it ends in an offset: "Z", "+01:00", "-0530", "+01"
 *   time of day          "02:03" or "02:03:04[.5]" (UTC) on the UTC day of first_ns
 *                        (the next day when that is before the data and the next
 *                        one is not after it: a tape across midnight)
 *   relative             "-5m" from last_ns, "+30s" from first_ns (ms, us, s, m, h)
 * first_ns and last_ns are the span of the data the option selects from.
 * Returns 0, or -1 with a one-line message in err (NT_ERRLEN bytes).
 */
int nt_time_parse(const char *s, int64_t first_ns, int64_t last_ns, int64_t *out, char *err);

/* Parses "250ms", "2s", "1.5m", "1h" or a plain number of seconds into ns.
 * Returns 0 or -1. */
int nt_dur_parse(const char *s, int64_t *out);

/* A signed duration: nt_dur_parse's grammar with an optional leading '+' or
 * '-' ("+2.5s", "-700ms", "1h"), for clock offsets. Returns 0 or -1. */
int nt_sdur_parse(const char *s, int64_t *out);

#endif
