/* import_warn.c: the one warning helper of the importers (tapes and captures): a formatted line to nt_import_opts.warn. */
#include <stdarg.h>
#include <stdio.h>

#include "import/import.h"

void nt_import_warn(const struct nt_import_opts *opts, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!opts->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	opts->warn(opts->ctx, line);
}
