/* fuzz_names.c: libFuzzer target for format/names.c: chunk file names (parse, format, parse again) and the drop-reason and kind tables. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "names.h"
#include "records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), buf[4200];
	uint64_t seq = 0, seq2 = 0;
	int partial = 0, partial2 = 0, k;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (tape_chunk_name_parse(s, &seq, &partial)) {
		/* what parses formats back to a name that parses to the same chunk */
		if (tape_chunk_name_format(buf, sizeof(buf), NULL, seq, partial) < 0 ||
		    !tape_chunk_name_parse(buf, &seq2, &partial2) || seq2 != seq || partial2 != partial)
			abort();
	}
	if (tape_chunk_name_format(buf, sizeof(buf), s, seq, partial) >= 0 &&
	    (!tape_chunk_name_parse(buf, &seq2, &partial2) || seq2 != seq || partial2 != partial))
		abort();
	(void)nt_drop_class_name(nt_drop_class_of(s));
	k = nt_trigger_kind_from_name(s);
	if (k >= 0 && strcasecmp(nt_trigger_kind_name((uint32_t)k), s))
		abort();
	if (size >= 6) {
		uint16_t type;
		uint32_t kind;

		memcpy(&type, data, 2);
		memcpy(&kind, data + 2, 4);
		(void)nt_record_kind_name(type, kind);
	}
	free(s);
	return 0;
}
