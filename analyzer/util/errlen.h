/* errlen.h: the size of every one-line error buffer in the analyzer. */
#ifndef NETTAPE_ERRLEN_H
#define NETTAPE_ERRLEN_H

/* Error strings are one line, name the problem and the fix, and do not start
 * with the program name (the caller adds "nettape CMD: "). */
#define NT_ERRLEN 512

#endif
