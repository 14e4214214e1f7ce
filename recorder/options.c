/* options.c: nettape-record's command line: --help, parsing, and the checks that turn names and sizes into what the kernel and the writer need. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "decode.h"
#include "log.h"
#include "names.h"
#include "options.h"
#include "trigger.h"
#include "util.h"

void options_usage(FILE *f)
{
	fprintf(f,
"Usage: nettape-record [OPTIONS]\n"
"Records the TCP stack of this host (drops, retransmits, congestion, connection\n"
"lifecycle, windows and RTT, resets, stalls, buffer pressure) into a tape\n"
"directory of compressed chunk files, until stopped. Analyse with `nettape`.\n"
"\n"
"Output and rotation:\n"
"  -o, --output DIR            tape directory (default " DEFAULT_DIR ")\n"
"  -d, --duration DUR          stop after DUR (default: run until SIGINT/SIGTERM)\n"
"      --max-disk SIZE         hard budget for DIR, oldest unpinned chunks deleted\n"
"                              first (default 1G; 0 = no limit)\n"
"      --chunk-size SIZE       start a new chunk after SIZE (default 64M, at most\n"
"                              max-disk/8)\n"
"      --chunk-time DUR        start a new chunk after DUR (default 10m)\n"
"      --flush-interval DUR    write buffered events at least this often (default 1s)\n"
"      --zstd-level N          compression level 1-19 (default 3)\n"
"      --fsync                 fdatasync every frame (default: at chunk close)\n"
"Filters (applied in the kernel; repeat an option to allow several values):\n"
"      --port PORT             local or remote TCP port\n"
"      --netns NAME|PATH|INODE network namespace (/run/netns name, ns file, inode)\n"
"      --cgroup PATH           processes in this cgroup v2 subtree own the socket\n"
"      --pid PID               this process owns the socket\n"
"Events:\n"
"      --events LIST           classes to record (default all):\n"
"                              drop,retrans,cong,state,sample,reset,stall,buffer\n"
"      --noise LIST            drop reasons not recorded, or \"none\" (default\n"
"                              " DEFAULT_NOISE ")\n"
"      --sample-interval DUR   periodic window/RTT sample per connection (default 1s)\n"
"      --rtt-spike N           RTT spike: srtt >= N x the connection's typical srtt\n"
"                              (updated each sample interval outside spikes)\n"
"                              and >= typical + 5ms (default 4)\n"
"      --stall-threshold DUR   unread data older than DUR is a read stall\n"
"                              (default 200ms; 0 = off)\n"
"      --response-threshold DUR  server read-to-reply time above DUR (default 500ms;\n"
"                              0 = off)\n"
"      --ring-size SIZE        kernel ring buffer (default 8M)\n"
"      --listen-interval DUR   sample busy accept queues this often (default 5s;\n"
"                              0 = only at chunk start)\n"
"Triggers and flight-recorder retention:\n"
"      --triggers LIST         zero_window,drop_burst,rto,rtt_spike,listen_overflow,\n"
"                              all (default) or none; each fire pins the chunks\n"
"                              around it against rotation and starts snippets\n"
"      --trigger-cooldown DUR  one fire per connection and episode (default 60s)\n"
"      --pin-pre DUR, --pin-post DUR  pinned window around a fire (default 60s each)\n"
"      --pin-share PCT         pins hold at most PCT%% of --max-disk; the oldest\n"
"                              give way first, a lone pin too large is cut back\n"
"                              (default 50)\n"
"Packet snippets (tcpdump filters, a kernel ring; kept only around fires):\n"
"      --pcap FILTER           capture TCP headers matching FILTER (tcpdump syntax;\n"
"                              \"tcp\" for all); the in-memory ring keeps the last\n"
"                              --pcap-buffer bytes, nothing is written without a fire\n"
"      --pcap-iface IFACE      interface (default any)\n"
"      --pcap-netns NAME       capture in that network namespace (default ours)\n"
"      --snaplen N             bytes per packet (default 128)\n"
"      --pcap-pre DUR, --pcap-post DUR  packets kept before/after a fire (default 10s)\n"
"      --pcap-buffer SIZE      memory bound of the pre-trigger ring (default 16M)\n"
"Running:\n"
"      --status-interval DUR   status line period on stderr (default 10s; 0 = off)\n"
"  -v, --verbose               debug output (libbpf included)\n"
"  -q, --quiet                 warnings and errors only\n"
"  -h, --help                  this help\n"
"  -V, --version               version\n"
"\n"
"Sizes take K, M, G (powers of 1024); durations s, m, h, d, ms (plain = seconds).\n"
"Signals: SIGINT/SIGTERM stop cleanly, SIGHUP starts a new chunk, SIGUSR1 prints\n"
"the status line, SIGUSR2 fires a manual trigger (all connections). Exit status: 0 ok, 1 runtime failure, 2 usage error.\n"
"\n"
"Examples:\n"
"  nettape-record                                 record everything to " DEFAULT_DIR "\n"
"  nettape-record -o /tmp/tape -d 60s             one minute into /tmp/tape\n"
"  nettape-record --port 443 --max-disk 10G       only HTTPS, keep up to 10 GiB\n"
"  nettape-record --netns blue --events drop,retrans,state\n"
"  nettape report /var/lib/nettape                analyse what was recorded\n");
}

int options_fail_usage(const char *fmt, const char *arg)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg);
	log_error("%s (see --help)", msg);
	return -EINVAL;
}

enum {
	OPT_MAX_DISK = 256, OPT_CHUNK_SIZE, OPT_CHUNK_TIME, OPT_FLUSH, OPT_ZSTD, OPT_FSYNC,
	OPT_PORT, OPT_NETNS, OPT_CGROUP, OPT_PID, OPT_EVENTS, OPT_NOISE, OPT_SAMPLE,
	OPT_SPIKE, OPT_STALL, OPT_RESPONSE, OPT_RING, OPT_STATUS, OPT_LISTEN,
	OPT_TRIGGERS, OPT_COOLDOWN, OPT_PIN_PRE, OPT_PIN_POST, OPT_PIN_SHARE, OPT_PCAP,
	OPT_PCAP_IFACE, OPT_PCAP_NETNS, OPT_SNAPLEN, OPT_PCAP_PRE, OPT_PCAP_POST, OPT_PCAP_BUFFER,
};

static const struct option long_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "duration", required_argument, NULL, 'd' },
	{ "max-disk", required_argument, NULL, OPT_MAX_DISK },
	{ "chunk-size", required_argument, NULL, OPT_CHUNK_SIZE },
	{ "chunk-time", required_argument, NULL, OPT_CHUNK_TIME },
	{ "flush-interval", required_argument, NULL, OPT_FLUSH },
	{ "zstd-level", required_argument, NULL, OPT_ZSTD },
	{ "fsync", no_argument, NULL, OPT_FSYNC },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "events", required_argument, NULL, OPT_EVENTS },
	{ "noise", required_argument, NULL, OPT_NOISE },
	{ "sample-interval", required_argument, NULL, OPT_SAMPLE },
	{ "rtt-spike", required_argument, NULL, OPT_SPIKE },
	{ "stall-threshold", required_argument, NULL, OPT_STALL },
	{ "response-threshold", required_argument, NULL, OPT_RESPONSE },
	{ "ring-size", required_argument, NULL, OPT_RING },
	{ "status-interval", required_argument, NULL, OPT_STATUS },
	{ "listen-interval", required_argument, NULL, OPT_LISTEN },
	{ "triggers", required_argument, NULL, OPT_TRIGGERS },
	{ "trigger-cooldown", required_argument, NULL, OPT_COOLDOWN },
	{ "pin-pre", required_argument, NULL, OPT_PIN_PRE },
	{ "pin-post", required_argument, NULL, OPT_PIN_POST },
	{ "pin-share", required_argument, NULL, OPT_PIN_SHARE },
	{ "pcap", required_argument, NULL, OPT_PCAP },
	{ "pcap-iface", required_argument, NULL, OPT_PCAP_IFACE },
	{ "pcap-netns", required_argument, NULL, OPT_PCAP_NETNS },
	{ "snaplen", required_argument, NULL, OPT_SNAPLEN },
	{ "pcap-pre", required_argument, NULL, OPT_PCAP_PRE },
	{ "pcap-post", required_argument, NULL, OPT_PCAP_POST },
	{ "pcap-buffer", required_argument, NULL, OPT_PCAP_BUFFER },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int parse_events(const char *list, unsigned *classes)
{
	char buf[256], *save = NULL, *tok;
	unsigned m = 1u << NTB_OWNER;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint32_t cls;

		if (!strcmp(tok, "all")) {
			m = CAPTURE_ALL_CLASSES;
			continue;
		}
		for (cls = 0; cls < NTB_OWNER; cls++)
			if (!strcmp(tok, decode_class_name(cls)))
				break;
		if (cls == NTB_OWNER)
			return options_fail_usage("unknown event class '%s' (drop, retrans, cong, state, "
					  "sample, reset, stall, buffer)", tok);
		m |= 1u << cls;
	}
	*classes = m;
	return 0;
}

static int parse_triggers(const char *list, unsigned *kinds)
{
	char buf[256], *save = NULL, *tok;
	unsigned m = TRIGGER_KIND_BIT(NT_TRIGGER_MANUAL);
	uint16_t k;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "all")) {
			m |= TRIGGER_ALL_KINDS;
			continue;
		}
		if (!strcmp(tok, "none"))
			continue;
		for (k = NT_TRIGGER_ZERO_WINDOW; k <= NT_TRIGGER_LISTEN_OVERFLOW; k++)
			if (!strcmp(tok, trigger_kind_name(k)))
				break;
		if (k > NT_TRIGGER_LISTEN_OVERFLOW)
			return options_fail_usage("unknown trigger '%s' (zero_window, drop_burst, rto, "
					  "rtt_spike, listen_overflow, all, none)", tok);
		m |= TRIGGER_KIND_BIT(k);
	}
	*kinds = m;
	return 0;
}

int options_parse(int argc, char **argv, struct options *o)
{
	uint64_t v;
	size_t off = 0;
	int i, c;

	memset(o, 0, sizeof(*o));
	o->dir = DEFAULT_DIR;
	o->max_disk = DEFAULT_MAX_DISK;
	o->chunk_time_ns = 600ULL * 1000000000ULL;
	o->flush_ns = 1000000000ULL;
	o->status_ns = 10ULL * 1000000000ULL;
	o->listen_ns = 5ULL * 1000000000ULL;
	o->trigger_kinds = TRIGGER_KIND_BIT(NT_TRIGGER_MANUAL) | TRIGGER_ALL_KINDS;
	o->triggers = "all";
	o->cooldown_ns = 60ULL * 1000000000ULL;
	o->pin_pre_ns = o->pin_post_ns = 60ULL * 1000000000ULL;
	o->pin_share = 50;
	o->snaplen = 128;
	o->pcap_pre_ns = o->pcap_post_ns = 10ULL * 1000000000ULL;
	o->pcap_buffer = 16ULL << 20;
	o->zstd_level = 3;
	o->noise = DEFAULT_NOISE;
	o->cap.classes = CAPTURE_ALL_CLASSES;
	o->cap.ring_size = 8ULL << 20;
	o->cap.sample_period_ns = 1000000000ULL;
	o->cap.stall_ns = 200000000ULL;
	o->cap.response_ns = 500000000ULL;
	o->cap.rtt_spike_mult = 4;
	o->cap.rtt_spike_min_us = 5000;

	for (i = 0; i < argc && off < sizeof(o->cmdline) - 1; i++)
		off += (size_t)snprintf(o->cmdline + off, sizeof(o->cmdline) - off, "%s%s",
					i ? " " : "", argv[i]);

	while ((c = getopt_long(argc, argv, "o:d:vqhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->dir = optarg;
			break;
		case 'd':
			if (parse_duration(optarg, &o->duration_ns) || !o->duration_ns)
				return options_fail_usage("bad --duration '%s' (e.g. 30s, 5m, 2h)", optarg);
			break;
		case OPT_MAX_DISK:
			if (parse_size(optarg, &o->max_disk))
				return options_fail_usage("bad --max-disk '%s' (e.g. 500M, 10G, 0)", optarg);
			o->max_disk_set = 1;
			break;
		case OPT_CHUNK_SIZE:
			if (parse_size(optarg, &o->chunk_size) || o->chunk_size < (64 << 10))
				return options_fail_usage("bad --chunk-size '%s' (at least 64K, e.g. 16M)", optarg);
			break;
		case OPT_CHUNK_TIME:
			if (parse_duration(optarg, &o->chunk_time_ns) || o->chunk_time_ns < 1000000000ULL)
				return options_fail_usage("bad --chunk-time '%s' (at least 1s, e.g. 10m)", optarg);
			break;
		case OPT_FLUSH:
			if (parse_duration(optarg, &o->flush_ns) || o->flush_ns < 10000000ULL ||
			    o->flush_ns > 3600ULL * 1000000000ULL)
				return options_fail_usage("bad --flush-interval '%s' (10ms to 1h)", optarg);
			break;
		case OPT_ZSTD:
			if (parse_u64(optarg, 1, 19, &v))
				return options_fail_usage("bad --zstd-level '%s' (1-19)", optarg);
			o->zstd_level = (int)v;
			break;
		case OPT_FSYNC:
			o->fsync = 1;
			break;
		case OPT_PORT:
			if (parse_u64(optarg, 1, 65535, &v))
				return options_fail_usage("bad --port '%s' (1-65535)", optarg);
			if (o->cap.nports == NTB_MAX_PORTS)
				return options_fail_usage("too many --port (at most %s)", "16");
			o->cap.ports[o->cap.nports++] = (uint16_t)v;
			break;
		case OPT_NETNS:
			if (o->cap.nnetns == NTB_MAX_NETNS)
				return options_fail_usage("too many --netns (at most %s)", "8");
			o->netns_args[o->cap.nnetns++] = optarg;
			break;
		case OPT_CGROUP:
			if (o->cap.ncgroups == NTB_MAX_CGROUPS)
				return options_fail_usage("too many --cgroup (at most %s)", "4");
			o->cgroup_args[o->cap.ncgroups++] = optarg;
			break;
		case OPT_PID:
			if (parse_u64(optarg, 1, 0x7fffffff, &v))
				return options_fail_usage("bad --pid '%s'", optarg);
			if (o->cap.npids == NTB_MAX_PIDS)
				return options_fail_usage("too many --pid (at most %s)", "8");
			o->cap.pids[o->cap.npids++] = (uint32_t)v;
			break;
		case OPT_EVENTS:
			if (parse_events(optarg, &o->cap.classes))
				return -EINVAL;
			break;
		case OPT_NOISE:
			o->noise = optarg;
			break;
		case OPT_SAMPLE:
			if (parse_duration(optarg, &o->cap.sample_period_ns) ||
			    o->cap.sample_period_ns < 10000000ULL)
				return options_fail_usage("bad --sample-interval '%s' (at least 10ms)", optarg);
			break;
		case OPT_SPIKE:
			if (parse_u64(optarg, 2, 1000, &v))
				return options_fail_usage("bad --rtt-spike '%s' (2-1000)", optarg);
			o->cap.rtt_spike_mult = (uint32_t)v;
			break;
		case OPT_STALL:
			if (parse_duration(optarg, &o->cap.stall_ns))
				return options_fail_usage("bad --stall-threshold '%s' (e.g. 200ms, 0)", optarg);
			break;
		case OPT_RESPONSE:
			if (parse_duration(optarg, &o->cap.response_ns))
				return options_fail_usage("bad --response-threshold '%s' (e.g. 500ms, 0)", optarg);
			break;
		case OPT_RING:
			if (parse_size(optarg, &o->cap.ring_size) || o->cap.ring_size < (64 << 10) ||
			    o->cap.ring_size > (1ULL << 30) || (o->cap.ring_size & (o->cap.ring_size - 1)))
				return options_fail_usage("bad --ring-size '%s' (a power of two, 64K-1G)", optarg);
			break;
		case OPT_LISTEN:
			if (parse_duration(optarg, &o->listen_ns) ||
			    (o->listen_ns && o->listen_ns < 100000000ULL))
				return options_fail_usage("bad --listen-interval '%s' (at least 100ms, or 0)", optarg);
			break;
		case OPT_TRIGGERS:
			if (parse_triggers(optarg, &o->trigger_kinds))
				return -EINVAL;
			o->triggers = optarg;
			break;
		case OPT_COOLDOWN:
			if (parse_duration(optarg, &o->cooldown_ns) || !o->cooldown_ns)
				return options_fail_usage("bad --trigger-cooldown '%s' (e.g. 60s)", optarg);
			break;
		case OPT_PIN_PRE:
		case OPT_PIN_POST:
			if (parse_duration(optarg, c == OPT_PIN_PRE ? &o->pin_pre_ns : &o->pin_post_ns) ||
			    !(c == OPT_PIN_PRE ? o->pin_pre_ns : o->pin_post_ns))
				return options_fail_usage("bad --pin-pre/--pin-post '%s' (e.g. 60s)", optarg);
			break;
		case OPT_PIN_SHARE:
			if (parse_u64(optarg, 1, 100, &v))
				return options_fail_usage("bad --pin-share '%s' (1-100)", optarg);
			o->pin_share = (uint32_t)v;
			break;
		case OPT_PCAP:
			o->pcap_filter = optarg;
			break;
		case OPT_PCAP_IFACE:
			o->pcap_iface = optarg;
			break;
		case OPT_PCAP_NETNS:
			o->pcap_netns = optarg;
			break;
		case OPT_SNAPLEN:
			if (parse_u64(optarg, 64, 65535, &v))
				return options_fail_usage("bad --snaplen '%s' (64-65535)", optarg);
			o->snaplen = (uint32_t)v;
			break;
		case OPT_PCAP_PRE:
		case OPT_PCAP_POST:
			if (parse_duration(optarg, c == OPT_PCAP_PRE ? &o->pcap_pre_ns : &o->pcap_post_ns) ||
			    !(c == OPT_PCAP_PRE ? o->pcap_pre_ns : o->pcap_post_ns))
				return options_fail_usage("bad --pcap-pre/--pcap-post '%s' (e.g. 10s)", optarg);
			break;
		case OPT_PCAP_BUFFER:
			if (parse_size(optarg, &o->pcap_buffer) || o->pcap_buffer < (64 << 10) ||
			    o->pcap_buffer > (16ULL << 30))
				return options_fail_usage("bad --pcap-buffer '%s' (64K-16G)", optarg);
			break;
		case OPT_STATUS:
			if (parse_duration(optarg, &o->status_ns))
				return options_fail_usage("bad --status-interval '%s' (e.g. 10s, 0)", optarg);
			break;
		case 'v':
			log_verbosity = LOG_LVL_DEBUG;
			o->cap.bpf_debug = 1;
			break;
		case 'q':
			log_verbosity = LOG_LVL_WARN;
			break;
		case 'h':
			options_usage(stdout);
			exit(0);
		case 'V':
			printf("nettape-record %s (tape format %d.%d)\n", NETTAPE_VERSION,
			       TAPE_FORMAT_MAJOR, TAPE_FORMAT_MINOR);
			exit(0);
		default:
			log_error("see --help");
			return -EINVAL;
		}
	}
	if (optind < argc)
		return options_fail_usage("unexpected argument '%s'", argv[optind]);
	return 0;
}

/* Frame size, the writer's worst case for one chunk, and checks the budget
 * against it. */
