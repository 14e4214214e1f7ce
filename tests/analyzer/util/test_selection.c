/* test_selection.c: unit tests of util/selection.c, the one --conn grammar and the --from/--to window: every form parsed, bad text refused, matching in both orientations, learning, alternatives, formatting back. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/errlen.h"
#include "util/selection.h"
#include "check.h"

#define S 1000000000LL

/* The grammar and matching (moved here from the bundle's unit test). */
static void test_conn(void)
{
	char buf[64];
	struct conn_filter f;
	CHECK(conn_filter_parse("12345", &f) == 0 && f.alt[0].by_cookie && f.alt[0].cookie == 12345 &&
	      f.alt[0].nep == 1 && f.alt[0].ep[0].port == 12345); /* cookie or port */
	CHECK(conn_filter_parse("70000", &f) == 0 && f.alt[0].by_cookie && !f.alt[0].nep);
	CHECK(conn_filter_parse("0x3039", &f) == 0 && f.alt[0].by_cookie && f.alt[0].cookie == 12345 && !f.alt[0].nep);
	CHECK(conn_filter_parse("cookie:7", &f) == 0 && f.alt[0].cookie == 7);
	CHECK(conn_filter_parse("010", &f) == 0 && f.alt[0].cookie == 10);
	CHECK(conn_filter_parse("0", &f) == -EINVAL);
	CHECK(conn_filter_parse("12x", &f) == -EINVAL);
	CHECK(conn_filter_parse("0x", &f) == -EINVAL);
	CHECK(conn_filter_parse(":443", &f) == 0 && !f.alt[0].by_cookie && f.alt[0].ep[0].has_port && !f.alt[0].ep[0].family);
	CHECK(conn_filter_parse("198.18.0.2", &f) == 0 && f.alt[0].ep[0].family == 2 && !f.alt[0].ep[0].has_port);
	CHECK(conn_filter_parse("[2001:db8::1]:443", &f) == 0 && f.alt[0].ep[0].family == 10 && f.alt[0].ep[0].port == 443);
	CHECK(conn_filter_parse("2001:db8::1", &f) == 0 && f.alt[0].ep[0].family == 10);
	CHECK(conn_filter_parse("10.0.0.1:1-10.0.0.2:2", &f) == 0 && f.alt[0].nep == 2);
	CHECK(conn_filter_parse("1.2.3", &f) == -EINVAL);
	CHECK(conn_filter_parse("1.2.3.4:0", &f) == -EINVAL);
	CHECK(conn_filter_parse("1.2.3.4:70000", &f) == -EINVAL);
	CHECK(conn_filter_parse("[::1", &f) == -EINVAL);
	CHECK(conn_filter_parse("a-b-c", &f) == -EINVAL);
	CHECK(conn_filter_parse("", &f) == -EINVAL);

	/* matching, both orientations, v4-mapped, learning cookies */
	CHECK(conn_filter_parse("198.18.0.2:443", &f) == 0);
	struct nt_conn c;
	memset(&c, 0, sizeof(c));
	c.cookie = 99;
	c.family = 10;
	inet_pton(AF_INET6, "::ffff:198.18.0.2", c.saddr);
	inet_pton(AF_INET6, "::ffff:198.18.0.1", c.daddr);
	c.sport = 443;
	c.dport = 5000;
	CHECK(conn_filter_match_conn(&f, &c) == 1);
	CHECK(conn_filter_has_cookie(&f, 99));
	struct nt_packet pi;
	memset(&pi, 0, sizeof(pi));
	CHECK(conn_filter_match_packet(&f, 99, &pi) == 1);
	CHECK(conn_filter_match_packet(&f, 98, &pi) == 0);
	pi.family = 2;
	pi.has_ports = 1;
	inet_pton(AF_INET, "198.18.0.1", pi.saddr);
	inet_pton(AF_INET, "198.18.0.2", pi.daddr);
	pi.sport = 5000;
	pi.dport = 443;
	CHECK(conn_filter_match_packet(&f, 0, &pi) == 1);
	pi.dport = 444;
	CHECK(conn_filter_match_packet(&f, 0, &pi) == 0);
	conn_filter_format(&f, NULL, NULL, buf, sizeof(buf));
	CHECK(!strcmp(buf, "198.18.0.2:443"));
	conn_filter_free(&f);
	/* a cookie filter learns the tuple and matches cookie-less packets either way */
	CHECK(conn_filter_parse("99", &f) == 0);
	CHECK(conn_filter_match_conn(&f, &c) == 1 && f.alt[0].have_tuple);
	pi.dport = 443;
	CHECK(conn_filter_match_packet(&f, 0, &pi) == 1);
	conn_filter_free(&f);
	/* alternatives are ORed: a port, or an address pair */
	CHECK(conn_filter_parse(":444", &f) == 0 && conn_filter_add(&f, "198.18.0.1-198.18.0.2") == 0 && f.nalt == 2);
	pi.dport = 443;
	CHECK(conn_filter_match_packet(&f, 0, &pi) == 1);
	inet_pton(AF_INET, "198.18.0.3", pi.saddr);
	CHECK(conn_filter_match_packet(&f, 0, &pi) == 0);
	pi.sport = 444;
	CHECK(conn_filter_match_packet(&f, 0, &pi) == 1);
	conn_filter_format(&f, NULL, NULL, buf, sizeof(buf));
	CHECK(!strcmp(buf, ":444,198.18.0.1-198.18.0.2"));
	CHECK(conn_filter_add(&f, "bad") == -EINVAL);
	conn_filter_free(&f);
}

