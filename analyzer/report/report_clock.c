/* report_clock.c: one line of text per host clock alignment, for the report header, 'nettape import' and 'nettape info'. */
#include <stdio.h>
#include <string.h>

#include "report/report.h"

/* "+2499.999555 ms" (to the ns); bounds below a millisecond as "1.857 us". */
static char *ms(int64_t ns, int sign, char *buf, size_t len)
{
	int neg = ns < 0;
	uint64_t a = neg ? (uint64_t)(-(ns + 1)) + 1 : (uint64_t)ns;
	if (!sign && a < 1000000)
		snprintf(buf, len, "%llu.%03llu us", (unsigned long long)(a / 1000), (unsigned long long)(a % 1000));
	else
		snprintf(buf, len, "%s%llu.%06llu ms", neg ? "-" : sign ? "+" : "", (unsigned long long)(a / 1000000),
			 (unsigned long long)(a % 1000000));
	return buf;
}

char *nt_clock_line(const struct nt_host_clock *c, char *buf, size_t len)
{
	char o[40], b[40];

	if (!strcmp(c->source, "reference"))
		snprintf(buf, len, "%s: reference clock%s%s (%lld paired connection%s)", c->host,
			 c->offset_ns ? " shifted " : "", c->offset_ns ? ms(c->offset_ns, 1, o, sizeof(o)) : "",
			 (long long)c->pairs, c->pairs == 1 ? "" : "s");
	else if (!strcmp(c->source, "estimated"))
		snprintf(buf, len, "%s: %s +- %s against %s (%lld paired connection%s, %lld edges)", c->host,
			 ms(c->offset_ns, 1, o, sizeof(o)), ms(c->bound_ns, 0, b, sizeof(b)), c->ref,
			 (long long)c->pairs, c->pairs == 1 ? "" : "s", (long long)c->edges);
	else if (!strcmp(c->source, "manual"))
		snprintf(buf, len, "%s: %s (manual, --clock-offset)", c->host, ms(c->offset_ns, 1, o, sizeof(o)));
	else if (!strcmp(c->source, "unaligned") && c->pairs)
		snprintf(buf, len, "%s: unaligned (%lld paired connection%s, but their edges bound the offset from one "
			 "side only, e.g. no close recorded: its own clock%s%s)", c->host, (long long)c->pairs,
			 c->pairs == 1 ? "" : "s", c->offset_ns ? "; shifted " : "",
			 c->offset_ns ? ms(c->offset_ns, 1, o, sizeof(o)) : "");
	else if (!strcmp(c->source, "unaligned"))
		snprintf(buf, len, "%s: unaligned (no connection shared with another host: its own clock, "
			 "not comparable with the others%s%s)", c->host, c->offset_ns ? "; shifted " : "",
			 c->offset_ns ? ms(c->offset_ns, 1, o, sizeof(o)) : "");
	else
		snprintf(buf, len, "%s: its own clock", c->host);
	return buf;
}
