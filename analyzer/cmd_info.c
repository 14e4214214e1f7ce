/* cmd_info.c: placeholder for 'nettape info' until it is implemented. */
#include <stdio.h>

#include "commands.h"

int cmd_info(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "nettape %s: not implemented yet\n", argv[0]);
	return 1;
}
