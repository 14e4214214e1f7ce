/* record_fmt.h: one tape record as a text line or a JSON object (the format of 'nettape replay', docs/REPLAY.md). */
#ifndef NETTAPE_RECORD_FMT_H
#define NETTAPE_RECORD_FMT_H

/*
 * text: TIME(UTC) TYPE [HOST] PID/COMM LOCAL > REMOTE key=value...
 * json: {"ts":..., "time_ns":..., "boot_ns":..., "type":..., "tape":..., "host":...,
 *        "pid":..., "comm":..., "cookie":..., "netns":..., tuple, keys per type}
 * Names (states, congestion states, drop reasons, kernel locations) come from
 * the record's tape metadata, so a tape of another kernel prints its own.
 */

#include <stddef.h>
#include <stdint.h>

#include "tape.h"

/* One formatted record; always ends with '\n'; truncated (still one line)
 * if a record would not fit. */
struct nt_line {
	char buf[8192];
	size_t n;
};

/* Formats rec into l (l->n from 0). show_host: text form names the record's
 * host (several tapes). */
void nt_record_format(struct nt_line *l, const struct tape_record *rec, int json, int show_host);

/* The connection part of an event or socket record, or NULL. */
const struct nt_conn *nt_record_conn(const struct tape_record *rec);
/* The socket cookie a record is about (events, sockets, packets, pins), 0 if none. */
uint64_t nt_record_cookie(const struct tape_record *rec);

#endif
