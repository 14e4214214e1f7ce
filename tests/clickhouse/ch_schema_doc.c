/* ch_schema_doc.c: prints the ClickHouse schema as docs/CLICKHOUSE.md shows it (--markdown) or as DDL (--ddl), from store/ch_schema.c's one definition. */
#include <stdio.h>
#include <string.h>

#include "store/clickhouse.h"

int main(int argc, char **argv)
{
	struct nt_chbuf b = { 0 };
	char err[NT_ERRLEN];
	int rc;

	if (argc != 2 || (strcmp(argv[1], "--markdown") && strcmp(argv[1], "--ddl"))) {
		fprintf(stderr, "usage: ch_schema_doc --markdown|--ddl\n");
		return 2;
	}
	rc = !strcmp(argv[1], "--ddl") ? nt_ch_schema_ddl(&b, err) : nt_ch_schema_markdown(&b, err);
	if (rc) {
		fprintf(stderr, "ch_schema_doc: %s\n", err);
		return 1;
	}
	fwrite(b.p, 1, b.n, stdout);
	nt_chbuf_free(&b);
	nt_ch_schema_free();
	return 0;
}
