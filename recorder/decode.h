/* decode.h: converts the kernel's ring-buffer events (bpf/nettape.h) into tape records (format/records.h). */
#ifndef NETTAPE_RECORDER_DECODE_H
#define NETTAPE_RECORDER_DECODE_H

/*
 * The two layouts are separate contracts (in-memory ABI of one build vs. the
 * versioned file format), so the conversion is explicit, field by field.
 * Pure functions: no I/O, no allocation.
 */

#include <stddef.h>
#include <stdint.h>

#include "nettape.h"
#include "records.h"

/* Largest record payload decode_event produces (decode.c asserts that every
 * record it writes fits). */
#define DECODE_MAX 192

/* Tape record type of a kernel event class (NTB_*), 0 for NTB_OWNER/unknown. */
uint16_t decode_rec_type(uint32_t cls);
/* Display name of a class ("drop", "retrans", ...). */
const char *decode_class_name(uint32_t cls);

/* Converts one ring-buffer event (data, size bytes) into a record payload
 * in out (DECODE_MAX bytes). Returns the payload length and stores the
 * record type and timestamp; 0 for events that are not records (NTB_OWNER)
 * and -EINVAL for a short or unknown event. */
int decode_event(const void *data, size_t size, uint16_t *type, uint64_t *ts, void *out);

/* The socket-dump entry as an NT_REC_SOCKET payload (struct nt_ev_state). */
void decode_state(const struct ntb_state *in, struct nt_ev_state *out);

#endif /* NETTAPE_RECORDER_DECODE_H */
