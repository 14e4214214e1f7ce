/* test_names_pins.c: chunk file names, the name tables and the DIR/pins parser and writer of format/ (names.h, pins.h). */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "names.h"
#include "pins.h"
#include "records.h"
#include "test_util.h"

static void test_chunk_names(void)
{
	char buf[TAPE_CHUNK_NAME_MAX + 64];
	uint64_t seq = 0;
	int partial = -1;

	CHECK(tape_chunk_name_parse("chunk-00000012.ntc", &seq, &partial) == 1 && seq == 12 && partial == 0);
	CHECK(tape_chunk_name_parse("/var/lib/nettape/chunk-7.ntc.partial", &seq, &partial) == 1 && seq == 7 &&
	      partial == 1);
	CHECK(tape_chunk_name_parse("chunk-1234567890123456789.ntc", &seq, NULL) == 1 && seq == 1234567890123456789ull);
	/* what the budget's old sscanf accepted and the reader did not: refused by both now */
	CHECK(tape_chunk_name_parse("chunk-12.ntcX", &seq, NULL) == 0);
	CHECK(tape_chunk_name_parse("chunk- 12.ntc", &seq, NULL) == 0);
	CHECK(tape_chunk_name_parse("chunk-+12.ntc", &seq, NULL) == 0);
	CHECK(tape_chunk_name_parse("chunk-.ntc", &seq, NULL) == 0);
	CHECK(tape_chunk_name_parse("chunk-12345678901234567890.ntc", &seq, NULL) == 0);
	CHECK(tape_chunk_name_parse("chunk-1.ntc/x", &seq, NULL) == 0);
	CHECK(tape_chunk_name_parse("pins", &seq, NULL) == 0);
	CHECK_EQ(tape_chunk_name_format(buf, sizeof(buf), NULL, 12, 0), 18);
	CHECK(!strcmp(buf, "chunk-00000012.ntc"));
	CHECK(tape_chunk_name_format(buf, sizeof(buf), "/t", 123456789, 1) > 0 &&
	      !strcmp(buf, "/t/chunk-123456789.ntc.partial"));
	CHECK_EQ(tape_chunk_name_format(buf, 10, "/t", 1, 0), -ENAMETOOLONG);
	CHECK(buf[0] == '\0');
}

static void test_tables(void)
{
	CHECK(!strcmp(nt_trigger_kind_name(NT_TRIGGER_LISTEN_OVERFLOW), "listen_overflow"));
	CHECK(nt_trigger_kind_name(nt_trigger_kind_count()) == NULL);
	CHECK_EQ(nt_trigger_kind_from_name("RTO"), NT_TRIGGER_RTO);
	CHECK_EQ(nt_trigger_kind_from_name("nope"), -1);
	CHECK(!strcmp(nt_record_kind_name(NT_REC_RETRANS, 2), "synack"));
	CHECK(!strcmp(nt_record_kind_name(NT_REC_SAMPLE, NT_SAMPLE_RCV_ZERO_START), "rcv_zero_start"));
	CHECK(!strcmp(nt_record_kind_name(NT_REC_PIN, NT_TRIGGER_RTO), "rto"));
	CHECK(nt_record_kind_name(NT_REC_SAMPLE, 99) == NULL);
	CHECK(nt_record_kind_name(NT_REC_DROP, 0) == NULL);
	CHECK_EQ(nt_drop_class_of("SKB_DROP_REASON_TCP_OLD_DATA"), NT_DROP_CLASS_DUPLICATE);
	CHECK_EQ(nt_drop_class_of("TCP_RFC7323_PAWS"), NT_DROP_CLASS_DUPLICATE);
	CHECK_EQ(nt_drop_class_of("TCP_RFC7323_PAWS_ACK"), NT_DROP_CLASS_DUPLICATE);
	CHECK_EQ(nt_drop_class_of("TCP_RFC7323_PAWS_X"), NT_DROP_CLASS_LOSS);
	CHECK_EQ(nt_drop_class_of("tcp_listen_overflow"), NT_DROP_CLASS_LISTEN);
	CHECK_EQ(nt_drop_class_of("NO_SOCKET"), NT_DROP_CLASS_TEARDOWN);
	CHECK_EQ(nt_drop_class_of("TCP_FLAGS"), NT_DROP_CLASS_TEARDOWN);
	CHECK_EQ(nt_drop_class_of("NETFILTER_DROP"), NT_DROP_CLASS_LOSS);
	CHECK_EQ(nt_drop_class_of(NULL), NT_DROP_CLASS_LOSS);
	CHECK(!strcmp(nt_drop_reason_short("SKB_DROP_REASON_QDISC_DROP"), "QDISC_DROP"));
	/* every name of the default noise list is of class noise, and the other way round */
	{
		char list[] = NT_DROP_NOISE_DEFAULT;
		int n = 0;

		for (char *t = strtok(list, ","); t; t = strtok(NULL, ","), n++)
			CHECK_EQ(nt_drop_class_of(t), NT_DROP_CLASS_NOISE);
		CHECK_EQ(n, 5);
	}
}

