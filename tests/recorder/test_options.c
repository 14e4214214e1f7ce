/* test_options.c: unit tests of recorder/options.c: the defaults, every kind of option parsed, bad values refused with -EINVAL, chunk sizes resolved against the budget, --netns by inode and by name. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "check.h"
#include "log.h"
#include "options.h"
#include "trigger.h"

#define S 1000000000ULL

/* Parses the NULL-terminated arguments after "nettape-record"; getopt is
 * reset first (optind 0: glibc's full reinitialisation). */
static int parse(struct options *o, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)"nettape-record";
	va_start(ap, o);
	for (char *a; (a = va_arg(ap, char *)) && argc < 63;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	optind = 0;
	opterr = 0;
	return options_parse(argc, argv, o);
}

static void test_defaults(void)
{
	struct options o;

	CHECK_EQ(parse(&o, NULL), 0);
	CHECK(!strcmp(o.dir, DEFAULT_DIR));
	CHECK_EQ(o.duration_ns, 0);
	CHECK_EQ(o.max_disk, DEFAULT_MAX_DISK);
	CHECK_EQ(o.max_disk_set, 0);
	CHECK_EQ(o.chunk_size, 0); /* resolved later against the budget */
	CHECK_EQ(o.chunk_time_ns, 600 * S);
	CHECK_EQ(o.flush_ns, S);
	CHECK_EQ(o.zstd_level, 3);
	CHECK_EQ(o.snaplen, 128);
	CHECK_EQ(o.pin_share, 50);
	CHECK(o.pcap_filter == NULL);
	CHECK(!strcmp(o.noise, DEFAULT_NOISE));
	CHECK_EQ(o.cap.classes, CAPTURE_ALL_CLASSES);
	CHECK_EQ(o.cap.nports, 0);
	CHECK_EQ(o.trigger_kinds, TRIGGER_KIND_BIT(NT_TRIGGER_MANUAL) | TRIGGER_ALL_KINDS);
	CHECK(!strcmp(o.cmdline, "nettape-record"));
}

static void test_values(void)
{
	struct options o;

	CHECK_EQ(parse(&o, "-o", "/tmp/t", "-d", "30s", "--max-disk", "500M", "--chunk-size", "16M",
		       "--chunk-time", "2m", "--flush-interval", "250ms", "--zstd-level", "19", "--fsync",
		       "--port", "443", "--port", "8080", "--pid", "4242", "--events", "drop,retrans",
		       "--triggers", "rto,zero_window", "--snaplen", "256", "--pin-share", "20",
		       "--ring-size", "1M", "--pcap", "tcp port 443", "--pcap-pre", "5s", "--listen-interval", "0",
		       "--noise", "NOT_SPECIFIED", NULL), 0);
	CHECK(!strcmp(o.dir, "/tmp/t"));
	CHECK_EQ(o.duration_ns, 30 * S);
	CHECK_EQ(o.max_disk, 500ULL << 20);
	CHECK_EQ(o.max_disk_set, 1);
	CHECK_EQ(o.chunk_size, 16ULL << 20);
	CHECK_EQ(o.chunk_time_ns, 120 * S);
	CHECK_EQ(o.flush_ns, 250000000ULL);
	CHECK_EQ(o.zstd_level, 19);
	CHECK_EQ(o.fsync, 1);
	CHECK_EQ(o.cap.nports, 2);
	CHECK(o.cap.ports[0] == 443 && o.cap.ports[1] == 8080);
	CHECK(o.cap.npids == 1 && o.cap.pids[0] == 4242);
	/* the owner class is always recorded: attribution needs it */
	CHECK_EQ(o.cap.classes, (1u << NTB_DROP) | (1u << NTB_RETRANS) | (1u << NTB_OWNER));
	CHECK_EQ(o.trigger_kinds, TRIGGER_KIND_BIT(NT_TRIGGER_MANUAL) | TRIGGER_KIND_BIT(NT_TRIGGER_RTO) |
					  TRIGGER_KIND_BIT(NT_TRIGGER_ZERO_WINDOW));
	CHECK(!strcmp(o.triggers, "rto,zero_window"));
	CHECK_EQ(o.snaplen, 256);
	CHECK_EQ(o.pin_share, 20);
	CHECK_EQ(o.cap.ring_size, 1ULL << 20);
	CHECK(o.pcap_filter && !strcmp(o.pcap_filter, "tcp port 443"));
	CHECK_EQ(o.pcap_pre_ns, 5 * S);
	CHECK_EQ(o.listen_ns, 0);
	CHECK(!strcmp(o.noise, "NOT_SPECIFIED"));
	CHECK(!strncmp(o.cmdline, "nettape-record -o /tmp/t -d 30s --max-disk 500M", 47));

	CHECK_EQ(parse(&o, "--triggers", "none", NULL), 0);
	CHECK_EQ(o.trigger_kinds, TRIGGER_KIND_BIT(NT_TRIGGER_MANUAL)); /* manual fires stay */
	CHECK_EQ(parse(&o, "--events", "all", "--max-disk", "0", NULL), 0);
	CHECK_EQ(o.cap.classes, CAPTURE_ALL_CLASSES);
	CHECK_EQ(o.max_disk, 0);
}

