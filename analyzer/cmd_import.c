/* cmd_import.c: placeholder for 'nettape import' until it is implemented. */
#include <stdio.h>

#include "commands.h"

int cmd_import(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "nettape %s: not implemented yet\n", argv[0]);
	return 1;
}
