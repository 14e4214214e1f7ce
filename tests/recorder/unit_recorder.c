/* unit_recorder.c: unit tests of the recorder's pure helpers (size/duration parsing, u64set, container ids, decode). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "kmeta.h"
#include "records.h"
#include "tape.h"
#include "util.h"
#include "check.h"


static void test_sizes(void)
{
	uint64_t v;

	CHECK(!parse_size("64M", &v) && v == 64ULL << 20);
	CHECK(!parse_size("1G", &v) && v == 1ULL << 30);
	CHECK(!parse_size("512k", &v) && v == 512ULL << 10);
	CHECK(!parse_size("10GiB", &v) && v == 10ULL << 30);
	CHECK(!parse_size("4096", &v) && v == 4096);
	CHECK(!parse_size("0", &v) && v == 0);
	CHECK(parse_size("", &v));
	CHECK(parse_size("-1M", &v));
	CHECK(parse_size("12Q", &v));
	CHECK(parse_size("99999999999999999999", &v));
	CHECK(parse_size("20000000000G", &v));
}

static void test_durations(void)
{
	uint64_t v;

	CHECK(!parse_duration("10s", &v) && v == 10000000000ULL);
	CHECK(!parse_duration("5m", &v) && v == 300000000000ULL);
	CHECK(!parse_duration("2h", &v) && v == 7200000000000ULL);
	CHECK(!parse_duration("250ms", &v) && v == 250000000ULL);
	CHECK(!parse_duration("3", &v) && v == 3000000000ULL);
	CHECK(!parse_duration("1d", &v) && v == 86400000000000ULL);
	CHECK(parse_duration("1x", &v));
	CHECK(parse_duration("s", &v));
	CHECK(parse_duration("-5s", &v));
}

static void test_set(void)
{
	struct u64set s = { 0 };
	uint64_t i;

	for (i = 0; i < 10000; i++)
		CHECK(u64set_add(&s, i * 7919) == 1);
	CHECK(u64set_add(&s, 0) == 0);  /* 0 was added as 0 * 7919 */
	for (i = 0; i < 10000; i++)
		CHECK(u64set_has(&s, i * 7919));
	for (i = 0; i < 10000; i += 2)
		u64set_del(&s, i * 7919);
	for (i = 0; i < 10000; i++)
		CHECK(u64set_has(&s, i * 7919) == (int)(i & 1));
	CHECK(!u64set_has(&s, 5));
	u64set_free(&s);
}

static void test_containers(void)
{
	const char *id = "4f1c2e3d4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0";
	char path[512], out[80];

	snprintf(path, sizeof(path), "/system.slice/docker-%s.scope", id);
	kmeta_container_id(path, out, sizeof(out));
	CHECK(!strcmp(out, id));
	snprintf(path, sizeof(path), "/docker/%s", id);
	kmeta_container_id(path, out, sizeof(out));
	CHECK(!strcmp(out, id));
	snprintf(path, sizeof(path),
		 "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234_5678.slice/"
		 "cri-containerd-%s.scope", id);
	kmeta_container_id(path, out, sizeof(out));
	CHECK(!strcmp(out, id));
	snprintf(path, sizeof(path), "/kubepods/besteffort/pod0c1d/%s", id);
	kmeta_container_id(path, out, sizeof(out));
	CHECK(!strcmp(out, id));
	snprintf(path, sizeof(path), "/machine.slice/libpod-%s.scope/container", id);
	kmeta_container_id(path, out, sizeof(out));
	CHECK(!strcmp(out, id));
	kmeta_container_id("/user.slice/user-1000.slice/session-2.scope", out, sizeof(out));
	CHECK(out[0] == '\0');
	kmeta_container_id("/", out, sizeof(out));
	CHECK(out[0] == '\0');
	/* 65 hex characters is not a container id */
	snprintf(path, sizeof(path), "/x/%sa", id);
	kmeta_container_id(path, out, sizeof(out));
	CHECK(out[0] == '\0');
}

/* The kernel's "%pS" text of a drop location (capture__symbolize). */
static void test_symbols(void)
{
	uint64_t a = 0xffffffff81a2b3c4ULL, start = 0;
	char name[16];

	CHECK(!kmeta_parse_symbol("tcp_v4_rcv+0x1c4/0xf80", a, &start, name, sizeof(name)));
	CHECK(start == 0xffffffff81a2b200ULL && !strcmp(name, "tcp_v4_rcv"));
	CHECK(!kmeta_parse_symbol("nft_do_chain+0x3c/0x600 [nf_tables]", a, &start, name,
				  sizeof(name)));
	CHECK(start == a - 0x3c && !strcmp(name, "nft_do_chain"));
	CHECK(!kmeta_parse_symbol("tcp_rcv_established.cold+0x0/0x20", a, &start, name,
				  sizeof(name)));
	CHECK(start == a && !strcmp(name, "tcp_rcv_establi"));   /* truncated to 15 */
	CHECK(kmeta_parse_symbol("0xffffffff81a2b3c4", a, &start, name, sizeof(name)));
	CHECK(kmeta_parse_symbol("", a, &start, name, sizeof(name)));
	CHECK(kmeta_parse_symbol("+0x10/0x20", a, &start, name, sizeof(name)));
	CHECK(kmeta_parse_symbol("f+0x/0x20", a, &start, name, sizeof(name)));
	CHECK(kmeta_parse_symbol("f+0x10", a, &start, name, sizeof(name)));
	CHECK(kmeta_parse_symbol("f+0x10/0x20", 0x8, &start, name, sizeof(name)));
}