static void test_bad(void)
{
	struct options o;
	char many[NTB_MAX_PORTS + 2][8];
	char *argv[2 * (NTB_MAX_PORTS + 2) + 2];
	int argc = 0, i;

	CHECK_EQ(parse(&o, "--port", "0", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--port", "65536", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--port", "https", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--zstd-level", "0", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--zstd-level", "20", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "-d", "0", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "-d", "5 minutes", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--max-disk", "1T?", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--chunk-size", "63K", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--chunk-time", "500ms", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--flush-interval", "5ms", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--flush-interval", "2h", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--ring-size", "3M", NULL), -EINVAL); /* not a power of two */
	CHECK_EQ(parse(&o, "--ring-size", "32K", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--events", "drop,bogus", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--triggers", "rto,sometimes", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--snaplen", "63", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--pin-share", "0", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--pin-share", "101", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--pin-pre", "0", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--pcap-buffer", "1K", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--listen-interval", "50ms", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--rtt-spike", "1", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--sample-interval", "1ms", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--pid", "0", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "--bogus", NULL), -EINVAL);
	CHECK_EQ(parse(&o, "/var/lib/nettape", NULL), -EINVAL); /* a stray argument, not -o */

	/* one --port more than the kernel's filter list holds */
	argv[argc++] = (char *)"nettape-record";
	for (i = 0; i < NTB_MAX_PORTS + 1; i++) {
		snprintf(many[i], sizeof(many[i]), "%d", 1000 + i);
		argv[argc++] = (char *)"--port";
		argv[argc++] = many[i];
	}
	argv[argc] = NULL;
	optind = 0;
	CHECK_EQ(options_parse(argc, argv, &o), -EINVAL);
	optind = 0;
	CHECK_EQ(options_parse(argc - 2, argv, &o), 0);
	CHECK_EQ(o.cap.nports, NTB_MAX_PORTS);
}

static void test_sizes(void)
{
	struct options o;

	/* the default chunk is 64M, at most an eighth of the budget, at least 64K */
	CHECK_EQ(parse(&o, NULL), 0);
	CHECK_EQ(options_resolve_sizes(&o), 0);
	CHECK_EQ(o.chunk_size, DEFAULT_CHUNK_SIZE);
	CHECK_EQ(parse(&o, "--max-disk", "100M", NULL), 0);
	CHECK_EQ(options_resolve_sizes(&o), 0);
	CHECK_EQ(o.chunk_size, (100ULL << 20) / 8);
	CHECK_EQ(parse(&o, "--max-disk", "0", NULL), 0);
	CHECK_EQ(options_resolve_sizes(&o), 0);
	CHECK_EQ(o.chunk_size, DEFAULT_CHUNK_SIZE);
	/* a budget that cannot hold three chunks and their slack is refused */
	CHECK_EQ(parse(&o, "--max-disk", "512K", NULL), 0); /* 64K chunks: 3 x 272K */
	CHECK_EQ(options_resolve_sizes(&o), -EINVAL);
	CHECK_EQ(parse(&o, "--max-disk", "100M", "--chunk-size", "64M", NULL), 0);
	CHECK_EQ(options_resolve_sizes(&o), -EINVAL);
	CHECK_EQ(o.chunk_size, 64ULL << 20); /* a given size is kept */

	CHECK_EQ(options_frame_size(64 << 10), 16 << 10);
	CHECK_EQ(options_frame_size(1ULL << 20), 64 << 10);
	CHECK_EQ(options_frame_size(1ULL << 30), 256 << 10);
	CHECK_EQ(options_chunk_reserve(1ULL << 20), (1ULL << 20) + 5 * (64 << 10) + (128 << 10));
}

static void test_filters(void)
{
	struct options o;

	CHECK_EQ(parse(&o, "--netns", "4026531840", "--netns", "/proc/self/ns/net", NULL), 0);
	CHECK_EQ(options_resolve_filters(&o), 0);
	CHECK_EQ(o.cap.netns[0], 4026531840u);
	CHECK(o.cap.netns[1] != 0); /* the inode of this process's namespace */
	CHECK_EQ(parse(&o, "--netns", "nettape-test-no-such-netns", NULL), 0);
	CHECK_EQ(options_resolve_filters(&o), -EINVAL);
	CHECK_EQ(parse(&o, "--cgroup", "/nettape-test/no/such/cgroup", NULL), 0);
	CHECK_EQ(options_resolve_filters(&o), -EINVAL);
}

int main(void)
{
	log_verbosity = LOG_LVL_ERROR; /* the refusals' one-line errors still show */
	test_defaults();
	test_values();
	test_bad();
	test_sizes();
	test_filters();
	CHECK_DONE("test_options");
}
