/* cmd_report.c: placeholder for 'nettape report' until it is implemented. */
#include <stdio.h>

#include "commands.h"

int cmd_report(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "nettape %s: not implemented yet\n", argv[0]);
	return 1;
}