/* Every form must be refused alone, and must not leave a half-parsed alternative behind. */
static void test_conn_bad(void)
{
	static const char *const bad[] = {
		"", "0", "-1", "12x", "0x", "0xg", "cookie:", "cookie:0", "cookie:x", ":", ":0", ":65536", ":http",
		"1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:70000", "[::1", "[::1]x",
		"[1.2.3.4]:80", "a-b-c", "-", "1.2.3.4-", "-1.2.3.4", "1.2.3.4--5.6.7.8", "example.com", " 443",
	};
	struct conn_filter f;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(conn_filter_parse(bad[i], &f) == -EINVAL, "'%s' accepted", bad[i]);

	/* a bad alternative leaves the filter as it was */
	CHECK(conn_filter_parse(":443", &f) == 0);
	CHECK(conn_filter_add(&f, "1.2.3") == -EINVAL);
	CHECK_EQ(f.nalt, 1);
	conn_filter_free(&f);

	/* at most NT_CONN_MAX_ALT alternatives */
	memset(&f, 0, sizeof(f));
	for (int i = 0; i < NT_CONN_MAX_ALT; i++) {
		char port[8];

		snprintf(port, sizeof(port), ":%d", 1000 + i);
		CHECK(conn_filter_add(&f, port) == 0);
	}
	CHECK_EQ(f.nalt, NT_CONN_MAX_ALT);
	CHECK(conn_filter_add(&f, ":80") == -E2BIG);
	CHECK_EQ(f.nalt, NT_CONN_MAX_ALT);
	conn_filter_free(&f);
}

static void set_conn(struct nt_conn *c, uint64_t cookie, const char *sa, uint16_t sp, const char *da, uint16_t dp)
{
	memset(c, 0, sizeof(*c));
	c->cookie = cookie;
	c->proto = 6;
	c->family = strchr(sa, ':') ? 10 : 2;
	inet_pton(c->family == 10 ? AF_INET6 : AF_INET, sa, c->saddr);
	inet_pton(c->family == 10 ? AF_INET6 : AF_INET, da, c->daddr);
	c->sport = sp;
	c->dport = dp;
}

