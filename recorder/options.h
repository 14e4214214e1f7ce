/* options.h: nettape-record's options: defaults, the parsed command line, parsing and resolving (options.c). */
#ifndef NETTAPE_RECORDER_OPTIONS_H
#define NETTAPE_RECORDER_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

#include "capture.h"
#include "names.h"

#define DEFAULT_DIR "/var/lib/nettape"
#define DEFAULT_MAX_DISK (1ULL << 30)
#define DEFAULT_CHUNK_SIZE (64ULL << 20)
#define DEFAULT_NOISE NT_DROP_NOISE_DEFAULT /* one list with the triggers (format/names.h) */

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

struct options {
	const char *dir;
	uint64_t duration_ns;
	uint64_t max_disk;
	int max_disk_set;
	uint64_t chunk_size;
	uint64_t chunk_time_ns;
	uint64_t flush_ns;
	uint64_t status_ns;
	uint64_t listen_ns;
	int zstd_level;
	int fsync;
	const char *events;
	const char *noise;
	const char *netns_args[NTB_MAX_NETNS];
	const char *cgroup_args[NTB_MAX_CGROUPS];
	struct capture_opts cap;
	/* Triggers, pins, packet snippets (issue 5). */
	unsigned trigger_kinds;       /* TRIGGER_KIND_BIT mask */
	const char *triggers;
	uint64_t cooldown_ns;
	uint64_t pin_pre_ns, pin_post_ns;
	uint32_t pin_share;
	const char *pcap_filter;      /* NULL = no snippets */
	const char *pcap_iface;
	const char *pcap_netns;
	uint32_t snaplen;
	uint64_t pcap_pre_ns, pcap_post_ns;
	uint64_t pcap_buffer;
	char cmdline[1024];
};

/* --help text. */
void options_usage(FILE *f);
/* Prints "nettape-record: <fmt with arg>" and the --help hint; returns -EINVAL. */
int options_fail_usage(const char *fmt, const char *arg);
/* Parses argv into o (defaults first). 0, or -EINVAL after a one-line error. */
int options_parse(int argc, char **argv, struct options *o);
/* Chunk size from the budget when not given; refuses a budget below three chunks. */
int options_resolve_sizes(struct options *o);
/* --netns and --cgroup names and paths into the ids the kernel filters on. */
int options_resolve_filters(struct options *o);
/* The writer's frame size for a chunk size, and a chunk's worst case on disk. */
uint32_t options_frame_size(uint64_t chunk_size);
uint64_t options_chunk_reserve(uint64_t chunk_size);

#endif