uint32_t options_frame_size(uint64_t chunk_size)
{
	uint64_t f = chunk_size / 16;

	if (f > (256 << 10))
		f = 256 << 10;
	if (f < (16 << 10))
		f = 16 << 10;
	return (uint32_t)f;
}

uint64_t options_chunk_reserve(uint64_t chunk_size)
{
	/* Rotation happens after the frame that crosses chunk_size; up to the
	 * 4 pending frames may follow it, then index and trailer. */
	return chunk_size + 5ULL * options_frame_size(chunk_size) + (128 << 10);
}

int options_resolve_sizes(struct options *o)
{
	char a[32], b[32];

	if (!o->chunk_size) {
		o->chunk_size = DEFAULT_CHUNK_SIZE;
		if (o->max_disk && o->chunk_size > o->max_disk / 8)
			o->chunk_size = o->max_disk / 8;
		if (o->chunk_size < (64 << 10))
			o->chunk_size = 64 << 10;
	}
	if (o->max_disk && o->max_disk < 3 * options_chunk_reserve(o->chunk_size)) {
		log_error("--max-disk %s is too small for chunks of %s: it must hold three chunks "
			  "and their slack (at least %s; see --help)",
			  fmt_size(a, sizeof(a), o->max_disk), fmt_size(b, sizeof(b), o->chunk_size),
			  fmt_size((char[32]){ 0 }, 32, 3 * options_chunk_reserve(o->chunk_size)));
		return -EINVAL;
	}
	return 0;
}

