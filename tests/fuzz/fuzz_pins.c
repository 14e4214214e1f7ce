/* fuzz_pins.c: libFuzzer target for format/pins.c: a DIR/pins line parsed, formatted and parsed again to the same pin. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pins.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tape_pin_line a, b;
	char *s = malloc(size + 1), buf[TAPE_PINS_LINE_MAX];
	int r;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	r = tape_pins_parse_line(s, &a);
	if (r < -1000 || r > 1)
		abort();
	if (r == 1) {
		if (a.seq_from > a.seq_to || a.seq_to - a.seq_from > TAPE_PINS_MAX_SPAN ||
		    strlen(a.desc) >= sizeof(a.desc))
			abort();
		/* the writer's line reads back as the same pin (a description's
		 * leading spaces are the separator's, so they do not survive) */
		if (tape_pins_format_line(buf, sizeof(buf), &a) < 0 || tape_pins_parse_line(buf, &b) != 1)
			abort();
		if (a.id != b.id || a.kind != b.kind || a.ts != b.ts || a.seq_from != b.seq_from ||
		    a.seq_to != b.seq_to || a.cookie != b.cookie || strcmp(a.desc, b.desc))
			abort();
	}
	free(s);
	return 0;
}
