/* log.h: the recorder's log (stderr, one line per message, prefixed with the program name). */
#ifndef NETTAPE_RECORDER_LOG_H
#define NETTAPE_RECORDER_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN  = 1,
	LOG_LVL_INFO  = 2,
	LOG_LVL_DEBUG = 3,
};

/* Messages above this level are dropped (default LOG_LVL_INFO; -v = DEBUG,
 * -q = WARN). */
extern int log_verbosity;

/* Prints "nettape-record: <message>\n" to stderr if level <= log_verbosity.
 * Errors and warnings get an "error: " / "warning: " prefix. */
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap);

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif /* NETTAPE_RECORDER_LOG_H */
