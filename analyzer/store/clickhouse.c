/* clickhouse.c: the HTTP client of a nettape ClickHouse database: URL, libcurl requests, gzip bodies, server errors as one line with the fix. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/clickhouse.h"

int nt_chbuf_reserve(struct nt_chbuf *b, size_t more)
{
	if (b->n + more + 1 <= b->cap)
		return 0;
	size_t ncap = b->cap ? b->cap : 4096;
	while (ncap < b->n + more + 1)
		ncap *= 2;
	char *p = realloc(b->p, ncap);
	if (!p)
		return -1;
	b->p = p;
	b->cap = ncap;
	return 0;
}

int nt_chbuf_add(struct nt_chbuf *b, const void *p, size_t n)
{
	if (nt_chbuf_reserve(b, n))
		return -1;
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = 0;
	return 0;
}

void nt_chbuf_free(struct nt_chbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

int nt_ch_is_url(const char *s)
{
	return s && !strncmp(s, "clickhouse://", 13);
}

size_t nt_ch_tsv_unescape(char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\' || i + 1 == n) {
			s[o++] = s[i];
			continue;
		}
		char c = s[++i];
		switch (c) {
		case 't': s[o++] = '\t'; break;
		case 'n': s[o++] = '\n'; break;
		case 'r': s[o++] = '\r'; break;
		case 'b': s[o++] = '\b'; break;
		case 'f': s[o++] = '\f'; break;
		case '0': s[o++] = '\0'; break;
		case 'a': s[o++] = '\a'; break;
		case 'v': s[o++] = '\v'; break;
		default: s[o++] = c; /* \\ \' \" and anything else: the character itself */
		}
	}
	return o;
}

#ifndef NETTAPE_HAVE_CURL

int nt_ch_open(const char *url, enum nt_ch_mode mode, struct nt_ch **out, char *err)
{
	(void)url;
	(void)mode;
	*out = NULL;
	snprintf(err, NT_ERRLEN, "this nettape was built without libcurl, so it cannot talk to ClickHouse; "
		 "install libcurl4-openssl-dev and rebuild");
	return -1;
}
void nt_ch_close(struct nt_ch *ch) { (void)ch; }
const char *nt_ch_where(const struct nt_ch *ch) { (void)ch; return ""; }
const char *nt_ch_server_version(const struct nt_ch *ch) { (void)ch; return ""; }
const char *nt_ch_database(const struct nt_ch *ch) { (void)ch; return ""; }
void nt_ch_set_gzip(struct nt_ch *ch, int on) { (void)ch; (void)on; }
int nt_ch_query(struct nt_ch *ch, const char *sql, struct nt_chbuf *out, char *err)
{
	(void)ch; (void)sql; (void)out;
	snprintf(err, NT_ERRLEN, "built without libcurl");
	return -1;
}
int nt_ch_query_lines(struct nt_ch *ch, const char *sql, int (*fn)(void *ctx, char *line, size_t n), void *ctx,
		      char *err)
{
	(void)ch; (void)sql; (void)fn; (void)ctx;
	snprintf(err, NT_ERRLEN, "built without libcurl");
	return -1;
}
int nt_ch_insert(struct nt_ch *ch, const char *query, const char *data, size_t len, char *err)
{
	(void)ch; (void)query; (void)data; (void)len;
	snprintf(err, NT_ERRLEN, "built without libcurl");
	return -1;
}
void nt_ch_bytes_sent(const struct nt_ch *ch, uint64_t *wire, uint64_t *raw) { (void)ch; *wire = *raw = 0; }

#else

#include <curl/curl.h>
#include <zlib.h>

struct nt_ch {
	CURL *curl;
	char *base;       /* http://HOST:PORT/?database=DB */
	char *userpwd;    /* user:password or NULL */
	char where[300];  /* HOST:PORT/DB */
	char host[256];
	char db[128];
	char version[64];
	int gzip;
	uint64_t wire, raw;
	struct nt_chbuf z; /* compressed body */
};

/* curl_global_init is not thread-safe and must be paired: one reference per open connection. */
static int curl_refs;

/* Where a response body goes: all of it into resp, or (a 200 answer with a line sink) line by
 * line to fn, so that a large result is never held whole. */
