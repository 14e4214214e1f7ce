/* pins.h: parser and writer of a tape directory's pins file (DIR/pins), the chunk ranges the recorder's triggers keep. */
#ifndef NETTAPE_PINS_H
#define NETTAPE_PINS_H

/*
 * DIR/pins is a text file beside the chunks (docs/FORMAT.md section 2.1):
 * comment lines start with '#', then one line per pin
 *   "pin ID KIND TS_BOOT_NS SEQ_FROM SEQ_TO COOKIE DESCRIPTION"
 * written by nettape-record (recorder/retention.c) and read back by it at
 * start and by `nettape info`. It is advisory: the NT_REC_PIN records in
 * the chunks are the record of what fired; the file says which chunk
 * ranges rotation must keep.
 *
 * Invariants: the library never prints. The writer replaces the file
 * atomically (a temporary file, fdatasync, rename), mode 0640. A line that
 * does not parse is skipped and counted, never fatal.
 */

#include <stddef.h>
#include <stdint.h>

#define TAPE_PINS_FILE "pins"
#define TAPE_PINS_DESC_MAX 192    /* description bytes kept, NUL included */
#define TAPE_PINS_MAX_SPAN 100000 /* seq_to - seq_from above this is damage */
#define TAPE_PINS_LINE_MAX 1024   /* longer lines are skipped as damaged */

struct tape_pin_line {
	uint64_t id;
	uint16_t kind;                /* enum nt_trigger_kind */
	uint64_t ts;                  /* fire time, boottime ns */
	uint64_t seq_from, seq_to;    /* pinned chunks, inclusive; seq_from <= seq_to */
	uint64_t cookie;              /* 0: all connections */
	char desc[TAPE_PINS_DESC_MAX];/* NUL-terminated, no control characters */
};

/*
 * Parses one line (with or without its "\n"). Returns 1 and fills *out for
 * a pin line, 0 for a comment or blank line, -EINVAL for anything else
 * (bad numbers, seq_from > seq_to, a span over TAPE_PINS_MAX_SPAN, kind
 * over 0xffff). A longer description is cut to TAPE_PINS_DESC_MAX - 1.
 */
int tape_pins_parse_line(const char *line, struct tape_pin_line *out);

/* Formats p as one line ending in "\n" into buf; control characters of
 * the description become spaces. Returns the length or -ENAMETOOLONG. */
int tape_pins_format_line(char *buf, size_t len, const struct tape_pin_line *p);

/* Called for each pin of the file in order; a non-zero return stops the
 * read and is returned by tape_pins_read(). */
typedef int (*tape_pins_cb)(void *ctx, const struct tape_pin_line *p);

/*
 * Reads DIR/pins. *nbad (if not NULL) receives the number of lines that
 * did not parse, *nlines (if not NULL) the number of lines read.
 * Returns 0, -ENOENT when there is no pins file, another -errno when it
 * cannot be read, or the callback's non-zero return.
 */
int tape_pins_read(const char *dir, tape_pins_cb cb, void *ctx, unsigned *nbad, unsigned *nlines);

/* Replaces DIR/pins with the n pins (a header comment first). 0 or -errno;
 * on failure the previous file is left as it was. */
int tape_pins_write(const char *dir, const struct tape_pin_line *pins, size_t n);

#endif
