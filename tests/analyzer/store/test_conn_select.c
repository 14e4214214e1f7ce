/* test_conn_select.c: unit tests of store/conn_select.c: which rows of a connections table a --conn selection picks (addresses as the import writes them, both orientations, cookies, the id limit), and a database without the table refused with a message. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/conn_select.h"
#include "store/store.h"
#include "check.h"

static struct nt_store *open_conns(void)
{
	struct nt_store *db = NULL;
	char err[NT_ERRLEN];

	REQUIRE(nt_store_open_memory(&db, err) == 0);
	/* rows of the store's own connections table, addresses as text as the import writes them */
	REQUIRE(nt_store_exec(db,
		"INSERT INTO hosts (host_id, hostname, boot_id) VALUES (1, 'alpha', 'b0');"
		"INSERT INTO connections (conn_id, host_id, cookie, netns, family, laddr, lport, raddr, rport) VALUES "
		"(1, 1, 101, 1, 2, '10.0.0.1', 5000, '10.0.0.2', 443),"
		"(2, 1, 102, 1, 2, '10.0.0.2', 443, '10.0.0.3', 5001),"
		"(3, 1, 103, 1, 10, '2001:db8::1', 6000, '2001:db8::2', 80),"
		"(4, 1, 104, 1, 2, '10.0.0.1', 5002, '10.0.0.9', 22),"
		"(5, 1, 0, 1, NULL, NULL, NULL, NULL, NULL);", /* a row without a tuple */
		"test rows", err) == 0);
	return db;
}

/* The matching conn_ids of sel, written as "1,2" into out. */
static int select_ids(struct nt_store *db, const char *sel, size_t maxids, char *out, size_t len, size_t *nmatch)
{
	struct conn_filter f;
	int64_t ids[8];
	char err[NT_ERRLEN];
	size_t off = 0;
	int rc;

	out[0] = '\0';
	if (conn_filter_parse(sel, &f))
		return -EINVAL;
	rc = nt_store_conns_matching(db, &f, ids, maxids, nmatch, err);
	for (size_t i = 0; !rc && i < *nmatch && i < maxids; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%lld", i ? "," : "", (long long)ids[i]);
	conn_filter_free(&f);
	return rc;
}

static void expect(struct nt_store *db, const char *sel, const char *want)
{
	char got[128];
	size_t n = 99;

	CHECK_MSG(select_ids(db, sel, 8, got, sizeof(got), &n) == 0 && !strcmp(got, want),
		  "--conn %s: got '%s', want '%s'", sel, got, want);
}

int main(void)
{
	struct nt_store *db = open_conns();
	struct conn_filter f;
	char got[128], err[NT_ERRLEN];
	size_t n = 0;

	expect(db, ":443", "1,2");
	expect(db, "10.0.0.2:443", "1,2");
	expect(db, "10.0.0.1", "1,4");
	expect(db, "10.0.0.3-10.0.0.2", "2");  /* one on each side, either order */
	expect(db, "10.0.0.1-10.0.0.3", "");
	expect(db, "[2001:db8::2]:80", "3");
	expect(db, "2001:db8::1", "3");
	expect(db, "cookie:104", "4");
	expect(db, "0x66", "2");                /* cookie 102 in hex */
	expect(db, "22", "4");                  /* port 22 (no cookie 22) */
	expect(db, "cookie:999", "");

	/* more matches than ids: the count is all of them, the ids the first */
	CHECK(select_ids(db, "10.0.0.0-10.0.0.0", 8, got, sizeof(got), &n) == 0 && n == 0);
	CHECK(select_ids(db, ":443", 1, got, sizeof(got), &n) == 0 && n == 2 && !strcmp(got, "1"));
	CHECK(conn_filter_parse(":443", &f) == 0);
	CHECK(nt_store_conns_matching(db, &f, NULL, 0, &n, err) == 0 && n == 2);
	CHECK(nt_store_conns_matching(db, &f, NULL, 0, NULL, err) == 0); /* nmatch may be NULL */
	/* matching learned the cookies of the rows, as reading a tape would */
	CHECK(conn_filter_has_cookie(&f, 101) && conn_filter_has_cookie(&f, 102) && !conn_filter_has_cookie(&f, 103));
	conn_filter_free(&f);

	/* a database without a connections table: -EIO and a message that names it */
	REQUIRE(nt_store_exec(db, "DROP TABLE connections", "drop", err) == 0);
	CHECK(conn_filter_parse(":443", &f) == 0);
	err[0] = '\0';
	CHECK(nt_store_conns_matching(db, &f, NULL, 0, &n, err) == -EIO);
	CHECK_MSG(strstr(err, "no such table: connections") != NULL, "'%s'", err);
	conn_filter_free(&f);
	nt_store_close(db);
	CHECK_DONE("test_conn_select");
}