struct body {
	CURL *curl;
	struct nt_chbuf resp, carry;
	int (*fn)(void *ctx, char *line, size_t n);
	void *ctx;
	int failed;  /* fn returned non-zero: its error stands */
};

static int lines(struct body *b, int last)
{
	char *p = b->carry.p, *end, *nl;

	if (!p)
		return 0; /* nothing came */
	end = p + b->carry.n;
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		*nl = 0;
		if (b->fn(b->ctx, p, (size_t)(nl - p)))
			return -1;
		p = nl + 1;
	}
	if (last && p < end) {
		if (b->fn(b->ctx, p, (size_t)(end - p)))
			return -1;
		p = end;
	}
	if (b->carry.n) {
		memmove(b->carry.p, p, (size_t)(end - p));
		b->carry.n = (size_t)(end - p);
	}
	return 0;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct body *b = ctx;
	size_t n = size * nmemb;
	long status = 0;

	if (b->fn)
		curl_easy_getinfo(b->curl, CURLINFO_RESPONSE_CODE, &status);
	if (!b->fn || status != 200)
		return nt_chbuf_add(&b->resp, p, n) ? 0 : n;
	if (nt_chbuf_add(&b->carry, p, n) || lines(b, 0)) {
		b->failed = 1;
		return 0;
	}
	return n;
}

/* The server's message without its "Code: N, e.displayText() = DB::Exception: " wrapping, one line. */
static void server_message(const char *body, char *msg, size_t len, int *code)
{
	const char *p = body, *e;

	*code = 0;
	if (!strncmp(p, "Code: ", 6))
		*code = atoi(p + 6);
	if ((e = strstr(p, "DB::Exception: ")))
		p = e + 15;
	size_t n = strcspn(p, "\n");
	if ((e = strstr(p, ", e.what() = ")) && (size_t)(e - p) < n)
		n = (size_t)(e - p);
	while (n && (p[n - 1] == '.' || p[n - 1] == ' '))
		n--;
	snprintf(msg, len, "%.*s", (int)(n > 300 ? 300 : n), p);
}