static int sym_calls;

/* A symbolizer that knows one function at 0xffffffff81000100. */
static int fake_symbolize(void *ctx, uint64_t addr, char *text, size_t len)
{
	(void)ctx;
	sym_calls++;
	if (addr >= 0xffffffff81000100ULL && addr < 0xffffffff81000500ULL)
		snprintf(text, len, "tcp_v4_rcv+0x%llx/0x400",
			 (unsigned long long)(addr - 0xffffffff81000100ULL));
	else
		snprintf(text, len, "0x%llx", (unsigned long long)addr);
	return 0;
}

static int no_symbolize(void *ctx, uint64_t addr, char *text, size_t len)
{
	(void)ctx;
	(void)addr;
	(void)text;
	(void)len;
	sym_calls++;
	return -EOPNOTSUPP;
}

/* The address of a text symbol in /proc/kallsyms, 0 when hidden or absent. */
static uint64_t kallsyms_addr(const char *want)
{
	char line[512], name[256], type;
	unsigned long long a;
	uint64_t found = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	while (f && !found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &a, &type, name) == 3 && !strcmp(name, want))
			found = a;
	if (f)
		fclose(f);
	return found;
}

/* kmeta names drop locations through the symbolizer, once per location,
 * one record per symbol; a symbolizer that cannot sends it to kallsyms. */
static void test_note_symbol(void)
{
	struct tape_meta *m = tape_meta__new();
	struct kmeta *k = m ? kmeta__new(m, NULL) : NULL;
	const char *name;
	uint64_t off = 0, a;

	if (!k) {
		printf("unit_recorder: no kernel BTF, kmeta symbol test skipped\n");
		tape_meta__free(m);
		return;
	}
	kmeta__set_symbolizer(k, fake_symbolize, NULL);
	CHECK(kmeta__have_symbols(k));
	kmeta__note_symbol(k, 0xffffffff81000123ULL, 1);
	kmeta__note_symbol(k, 0xffffffff81000123ULL, 2);
	kmeta__note_symbol(k, 0xffffffff81000140ULL, 3);
	kmeta__note_symbol(k, 0xffffffff90000000ULL, 4);
	kmeta__note_symbol(k, 0xffffffff90000000ULL, 5);
	CHECK(sym_calls == 3);
	CHECK(tape_meta__count(m, NT_REC_SYMBOL) == 1);
	name = tape_meta__symbol(m, 0xffffffff81000140ULL, &off);
	CHECK(name && !strcmp(name, "tcp_v4_rcv") && off == 0x40);
	kmeta__free(k);
	tape_meta__free(m);

	/* fallback: only where /proc/kallsyms shows addresses (root) */
	a = kallsyms_addr("tcp_v4_rcv");
	if (!a)
		return;
	m = tape_meta__new();
	k = m ? kmeta__new(m, NULL) : NULL;
	CHECK(k != NULL);
	if (!k) {
		tape_meta__free(m);
		return;
	}
	sym_calls = 0;
	kmeta__set_symbolizer(k, no_symbolize, NULL);
	kmeta__note_symbol(k, a + 1, 1);
	kmeta__note_symbol(k, a + 2, 2);
	CHECK(sym_calls == 1);
	name = tape_meta__symbol(m, a + 2, &off);
	CHECK(name && !strcmp(name, "tcp_v4_rcv") && off == 2);
	kmeta__free(k);
	tape_meta__free(m);
}

static void test_decode(void)
{
	struct ntb_retrans in;
	unsigned char out[DECODE_MAX];
	const struct nt_ev_retrans *r = (const void *)out;
	uint16_t type;
	uint64_t ts;
	int n;

	memset(&in, 0, sizeof(in));
	in.h.ts = 123;
	in.h.type = NTB_RETRANS;
	in.c.cookie = 77;
	in.c.sport = 80;
	in.c.family = 2;
	in.ca_state = 4;
	in.kind = NTB_RETRANS_SYN;
	n = decode_event(&in, sizeof(in), &type, &ts, out);
	CHECK(n == (int)sizeof(struct nt_ev_retrans));
	CHECK(type == NT_REC_RETRANS && ts == 123);
	CHECK(r->c.cookie == 77 && r->c.sport == 80 && r->ca_state == 4 && r->kind == NT_RETRANS_SYN);
	CHECK(decode_event(&in, sizeof(in) - 1, &type, &ts, out) < 0);  /* short */
	in.h.type = NTB_NCLASS;
	CHECK(decode_event(&in, sizeof(in), &type, &ts, out) < 0);      /* unknown */
	CHECK(decode_rec_type(NTB_DROP) == NT_REC_DROP);
	CHECK(decode_rec_type(NTB_OWNER) == 0);
}

int main(void)
{
	test_sizes();
	test_durations();
	test_set();
	test_containers();
	test_symbols();
	test_note_symbol();
	test_decode();
	if (check_failures) {
		fprintf(stderr, "unit_recorder: %d failure(s)\n", check_failures);
		return 1;
	}
	printf("unit_recorder: ok\n");
	return 0;
}
