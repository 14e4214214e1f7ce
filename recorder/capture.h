/* capture.h: the kernel side of the recorder: load and attach bpf/nettape.bpf.c, drain its ring buffer into the tape. */
#ifndef NETTAPE_RECORDER_CAPTURE_H
#define NETTAPE_RECORDER_CAPTURE_H

/*
 * Lifecycle: capture__open (checks, configures .rodata, loads, attaches),
 * capture__set_output (writer + metadata), then capture__consume /
 * capture__set_idle / capture__loss_poll from the main loop, capture__free at the end.
 * Nothing here prints except through log.h; errors come back as a
 * negative errno with a one-line explanation in the caller's buffer.
 */

#include <stddef.h>
#include <stdint.h>

#include "nettape.h"
#include "tape.h"

struct kmeta;
struct btf;

/* Event classes that can be switched off (bit = 1 << NTB_*). */
#define CAPTURE_ALL_CLASSES ((1u << NTB_NCLASS) - 1)

struct capture_opts {
	unsigned classes;             /* CAPTURE_ALL_CLASSES by default */
	uint64_t ring_size;           /* bytes, power of two */
	uint64_t sample_period_ns;
	uint64_t stall_ns;            /* 0 = off */
	uint64_t response_ns;         /* 0 = off */
	uint32_t rtt_spike_mult;
	uint32_t rtt_spike_min_us;
	uint16_t ports[NTB_MAX_PORTS];
	uint32_t nports;
	uint32_t netns[NTB_MAX_NETNS];
	uint32_t nnetns;
	uint32_t pids[NTB_MAX_PIDS];
	uint32_t npids;
	uint64_t cgroups[NTB_MAX_CGROUPS];
	uint32_t cgroup_levels[NTB_MAX_CGROUPS];
	uint32_t ncgroups;
	uint64_t noise[NTB_NOISE_BITS / 64];
	int bpf_debug;                /* libbpf debug output to the log */
	/* The kernel's BTF as the caller parsed it (btf__load_vmlinux_btf),
	 * read only during capture__open; NULL: capture__open parses its own.
	 * Parsing it costs ~7 ms of CPU each time (5.5 MB on 6.18). */
	const struct btf *vmlinux;
};

struct capture_stats {
	uint64_t events[NTB_NCLASS];  /* events received per class */
	uint64_t lost[NTB_NCLASS];    /* events the kernel could not deliver */
	uint64_t refused;             /* records the writer refused (disk full) */
	uint64_t bad;                 /* malformed ring-buffer events */
};

struct capture;

/* Loads and attaches. On failure returns NULL, sets errno and writes a
 * one-line reason ("kernel BTF missing ...", "tracepoint tcp:tcp_probe not
 * found ...", "permission denied ...") into err. */
struct capture *capture__open(const struct capture_opts *o, char *err, size_t errlen);
void capture__free(struct capture *c);

/* Where events go from now on. meta holds the per-chunk snapshot tables. */
void capture__set_output(struct capture *c, struct tape_writer *w, struct kmeta *k);

/* Reads what the ring buffer holds now (no wait) and writes it. Returns the
 * number of events handled or a negative errno. */
int capture__consume(struct capture *c);

/* The wakeup handshake with the kernel side (submit() in nettape.bpf.c),
 * which writes events without waking the reader unless it is idle or a
 * quarter of the ring is waiting.
 * idle = 0: the caller holds an open frame and comes back by its flush
 * deadline: events go in silently from now on. Returns 0.
 * idle = 1: the caller is about to sleep with nothing to write: the next
 * event wakes it. Reads what arrived before the kernel side could see
 * that; returns the events handled (> 0: not idle after all, the kernel
 * side is told so again), 0, or a negative errno. *again (may be NULL): 1
 * when the caller should call again within a millisecond or so before a
 * long sleep (the flag was just set, or space is reserved in the ring by
 * an event not committed yet). */
int capture__set_idle(struct capture *c, int idle, int *again);

/* Reads the per-CPU loss counters and writes the increase since the last
 * call as NT_REC_LOSS records (one per CPU and class). */
void capture__loss_poll(struct capture *c);

/* Lists the TCP sockets held open by processes (all netns) into w as
 * NT_REC_SOCKET records, noting their owners, plus an NT_REC_LISTEN per
 * listener (accept queue, overflows since its previous sample). With
 * listeners_only, writes only NT_REC_LISTEN for listeners with a non-empty
 * queue or new overflows (periodic sampling). Returns the number of records
 * or a negative errno. */
int capture__dump_sockets(struct capture *c, struct tape_writer *w, int listeners_only);

void capture__stats(const struct capture *c, struct capture_stats *st);

/* Issue 5: every event record written from now on (ring-buffer events and
 * the NT_REC_LISTEN samples of the socket dump) is also passed to cb, for
 * the trigger engine. data is the record payload (format/records.h), valid
 * during the call. cb must not call back into capture. NULL = off. */
void capture__set_event_cb(struct capture *c,
			   void (*cb)(void *ctx, uint16_t type, uint64_t ts, const void *data,
				      uint32_t len),
			   void *ctx);

/* The ring buffer's map fd, for the caller's epoll set with EPOLLIN |
 * EPOLLET: an edge per kernel wakeup (level-triggered it would stay
 * readable while events wait for their deadline); then capture__consume. */
int capture__ring_fd(const struct capture *c);

/* The kernel's own name of the text address addr, printed with "%pS"
 * ("tcp_v4_rcv+0x1a2/0xf80", a module's followed by " [mod]", "0x..." when
 * there is no symbol there) by a BPF program run once per call: no
 * /proc/kallsyms. kmeta_parse_symbol() reads it. Returns 0; -EOPNOTSUPP when
 * this kernel cannot (before 5.14: use /proc/kallsyms); another negative
 * errno. With len 0 it only says whether it can (-EOPNOTSUPP or -EINVAL). */
int capture__symbolize(struct capture *c, uint64_t addr, char *text, size_t len);

/* The last error the writer returned for an event or loss record since the
 * previous call (-ENOSPC when the disk is full), 0 if none; clears it. */
int capture__take_error(struct capture *c);

/* Kernel-side cost of one program (needs kernel.bpf_stats_enabled=1):
 * returns 0 and run time / count, or a negative errno. */
int capture__prog_stats(const struct capture *c, const char *prog, uint64_t *run_ns,
			uint64_t *run_cnt);

/* Names of the attached programs (static strings), NULL-terminated. */
const char *const *capture__programs(const struct capture *c);

#endif /* NETTAPE_RECORDER_CAPTURE_H */
