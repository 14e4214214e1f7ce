/* timefmt.h: formatting and parsing of wall-clock times and durations for the analyzer's options and reports. */
#ifndef NETTAPE_TIMEFMT_H
#define NETTAPE_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* "2026-11-22T02:03:04.123Z" (UTC, milliseconds). Returns buf. */
char *nt_time_iso(int64_t ns, char *buf, size_t len);
/* "02:03:04.123" (UTC). Returns buf. */
char *nt_time_hms(int64_t ns, char *buf, size_t len);
/* "850 ms", "12.4 s", "3.0 min", "1.5 h". Returns buf. */
char *nt_dur_fmt(int64_t ns, char *buf, size_t len);

/*
 * Parses a time for --from/--to into realtime ns (all times are UTC):
 *   epoch seconds        "1763776984" or "1763776984.25" (digits > 15: nanoseconds)
 *   ISO-8601             "2026-11-22T02:03:04[.123][Z]", "2026-11-22 02:03"
 *   time of day          "02:03" or "02:03:04[.5]" on the UTC day of ref_ns
 *   relative             "-5m", "+30s", "-1h" (s, m, h, ms) from ref_ns
 * ref_ns is the anchor for time-of-day and relative forms (the report uses
 * the last event of the database for "-", the first for "+").
 * Returns 0, or -1 with a one-line message in err (NT_ERRLEN bytes).
 */
int nt_time_parse(const char *s, int64_t first_ns, int64_t last_ns, int64_t *out, char *err);

/* Parses "250ms", "2s", "1.5m", "1h" or a plain number of seconds into ns.
 * Returns 0 or -1. */
int nt_dur_parse(const char *s, int64_t *out);

#endif
