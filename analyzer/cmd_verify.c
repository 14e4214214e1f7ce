/* cmd_verify.c: placeholder for 'nettape verify' until it is implemented. */
#include <stdio.h>

#include "commands.h"

int cmd_verify(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "nettape %s: not implemented yet\n", argv[0]);
	return 1;
}
