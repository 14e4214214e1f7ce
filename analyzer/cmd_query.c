/* cmd_query.c: placeholder for 'nettape query' until it is implemented. */
#include <stdio.h>

#include "commands.h"

int cmd_query(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "nettape %s: not implemented yet\n", argv[0]);
	return 1;
}