static int collect(void *ctx, const struct tape_pin_line *p)
{
	struct tape_pin_line *v = ctx;
	size_t i = 0;

	while (v[i].id)
		i++;
	if (i >= 7)
		return -E2BIG;
	v[i] = *p;
	return 0;
}

static void test_pins(void)
{
	struct tape_pin_line p, in[2], out[8];
	char dir[256], path[300], line[TAPE_PINS_LINE_MAX];
	unsigned bad = 0, lines = 0;
	struct stat st;
	FILE *f;

	CHECK_EQ(tape_pins_parse_line("# comment\n", &p), 0);
	CHECK_EQ(tape_pins_parse_line("\n", &p), 0);
	CHECK_EQ(tape_pins_parse_line("pin 3 1 123 4 9 4294967297 zero window on a:1 <-> b:2\n", &p), 1);
	CHECK(p.id == 3 && p.kind == 1 && p.ts == 123 && p.seq_from == 4 && p.seq_to == 9 &&
	      p.cookie == 4294967297ull && !strcmp(p.desc, "zero window on a:1 <-> b:2"));
	CHECK_EQ(tape_pins_parse_line("pin 1 0 5 1 2 0\n", &p), 1);
	CHECK(p.desc[0] == '\0');
	CHECK_EQ(tape_pins_parse_line("pin 1 0 5 9 2 0 backwards\n", &p), -EINVAL);
	CHECK_EQ(tape_pins_parse_line("pin 1 70000 5 1 2 0 kind\n", &p), -EINVAL);
	CHECK_EQ(tape_pins_parse_line("pin 1 0 5 1 200002 0 span\n", &p), -EINVAL);
	CHECK_EQ(tape_pins_parse_line("pin 18446744073709551616 0 5 1 2 0 overflow\n", &p), -EINVAL);
	CHECK_EQ(tape_pins_parse_line("pin -1 0 5 1 2 0 sign\n", &p), -EINVAL);
	CHECK_EQ(tape_pins_parse_line("pins 1 0 5 1 2 0\n", &p), -EINVAL);

	memset(in, 0, sizeof(in));
	in[0] = (struct tape_pin_line){ .id = 1, .kind = 2, .ts = 77, .seq_from = 3, .seq_to = 5, .cookie = 9 };
	strcpy(in[0].desc, "drop burst\twith a tab");
	in[1] = (struct tape_pin_line){ .id = 2, .kind = 0, .ts = 78, .seq_from = 5, .seq_to = 5 };
	CHECK(tape_pins_format_line(line, sizeof(line), &in[0]) > 0 &&
	      !strcmp(line, "pin 1 2 77 3 5 9 drop burst with a tab\n"));
	CHECK_EQ(tape_pins_format_line(line, 10, &in[0]), -ENAMETOOLONG);

	tu_tmpdir(dir, sizeof(dir), "pins");
	CHECK_EQ(tape_pins_read(dir, collect, out, NULL, NULL), -ENOENT);
	CHECK_EQ(tape_pins_write(dir, in, 2), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, TAPE_PINS_FILE);
	CHECK(!stat(path, &st) && (st.st_mode & 0777) == 0640);
	/* damage is skipped and counted, the good lines still read */
	f = fopen(path, "a");
	REQUIRE(f);
	fputs("garbage line\n", f);
	for (int i = 0; i < 1500; i++)
		fputc('x', f);
	fputs("\npin 7 3 1 1 1 0 after the long line\n", f);
	fclose(f);
	memset(out, 0, sizeof(out));
	CHECK_EQ(tape_pins_read(dir, collect, out, &bad, &lines), 0);
	CHECK_EQ(bad, 2);
	CHECK_EQ(lines, 6); /* header, 2 pins, garbage, the long line (once), the last pin */
	CHECK(out[0].id == 1 && out[0].seq_to == 5 && !strcmp(out[0].desc, "drop burst with a tab"));
	CHECK(out[1].id == 2 && out[1].desc[0] == '\0');
	CHECK(out[2].id == 7 && !strcmp(out[2].desc, "after the long line"));
	CHECK(out[3].id == 0);
	/* an empty list leaves a valid file with only the header */
	CHECK_EQ(tape_pins_write(dir, NULL, 0), 0);
	memset(out, 0, sizeof(out));
	CHECK_EQ(tape_pins_read(dir, collect, out, &bad, &lines), 0);
	CHECK(bad == 0 && lines == 1 && out[0].id == 0);
	tu_rmtree(dir);
}

int main(void)
{
	test_chunk_names();
	test_tables();
	test_pins();
	return tu_done("test_names_pins");
}
