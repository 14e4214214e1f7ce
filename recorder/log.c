/* log.c: the recorder's log (stderr, one line per message). */
#include "log.h"

#include <stdio.h>
#include <string.h>

int log_verbosity = LOG_LVL_INFO;

void log_vmsg(int level, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t n;

	if (level > log_verbosity)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	fprintf(stderr, "nettape-record: %s%s\n",
		level == LOG_LVL_ERROR ? "error: " : level == LOG_LVL_WARN ? "warning: " : "", buf);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