static void test_conn_match(void)
{
	struct conn_filter f;
	struct nt_conn c;
	char buf[128];

	/* an inactive (zeroed) filter matches everything */
	memset(&f, 0, sizeof(f));
	set_conn(&c, 5, "10.0.0.1", 1000, "10.0.0.2", 80);
	CHECK(conn_filter_match_conn(&f, &c) == 1);
	CHECK(conn_filter_has_cookie(&f, 12345));

	/* A-B needs one endpoint on each side, in either orientation */
	CHECK(conn_filter_parse("10.0.0.1-10.0.0.2:80", &f) == 0);
	CHECK(conn_filter_match_conn(&f, &c) == 1);
	set_conn(&c, 6, "10.0.0.2", 80, "10.0.0.1", 1000);
	CHECK(conn_filter_match_conn(&f, &c) == 1);
	set_conn(&c, 7, "10.0.0.2", 81, "10.0.0.1", 1000);
	CHECK(conn_filter_match_conn(&f, &c) == 0);
	set_conn(&c, 8, "10.0.0.1", 80, "10.0.0.3", 1000); /* both ends must be there */
	CHECK(conn_filter_match_conn(&f, &c) == 0);
	/* matching learned the cookies of the matching connections only */
	CHECK(conn_filter_has_cookie(&f, 5) && conn_filter_has_cookie(&f, 6));
	CHECK(!conn_filter_has_cookie(&f, 7) && !conn_filter_has_cookie(&f, 8));
	conn_filter_free(&f);
	CHECK(!conn_filter_has_cookie(&f, 5)); /* freed: learned nothing, inactive again */

	/* an address alone: either side; IPv6 differs from IPv4 */
	CHECK(conn_filter_parse("2001:db8::1", &f) == 0);
	set_conn(&c, 9, "2001:db8::2", 443, "2001:db8::1", 5000);
	CHECK(conn_filter_match_conn(&f, &c) == 1);
	set_conn(&c, 10, "10.0.0.1", 443, "10.0.0.2", 5000);
	CHECK(conn_filter_match_conn(&f, &c) == 0);
	conn_filter_free(&f);

	/* a port alone is either side's; a bare number is that port or that cookie */
	CHECK(conn_filter_parse("443", &f) == 0);
	set_conn(&c, 1, "10.0.0.1", 5000, "10.0.0.2", 443);
	CHECK(conn_filter_match_conn(&f, &c) == 1);
	set_conn(&c, 443, "10.0.0.1", 5000, "10.0.0.2", 80);
	CHECK(conn_filter_match_conn(&f, &c) == 1);
	set_conn(&c, 2, "10.0.0.1", 5000, "10.0.0.2", 80);
	CHECK(conn_filter_match_conn(&f, &c) == 0);
	conn_filter_free(&f);

	/* written back as given, each form */
	CHECK(conn_filter_parse("cookie:7", &f) == 0 && conn_filter_add(&f, "[2001:db8::1]:443") == 0 &&
	      conn_filter_add(&f, "10.0.0.1-:80") == 0);
	conn_filter_format(&f, NULL, NULL, buf, sizeof(buf));
	CHECK_MSG(strstr(buf, "2001:db8::1") && strstr(buf, "443") && strstr(buf, "10.0.0.1") && strchr(buf, ','),
		  "formatted '%s'", buf);
	conn_filter_free(&f);
}

static void test_window(void)
{
	const int64_t first = 1795312800LL * S, last = first + 600 * S; /* 2026-11-22T02:00:00Z + 10 min */
	int64_t from = 0, to = 0;
	char err[NT_ERRLEN];

	CHECK(nt_select_window("02:01", "-1m", first, last, &from, &to, err) == 0);
	CHECK_EQ(from, first + 60 * S);
	CHECK_EQ(to, last - 60 * S);
	/* either side may be unset: it stays as it was */
	from = to = 42;
	CHECK(nt_select_window(NULL, "+30s", first, last, &from, &to, err) == 0);
	CHECK(from == 42 && to == first + 30 * S);
	CHECK(nt_select_window("+30s", NULL, first, last, &from, &to, err) == 0 && from == first + 30 * S);
	/* refused, with the option named in the message */
	CHECK(nt_select_window("-1m", "+1m", first, last, &from, &to, err) == -1);
	CHECK_MSG(strstr(err, "--from is after --to") != NULL, "'%s'", err);
	CHECK(nt_select_window("soon", NULL, first, last, &from, &to, err) == -1);
	CHECK_MSG(!strncmp(err, "--from: ", 8), "'%s'", err);
	CHECK(nt_select_window(NULL, "2026-13-01", first, last, &from, &to, err) == -1);
	CHECK_MSG(!strncmp(err, "--to: ", 6), "'%s'", err);
}

int main(void)
{
	test_conn();
	test_conn_bad();
	test_conn_match();
	test_window();
	CHECK_DONE("test_selection");
}