/* --netns and --cgroup take names and paths; the kernel wants ids. */
int options_resolve_filters(struct options *o)
{
	struct stat st;
	char path[4096];
	uint32_t i;

	for (i = 0; i < o->cap.nnetns; i++) {
		const char *a = o->netns_args[i];
		uint64_t v;

		if (!parse_u64(a, 1, UINT32_MAX, &v)) {
			o->cap.netns[i] = (uint32_t)v;
			continue;
		}
		snprintf(path, sizeof(path), "%s%s", strchr(a, '/') ? "" : "/run/netns/", a);
		if (stat(path, &st))
			return options_fail_usage("--netns: cannot find network namespace '%s'", a);
		o->cap.netns[i] = (uint32_t)st.st_ino;
	}
	for (i = 0; i < o->cap.ncgroups; i++) {
		const char *a = o->cgroup_args[i];
		char root[4096] = "";
		const char *p;
		FILE *f = fopen("/proc/self/mountinfo", "re");
		char line[4096];
		uint32_t level = 0;

		while (f && fgets(line, sizeof(line), f)) {
			char *sep = strstr(line, " - ");
			char fstype[64];

			if (sep && sscanf(sep, " - %63s", fstype) == 1 && !strcmp(fstype, "cgroup2") &&
			    sscanf(line, "%*s %*s %*s %*s %4095s", root) == 1)
				break;
			root[0] = '\0';
		}
		if (f)
			fclose(f);
		if (!root[0])
			return options_fail_usage("--cgroup '%s': no cgroup2 hierarchy is mounted", a);
		if (!strncmp(a, root, strlen(root)))
			a += strlen(root);
		if (snprintf(path, sizeof(path), "%s/%s", root, a[0] == '/' ? a + 1 : a) >=
		    (int)sizeof(path))
			return options_fail_usage("--cgroup '%s': path too long", a);
		if (stat(path, &st) || !S_ISDIR(st.st_mode))
			return options_fail_usage("--cgroup: no cgroup '%s' under the cgroup2 mount", o->cgroup_args[i]);
		for (p = a; *p; p++)
			if (*p == '/' && p[1] && p[1] != '/')
				level++;
		if (a[0] && a[0] != '/')
			level++;
		o->cap.cgroups[i] = st.st_ino;
		o->cap.cgroup_levels[i] = level;
	}
	return 0;
}