static int request(struct nt_ch *ch, const char *url, const char *body, size_t len, int gz, struct nt_chbuf *out,
		   int (*fn)(void *, char *, size_t), void *ctx, char *err)
{
	struct body b = { .curl = ch->curl, .fn = fn, .ctx = ctx };
	struct curl_slist *hdr = NULL;
	char ebuf[CURL_ERROR_SIZE] = "";
	long status = 0;
	int ret = -1;
	CURLcode rc;

	curl_easy_setopt(ch->curl, CURLOPT_URL, url);
	curl_easy_setopt(ch->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(ch->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(ch->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(ch->curl, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(ch->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(ch->curl, CURLOPT_WRITEDATA, &b);
	hdr = curl_slist_append(hdr, "Content-Type: text/plain; charset=UTF-8");
	hdr = curl_slist_append(hdr, "Expect:");
	if (gz)
		hdr = curl_slist_append(hdr, "Content-Encoding: gzip");
	curl_easy_setopt(ch->curl, CURLOPT_HTTPHEADER, hdr);
	rc = curl_easy_perform(ch->curl);
	curl_easy_setopt(ch->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	if (b.failed)
		goto out; /* the line sink's error, in err */
	if (rc != CURLE_OK) {
		snprintf(err, NT_ERRLEN, "cannot reach ClickHouse at %s: %s; is clickhouse-server running there "
			 "(HTTP interface, default port 8123)? check the URL clickhouse://HOST:PORT/DATABASE",
			 ch->where, ebuf[0] ? ebuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(ch->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		char msg[320];
		int code;

		server_message(b.resp.p ? b.resp.p : "", msg, sizeof(msg), &code);
		if (code == 81)
			snprintf(err, NT_ERRLEN, "database '%s' does not exist on %s; create it (clickhouse-client "
				 "--port TCP_PORT --query 'CREATE DATABASE %s') or fix the URL", ch->db, ch->host,
				 ch->db);
		else if (code == 192 || code == 193 || code == 516)
			snprintf(err, NT_ERRLEN, "ClickHouse at %s refused the user: %s; give "
				 "clickhouse://USER:PASSWORD@HOST:PORT/DATABASE", ch->where, msg);
		else if (!code)
			snprintf(err, NT_ERRLEN, "%s answered HTTP %ld, not like a ClickHouse server (%s); check the "
				 "port: ClickHouse's HTTP interface listens on 8123 by default", ch->where, status, msg);
		else
			snprintf(err, NT_ERRLEN, "ClickHouse at %s: %s (code %d)", ch->where, msg, code);
		goto out;
	}
	if (fn && lines(&b, 1))
		goto out;
	if (out && b.resp.n && nt_chbuf_add(out, b.resp.p, b.resp.n)) {
		snprintf(err, NT_ERRLEN, "out of memory reading the answer of %s", ch->where);
		goto out;
	}
	if (out && !out->p && nt_chbuf_reserve(out, 0) == 0)
		out->p[0] = 0;
	ret = 0;
out:
	nt_chbuf_free(&b.resp);
	nt_chbuf_free(&b.carry);
	return ret;
}

int nt_ch_query(struct nt_ch *ch, const char *sql, struct nt_chbuf *out, char *err)
{
	return request(ch, ch->base, sql, strlen(sql), 0, out, NULL, NULL, err);
}

int nt_ch_query_lines(struct nt_ch *ch, const char *sql, int (*fn)(void *ctx, char *line, size_t n), void *ctx,
		      char *err)
{
	return request(ch, ch->base, sql, strlen(sql), 0, NULL, fn, ctx, err);
}

static int gzip_body(struct nt_ch *ch, const char *data, size_t len)
{
	z_stream zs;
	int rc;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	ch->z.n = 0;
	if (nt_chbuf_reserve(&ch->z, deflateBound(&zs, (uLong)len))) {
		deflateEnd(&zs);
		return -1;
	}
	zs.next_in = (Bytef *)(uintptr_t)data;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)ch->z.p;
	zs.avail_out = (uInt)(ch->z.cap - 1);
	rc = deflate(&zs, Z_FINISH);
	ch->z.n = zs.total_out;
	deflateEnd(&zs);
	return rc == Z_STREAM_END ? 0 : -1;
}

int nt_ch_insert(struct nt_ch *ch, const char *query, const char *data, size_t len, char *err)
{
	char *q = curl_easy_escape(ch->curl, query, 0);
	struct nt_chbuf url = { 0 };
	int ret = -1, gz = ch->gzip && len > 4096 && len < (1u << 31);

	if (!q || nt_chbuf_add(&url, ch->base, strlen(ch->base)) || nt_chbuf_add(&url, "&query=", 7) ||
	    nt_chbuf_add(&url, q, strlen(q))) {
		snprintf(err, NT_ERRLEN, "out of memory");
		goto out;
	}
	if (gz && gzip_body(ch, data, len))
		gz = 0;
	ch->raw += len;
	ch->wire += gz ? ch->z.n : len;
	ret = request(ch, url.p, gz ? ch->z.p : data, gz ? ch->z.n : len, gz, NULL, NULL, NULL, err);
out:
	curl_free(q);
	nt_chbuf_free(&url);
	return ret;
}

void nt_ch_bytes_sent(const struct nt_ch *ch, uint64_t *wire, uint64_t *raw)
{
	*wire = ch->wire;
	*raw = ch->raw;
}

void nt_ch_set_gzip(struct nt_ch *ch, int on) { ch->gzip = on; }
const char *nt_ch_where(const struct nt_ch *ch) { return ch->where; }
const char *nt_ch_server_version(const struct nt_ch *ch) { return ch->version; }
const char *nt_ch_database(const struct nt_ch *ch) { return ch->db; }

static int valid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* clickhouse://[USER[:PASSWORD]@]HOST[:PORT][/DATABASE] */
static int parse_url(struct nt_ch *ch, const char *url, char *err)
{
	const char *p = url + 13, *at = strchr(p, '@'), *slash;
	char hostport[300];
	size_t n;

	if (at && (!strchr(p, '/') || at < strchr(p, '/'))) {
		ch->userpwd = strndup(p, (size_t)(at - p));
		if (!ch->userpwd)
			return -1;
		p = at + 1;
	}
	slash = strchr(p, '/');
	n = slash ? (size_t)(slash - p) : strlen(p);
	if (!n || n >= sizeof(hostport)) {
		snprintf(err, NT_ERRLEN, "bad URL '%s'; write clickhouse://HOST[:PORT][/DATABASE], e.g. "
			 "clickhouse://127.0.0.1:8123/nettape", url);
		return -1;
	}
	memcpy(hostport, p, n);
	hostport[n] = 0;
	if (hostport[0] == '[' ? !strstr(hostport, "]:") : !strchr(hostport, ':'))
		snprintf(ch->host, sizeof(ch->host), "%s:8123", hostport);
	else
		snprintf(ch->host, sizeof(ch->host), "%s", hostport);
	snprintf(ch->db, sizeof(ch->db), "%s", slash && slash[1] ? slash + 1 : "nettape");
	if (strchr(ch->db, '/'))
		*strchr(ch->db, '/') = 0;
	if (!valid_name(ch->db)) {
		snprintf(err, NT_ERRLEN, "bad database name '%s' in '%s'; use letters, digits and '_'", ch->db, url);
		return -1;
	}
	snprintf(ch->where, sizeof(ch->where), "%s/%s", ch->host, ch->db);
	n = strlen(ch->host) + strlen(ch->db) + 32;
	/* insert_distributed_sync: through a Distributed table an insert returns once the shards have
	 * the rows, so the next chunk's state read back sees them (a no-op for local tables). */
	n += 32;
	ch->base = malloc(n);
	if (!ch->base)
		return -1;
	snprintf(ch->base, n, "http://%s/?database=%s&insert_distributed_sync=1", ch->host, ch->db);
	return 0;
}

static int loopback(const char *host)
{
	return !strncmp(host, "127.", 4) || !strncmp(host, "localhost:", 10) || !strncmp(host, "[::1]:", 6);
}

int nt_ch_open(const char *url, enum nt_ch_mode mode, struct nt_ch **out, char *err)
{
	struct nt_ch *ch = calloc(1, sizeof(*ch));
	struct nt_chbuf v = { 0 };

	*out = NULL;
	if (!ch) {
		snprintf(err, NT_ERRLEN, "out of memory");
		return -1;
	}
	if (!curl_refs++ && curl_global_init(CURL_GLOBAL_DEFAULT)) {
		curl_refs--;
		free(ch);
		snprintf(err, NT_ERRLEN, "libcurl failed to initialise");
		return -1;
	}
	ch->curl = curl_easy_init();
	if (!ch->curl) {
		snprintf(err, NT_ERRLEN, "libcurl failed to initialise");
		goto fail;
	}
	err[0] = 0;
	if (parse_url(ch, url, err)) {
		if (!err[0])
			snprintf(err, NT_ERRLEN, "out of memory");
		goto fail;
	}
	ch->gzip = !loopback(ch->host);
	curl_easy_setopt(ch->curl, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(ch->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(ch->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	if (ch->userpwd) {
		curl_easy_setopt(ch->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(ch->curl, CURLOPT_USERPWD, ch->userpwd);
	}
	/* The version alone, against the default database, so that a missing
	 * database and an unreachable server get their own messages. */
	{
		char vurl[300];
		snprintf(vurl, sizeof(vurl), "http://%s/", ch->host);
		if (request(ch, vurl, "SELECT version()", 16, 0, &v, NULL, NULL, err))
			goto fail;
	}
	if (!v.p || !isdigit((unsigned char)v.p[0])) {
		snprintf(err, NT_ERRLEN, "%s does not answer like a ClickHouse server; check the port (ClickHouse's "
			 "HTTP interface listens on 8123 by default)", ch->host);
		goto fail;
	}
	snprintf(ch->version, sizeof(ch->version), "%.*s", (int)strcspn(v.p, "\r\n"), v.p);
	nt_chbuf_free(&v);
	if (nt_ch_schema_ensure(ch, mode, err))
		goto fail;
	*out = ch;
	return 0;
fail:
	nt_chbuf_free(&v);
	nt_ch_close(ch);
	return -1;
}

void nt_ch_close(struct nt_ch *ch)
{
	if (!ch)
		return;
	if (ch->curl)
		curl_easy_cleanup(ch->curl);
	free(ch->base);
	free(ch->userpwd);
	nt_chbuf_free(&ch->z);
	free(ch);
	if (!--curl_refs)
		curl_global_cleanup();
}

#endif
