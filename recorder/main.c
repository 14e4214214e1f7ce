/* main.c: nettape-record: start-up checks, the main loop (ring buffer, writer, budget, losses, status), signals. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "budget.h"
#include "capture.h"
#include "decode.h"
#include "kmeta.h"
#include "log.h"
#include "names.h"
#include "options.h"
#include "retention.h"
#include "snippet.h"
#include "tape.h"
#include "trigger.h"
#include "util.h"



static volatile sig_atomic_t sig_stop, sig_rotate, sig_status, sig_manual;

static void on_signal(int sig)
{
	if (sig == SIGINT || sig == SIGTERM)
		sig_stop = 1;
	else if (sig == SIGHUP)
		sig_rotate = 1;
	else if (sig == SIGUSR1)
		sig_status = 1;
	else if (sig == SIGUSR2)
		sig_manual = 1;
}


#define MAX_PENDING_FIRES 32

struct app {
	struct options *o;
	struct capture *c;
	struct kmeta *k;
	struct tape_meta *meta;
	struct budget *b;
	struct tape_writer *w;
	int sockets_warned;
	uint64_t budget_deleted_bytes;
	struct trigger *trg;
	struct retention *ret;
	struct snippet *snip;
	/* Fires arrive inside capture callbacks (even during a chunk start):
	 * queued, handled from the main loop. */
	struct trigger_fire fires[MAX_PENDING_FIRES];
	size_t nfires;
	uint64_t fires_dropped;
};

static int build_noise(struct options *o, struct kmeta *k)
{
	char buf[1024], *save = NULL, *tok;
	int is_default = !strcmp(o->noise, DEFAULT_NOISE);

	memset(o->cap.noise, 0, sizeof(o->cap.noise));
	/* The snippet capture's own packet socket drops (its ring full: reason
	 * PACKET_SOCK_ERROR) are never TCP findings, whatever --noise says. */
	if (o->pcap_filter) {
		uint32_t pv;

		if (!kmeta__drop_reason(k, "PACKET_SOCK_ERROR", &pv) && pv < NTB_NOISE_BITS)
			o->cap.noise[pv / 64] |= 1ULL << (pv % 64);
	}
	if (!strcasecmp(o->noise, "none"))
		return 0;
	snprintf(buf, sizeof(buf), "%s", o->noise);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint32_t v;

		if (kmeta__drop_reason(k, tok, &v)) {
			/* SKB_CONSUMED has no SKB_DROP_REASON_ prefix in the kernel. */
			if (is_default)
				continue;
			return options_fail_usage("--noise: this kernel has no drop reason '%s'", tok);
		}
		if (v < NTB_NOISE_BITS)
			o->cap.noise[v / 64] |= 1ULL << (v % 64);
	}
	return 0;
}

static void add_config(struct tape_meta *m, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void add_config(struct tape_meta *m, const char *key, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n = snprintf(buf, sizeof(buf), "%s=", key);

	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	tape_meta__add(m, NT_REC_CONFIG, buf, (uint32_t)strlen(buf));
}

static void record_config(struct options *o, struct tape_meta *m)
{
	char list[512];
	size_t off = 0;
	uint32_t i;

	add_config(m, "sample_interval_ns", "%llu", (unsigned long long)o->cap.sample_period_ns);
	add_config(m, "rtt_spike", "%u x min, +%u us", o->cap.rtt_spike_mult, o->cap.rtt_spike_min_us);
	add_config(m, "stall_threshold_ns", "%llu", (unsigned long long)o->cap.stall_ns);
	add_config(m, "response_threshold_ns", "%llu", (unsigned long long)o->cap.response_ns);
	add_config(m, "noise", "%s", o->noise);
	for (i = 0; i < NTB_OWNER; i++)
		if (o->cap.classes & (1u << i))
			off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", off ? "," : "",
						decode_class_name(i));
	add_config(m, "events", "%s", list);
	off = 0;
	list[0] = '\0';
	for (i = 0; i < o->cap.nports; i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%u", i ? "," : "", o->cap.ports[i]);
	add_config(m, "filter_ports", "%s", list);
	off = 0;
	list[0] = '\0';
	for (i = 0; i < o->cap.nnetns; i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%u", i ? "," : "", o->cap.netns[i]);
	add_config(m, "filter_netns", "%s", list);
	off = 0;
	list[0] = '\0';
	for (i = 0; i < o->cap.npids; i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%u", i ? "," : "", o->cap.pids[i]);
	add_config(m, "filter_pids", "%s", list);
	off = 0;
	list[0] = '\0';
	for (i = 0; i < o->cap.ncgroups; i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", i ? "," : "", o->cgroup_args[i]);
	add_config(m, "filter_cgroups", "%s", list);
	add_config(m, "max_disk", "%llu", (unsigned long long)o->max_disk);
	add_config(m, "listen_interval_ns", "%llu", (unsigned long long)o->listen_ns);
	add_config(m, "triggers", "%s", o->triggers);
	add_config(m, "trigger_cooldown_ns", "%llu", (unsigned long long)o->cooldown_ns);
	add_config(m, "pin_window_ns", "%llu,%llu", (unsigned long long)o->pin_pre_ns,
		   (unsigned long long)o->pin_post_ns);
	add_config(m, "pin_share_pct", "%u", o->pin_share);
	add_config(m, "pcap_filter", "%s", o->pcap_filter ? o->pcap_filter : "");
	if (o->pcap_filter) {
		add_config(m, "pcap_iface", "%s", o->pcap_iface ? o->pcap_iface : "any");
		add_config(m, "pcap_netns", "%s", o->pcap_netns ? o->pcap_netns : "");
		add_config(m, "pcap_window_ns", "%llu,%llu", (unsigned long long)o->pcap_pre_ns,
			   (unsigned long long)o->pcap_post_ns);
		add_config(m, "pcap_buffer", "%llu", (unsigned long long)o->pcap_buffer);
	}
}

/* Names of enum nt_trigger_kind for readers (NT_ENUM_TRIGGER). */
static void record_trigger_names(struct tape_meta *m)
{
	uint16_t k;

	for (k = NT_TRIGGER_MANUAL; k <= NT_TRIGGER_LISTEN_OVERFLOW; k++) {
		struct {
			struct nt_rec_enum_name h;
			char name[32];
		} en;
		size_t n = strlen(trigger_kind_name(k));

		memset(&en, 0, sizeof(en));
		en.h.kind = NT_ENUM_TRIGGER;
		en.h.value = k;
		memcpy(en.name, trigger_kind_name(k), n);
		tape_meta__add(m, NT_REC_ENUM_NAME, &en, (uint32_t)(sizeof(en.h) + n));
	}
}

/* ------------------------------------------------------------------ */

static int on_chunk_start(void *ctx, struct tape_writer *w)
{
	struct app *a = ctx;
	int n;

	kmeta__set_writer(a->k, w);
	n = capture__dump_sockets(a->c, w, 0);
	if (n < 0 && !a->sockets_warned) {
		log_warn("cannot list open sockets: %s (sockets open before recording are named "
			 "only when they see traffic)", strerror(-n));
		a->sockets_warned = 1;
	} else if (n >= 0) {
		log_debug("chunk start: %d open sockets listed", n);
	}
	return 0;
}

static void log_cb(void *ctx, int level, const char *msg)
{
	log_msg(level, "%s", msg);
}

static int writer_append(void *ctx, uint16_t type, uint64_t ts, const void *data, uint32_t len)
{
	struct app *a = ctx;

	return a->w ? tape_writer__append(a->w, type, ts, data, len) : -EAGAIN;
}

/* Every event record, from capture: the trigger engine's input. */
static void on_event_rec(void *ctx, uint16_t type, uint64_t ts, const void *data, uint32_t len)
{
	struct app *a = ctx;

	trigger__feed(a->trg, type, ts, data, len);
}

static void on_fire(void *ctx, const struct trigger_fire *f)
{
	struct app *a = ctx;

	if (a->nfires == MAX_PENDING_FIRES) {
		a->fires_dropped++;
		return;
	}
	a->fires[a->nfires++] = *f;
}

/* Queued fires: pin the chunks around them, write their packet snippets. */
static void run_fires(struct app *a)
{
	size_t i;

	for (i = 0; i < a->nfires; i++) {
		const struct trigger_fire *f = &a->fires[i];
		int n = 0;

		retention__fire(a->ret, f);
		if (a->snip)
			n = snippet__fire(a->snip, f);
		if (a->snip)
			log_info("trigger %s: %s; %d packet(s) from the pre-trigger ring written",
				 trigger_kind_name(f->kind), f->desc, n);
		else
			log_info("trigger %s: %s", trigger_kind_name(f->kind), f->desc);
	}
	a->nfires = 0;
	if (a->fires_dropped) {
		log_warn("%llu trigger fire(s) dropped (too many at once)",
			 (unsigned long long)a->fires_dropped);
		a->fires_dropped = 0;
	}
}

static void on_chunk_done(void *ctx, const char *path, uint64_t size)
{
	struct app *a = ctx;
	uint64_t freed;
	int n;

	budget__chunk_done(a->b, path, size);
	/* Before the budget runs: open pins extend to the next chunk, and the
	 * pin share gives way where it must. */
	if (a->ret)
		retention__chunk_done(a->ret, path, now_boot_ns());
	log_debug("chunk complete: %s (%llu bytes)", path, (unsigned long long)size);
	/* The next chunk is not opened yet: make room for all of it now. */
	n = budget__enforce(a->b, NULL, &freed);
	if (n) {
		a->budget_deleted_bytes += freed;
		log_debug("disk budget: deleted %d oldest chunk(s), %llu bytes", n,
			  (unsigned long long)freed);
	}
}

/* Tape already in the directory: continue it (same recording id, next
 * sequence number), so a restarted service keeps one tape. */
static int continue_tape(const char *dir, struct budget *b, uint8_t rid[16], uint64_t *first_seq)
{
	char **paths = NULL;
	int n, i, ok = 0;

	if (!budget__last_seq(b))
		return 0;
	*first_seq = budget__last_seq(b) + 1;
	n = tape_list_chunks(dir, &paths);
	/* Newest readable header wins (a crashed run may have left a damaged
	 * .partial behind). */
	for (i = n - 1; i >= 0 && !ok; i--) {
		int err = 0;
		struct tape_chunk_reader *r = tape_chunk_reader__open(paths[i], &err);

		if (!r)
			continue;
		memcpy(rid, tape_chunk_reader__source(r)->hdr.recording_id, 16);
		tape_chunk_reader__free(r);
		ok = 1;
	}
	if (n > 0)
		tape_list_free(paths, n);
	return ok;
}

static void print_status(struct app *a, struct capture_stats *prev, uint64_t *prev_ns,
			 uint64_t *prev_probe_ns, uint64_t *prev_probe_cnt)
{
	struct capture_stats st;
	struct tape_writer_stats ws;
	uint64_t now = now_mono_ns(), total = 0, lost = 0, run_ns = 0, run_cnt = 0;
	double secs = (double)(now - *prev_ns) / 1e9;
	char line[1024], s1[32], s2[32], probe[64] = "";
	size_t off = 0;
	uint32_t i;

	capture__stats(a->c, &st);
	tape_writer__stats(a->w, &ws);
	if (secs <= 0)
		secs = 1;
	for (i = 0; i < NTB_OWNER; i++) {
		total += st.events[i] - prev->events[i];
		lost += st.lost[i];
	}
	off += (size_t)snprintf(line + off, sizeof(line) - off, "%.0f ev/s (", (double)total / secs);
	for (i = 0; i < NTB_OWNER; i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s %.0f", i ? ", " : "",
					decode_class_name(i),
					(double)(st.events[i] - prev->events[i]) / secs);
	if (!capture__prog_stats(a->c, "tcp_probe", &run_ns, &run_cnt) && run_cnt > *prev_probe_cnt)
		snprintf(probe, sizeof(probe), ", tcp_probe %.0f ns",
			 (double)(run_ns - *prev_probe_ns) / (double)(run_cnt - *prev_probe_cnt));
	log_info("%s), lost %llu, written %s, ratio %.1fx, disk %s%s%s", line,
		 (unsigned long long)lost, fmt_size(s1, sizeof(s1), ws.disk_bytes),
		 ws.disk_bytes ? (double)ws.raw_bytes / (double)ws.disk_bytes : 0.0,
		 fmt_size(s2, sizeof(s2), budget__complete_bytes(a->b) + ws.cur_chunk_bytes),
		 st.refused ? " (disk full: events refused)" : "", probe);
	*prev = st;
	*prev_ns = now;
	*prev_probe_ns = run_ns;
	*prev_probe_cnt = run_cnt;
}

/* A write failed: free the oldest chunk when the disk is full. */
static void handle_write_error(struct app *a, int err, uint64_t *last_full_log)
{
	struct tape_writer_stats ws;
	uint64_t freed = 0;
	uint64_t now = now_mono_ns();

	if (!err)
		return;
	if (err != -ENOSPC && err != -EDQUOT) {
		if (now - *last_full_log > 10000000000ULL) {
			log_warn("writing the tape failed: %s (retrying)", tape_strerror(err));
			*last_full_log = now;
		}
		return;
	}
	tape_writer__stats(a->w, &ws);
	if (budget__free_oldest(a->b, ws.cur_chunk_path, &freed)) {
		char s[32];

		log_warn("disk full: deleted the oldest chunk (%s) to make room; recording goes on",
			 fmt_size(s, sizeof(s), freed));
		return;
	}
	if (now - *last_full_log > 10000000000ULL) {
		log_warn("disk full and no older chunk left to delete: events are being refused "
			 "(%llu so far); recording goes on", (unsigned long long)ws.refused);
		*last_full_log = now;
	}
}

static int check_output_dir(const char *dir)
{
	char tmp[4096];
	size_t i, n = strlen(dir);

	if (n >= sizeof(tmp))
		return -ENAMETOOLONG;
	/* mkdir -p */
	memcpy(tmp, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] == '/' || tmp[i] == '\0') {
			char c = tmp[i];

			tmp[i] = '\0';
			if (mkdir(tmp, 0750) && errno != EEXIST)
				return -errno;
			tmp[i] = c;
		}
	}
	if (access(dir, W_OK | X_OK))
		return -errno;
	/* access() can pass on a read-only mount; try for real. */
	snprintf(tmp, sizeof(tmp), "%s/.nettape-write-test", dir);
	{
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);

		if (fd < 0)
			return -errno;
		close(fd);
		unlink(tmp);
	}
	return 0;
}

static int symbolize_cb(void *ctx, uint64_t addr, char *text, size_t len)
{
	return capture__symbolize(ctx, addr, text, len);
}

/* Milliseconds from now until at (one clock), rounded up, so that the wait
 * never ends before the deadline; 0 when it has passed. */
static int ms_until(uint64_t at, uint64_t now)
{
	uint64_t ms;

	if (at <= now)
		return 0;
	ms = (at - now + 999999ULL) / 1000000ULL;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void wait_min(int *timeout, int ms)
{
	if (ms < *timeout)
		*timeout = ms;
}

int main(int argc, char **argv)
{
	struct options o;
	struct app a;
	struct tape_writer_opts wo;
	struct capture_stats prev_st, st;
	struct tape_writer_stats ws;
	struct sigaction sa;
	struct btf *vmlinux = NULL;
	uint8_t rid[16];
	uint64_t first_seq = 1, start, start_cpu, last_sec, prev_status_ns, last_status, last_refresh;
	uint64_t prev_probe_ns = 0, prev_probe_cnt = 0, last_full_log = 0, freed;
	sigset_t sigs, old_sigs;
	char err[512], s1[32], s2[32];
	int ret = EXIT_RUNTIME, e, have_rid = 0, ep = -1, events_since_tick = 0;
	uint32_t i;

	memset(&a, 0, sizeof(a));
	if (options_parse(argc, argv, &o))
		return EXIT_USAGE;
	if (options_resolve_sizes(&o) || options_resolve_filters(&o))
		return EXIT_USAGE;
	a.o = &o;
	umask(027);

	e = check_output_dir(o.dir);
	if (e) {
		log_error("output directory %s is not writable: %s", o.dir, strerror(-e));
		return EXIT_RUNTIME;
	}

	a.meta = tape_meta__new();
	if (!a.meta) {
		log_error("out of memory");
		return EXIT_RUNTIME;
	}
	log_debug("start: options %.1f ms CPU", (double)own_cpu_ns() / 1e6);
	/* The kernel's BTF, parsed once for the enum tables and the checks of
	 * capture__open (libbpf parses its own copy again to load). */
	vmlinux = btf__load_vmlinux_btf();
	a.k = vmlinux ? kmeta__new(a.meta, vmlinux) : NULL;
	log_debug("start: kernel metadata %.1f ms CPU", (double)own_cpu_ns() / 1e6);
	if (!a.k) {
		if (errno == ENOENT)
			log_error("kernel BTF missing (/sys/kernel/btf/vmlinux): needs a kernel "
				  "built with CONFIG_DEBUG_INFO_BTF=y");
		else
			log_error("cannot read kernel metadata: %s", strerror(errno));
		goto cleanup;
	}
	if (build_noise(&o, a.k)) {
		ret = EXIT_USAGE;
		goto cleanup;
	}
	record_config(&o, a.meta);
	record_trigger_names(a.meta);

	o.cap.vmlinux = vmlinux;
	a.c = capture__open(&o.cap, err, sizeof(err));
	o.cap.vmlinux = NULL;
	btf__free(vmlinux);
	vmlinux = NULL;
	if (!a.c) {
		log_error("%s", err);
		goto cleanup;
	}
	capture__set_output(a.c, NULL, a.k);
	kmeta__set_symbolizer(a.k, capture__symbolize(a.c, 0, NULL, 0) == -EOPNOTSUPP ? NULL :
			      symbolize_cb, a.c);
	log_debug("start: BPF ready %.1f ms CPU", (double)own_cpu_ns() / 1e6);

	if (o.pcap_filter) {
		struct snippet_opts so;

		memset(&so, 0, sizeof(so));
		so.iface = o.pcap_iface;
		so.filter = o.pcap_filter;
		so.netns = o.pcap_netns;
		so.snaplen = o.snaplen;
		so.ring_bytes = o.pcap_buffer;
		so.pre_ns = o.pcap_pre_ns;
		so.post_ns = o.pcap_post_ns;
		so.append = writer_append;
		so.log = log_cb;
		so.ctx = &a;
		a.snip = snippet__open(&so, err, sizeof(err));
		if (!a.snip) {
			log_error("%s", err);
			ret = errno == EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
			goto cleanup;
		}
	}
	{
		struct trigger_opts to;

		memset(&to, 0, sizeof(to));
		to.kinds = o.trigger_kinds;
		to.cooldown_ns = o.cooldown_ns;
		to.noise = o.noise;
		to.reason_name = trigger_meta_reason_name;
		to.reason_ctx = a.meta;
		to.fire = on_fire;
		to.fire_ctx = &a;
		a.trg = trigger__new(&to);
		if (!a.trg) {
			log_error("cannot set up the triggers: %s", strerror(errno));
			goto cleanup;
		}
	}

	a.b = budget__new(o.dir, o.max_disk, options_chunk_reserve(o.chunk_size));
	if (!a.b) {
		log_error("cannot read tape directory %s: %s", o.dir, strerror(errno));
		goto cleanup;
	}
	have_rid = continue_tape(o.dir, a.b, rid, &first_seq);
	if (budget__last_seq(a.b))
		log_info("%s already holds a tape (%llu chunks): %s at chunk %llu", o.dir,
			 (unsigned long long)budget__nchunks(a.b),
			 have_rid ? "continuing it" : "no chunk header is readable, new recording",
			 (unsigned long long)first_seq);
	{
		struct retention_opts ro;

		memset(&ro, 0, sizeof(ro));
		ro.dir = o.dir;
		ro.budget = a.b;
		ro.budget_bytes = o.max_disk;
		ro.max_share_pct = o.pin_share;
		ro.pre_ns = o.pin_pre_ns;
		ro.post_ns = o.pin_post_ns;
		ro.first_seq = first_seq;
		ro.unpin = budget__unpin;
		ro.append = writer_append;
		ro.log = log_cb;
		ro.ctx = &a;
		/* Reads DIR/pins: pins of the previous run protect their chunks
		 * before the budget deletes anything. */
		a.ret = retention__new(&ro);
		if (!a.ret) {
			log_error("cannot set up pin retention: %s", strerror(errno));
			goto cleanup;
		}
	}
	/* Make room for the first chunk before it is written. */
	budget__enforce(a.b, NULL, &freed);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&wo, 0, sizeof(wo));
	wo.dir = o.dir;
	wo.chunk_size = o.chunk_size;
	wo.chunk_time_ns = o.chunk_time_ns;
	wo.frame_size = options_frame_size(o.chunk_size);
	wo.flush_ms = (uint32_t)(o.flush_ns / 1000000ULL);
	wo.zstd_level = o.zstd_level;
	wo.fsync = o.fsync;
	wo.version = NETTAPE_VERSION;
	wo.cmdline = o.cmdline;
	wo.recording_id = have_rid ? rid : NULL;
	wo.first_seq = first_seq;
	wo.snaplen = a.snip ? o.snaplen : 0;
	wo.meta = a.meta;
	wo.chunk_start_cb = on_chunk_start;
	wo.chunk_done_cb = on_chunk_done;
	wo.cb_ctx = &a;
	a.w = tape_writer__open(&wo);
	if (!a.w) {
		e = errno;
		if (e == ENOSPC || e == EDQUOT)
			log_error("cannot start the tape in %s: disk full", o.dir);
		else
			log_error("cannot start the tape in %s: %s", o.dir, strerror(e));
		goto cleanup;
	}
	kmeta__set_writer(a.k, a.w);
	capture__set_output(a.c, a.w, a.k);
	capture__set_event_cb(a.c, on_event_rec, &a);
	log_debug("start: tape open %.1f ms CPU", (double)own_cpu_ns() / 1e6);

	log_info("recording to %s (chunks %s / %llus, budget %s%s); %s",
		 o.dir, fmt_size(s1, sizeof(s1), o.chunk_size),
		 (unsigned long long)(o.chunk_time_ns / 1000000000ULL),
		 o.max_disk ? fmt_size(s2, sizeof(s2), o.max_disk) : "none",
		 kmeta__have_symbols(a.k) ? "" : ", drop locations unnamed",
		 o.duration_ns ? "stops after --duration or on Ctrl-C" : "Ctrl-C to stop");
	for (i = 0; capture__programs(a.c)[i]; i++)
		log_debug("attached %s", capture__programs(a.c)[i]);

	/* One epoll set: the ring buffer edge-triggered (a kernel wakeup, see
	 * capture__set_idle) and the packet capture. The loop sleeps until the
	 * earliest deadline; signals are blocked except inside epoll_pwait, so
	 * one that arrives while the loop works ends the next wait at once. */
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		log_error("epoll: %s", strerror(errno));
		goto cleanup;
	}
	{
		struct epoll_event ev = { .events = EPOLLIN | EPOLLET };

		if (epoll_ctl(ep, EPOLL_CTL_ADD, capture__ring_fd(a.c), &ev)) {
			log_error("epoll on the ring buffer: %s", strerror(errno));
			goto cleanup;
		}
		ev.events = EPOLLIN;
		if (a.snip && snippet__fd(a.snip) >= 0 &&
		    epoll_ctl(ep, EPOLL_CTL_ADD, snippet__fd(a.snip), &ev)) {
			log_error("epoll on the packet capture: %s", strerror(errno));
			goto cleanup;
		}
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	sigprocmask(SIG_BLOCK, &sigs, &old_sigs);

	memset(&prev_st, 0, sizeof(prev_st));
	start_cpu = own_cpu_ns();
	start = now_mono_ns();
	last_sec = last_status = last_refresh = prev_status_ns = start;
	while (!sig_stop) {
		uint64_t now, now_b, refresh_ns = o.listen_ns ? o.listen_ns : 10000000000ULL;
		int timeout, frame_open, retry, again = 0, n;
		struct epoll_event evs[2];

		/* Work: whatever is due or has arrived. */
		e = capture__consume(a.c);
		if (e > 0)
			events_since_tick = 1;
		if (a.snip)
			snippet__poll(a.snip, now_boot_ns());
		if (sig_manual) {
			sig_manual = 0;
			trigger__manual(a.trg, now_boot_ns(), NULL, "SIGUSR2");
		}
		run_fires(&a);
		if (e < 0) {
			log_error("reading the ring buffer failed: %s", strerror(-e));
			break;
		}
		handle_write_error(&a, capture__take_error(a.c), &last_full_log);
		handle_write_error(&a, tape_writer__poll(a.w), &last_full_log);
		now = now_mono_ns();
		if (sig_rotate) {
			sig_rotate = 0;
			e = tape_writer__rotate(a.w);
			if (e)
				handle_write_error(&a, e, &last_full_log);
			else
				log_info("SIGHUP: started a new chunk");
		}
		/* Once a second while events come (losses, the disk budget), and
		 * when a pin's post window ends. */
		if ((events_since_tick && now - last_sec >= 1000000000ULL) ||
		    retention__next_due(a.ret) <= now_boot_ns()) {
			tape_writer__stats(a.w, &ws);
			capture__loss_poll(a.c);
			if (budget__enforce(a.b, ws.cur_chunk_path, &freed))
				a.budget_deleted_bytes += freed;
			retention__poll(a.ret, now_boot_ns());
			last_sec = now;
			events_since_tick = 0;
		}
		if (now - last_refresh >= refresh_ns) {
			kmeta__refresh(a.k, now_boot_ns());
			/* Accept queues: listen overflow leaves few other traces. */
			if (o.listen_ns)
				capture__dump_sockets(a.c, a.w, 1);
			last_refresh = now;
		}
		if (sig_status || (o.status_ns && now - last_status >= o.status_ns)) {
			sig_status = 0;
			print_status(&a, &prev_st, &prev_status_ns, &prev_probe_ns, &prev_probe_cnt);
			last_status = now;
		}
		if (o.duration_ns && now - start >= o.duration_ns)
			break;
		if (sig_stop)
			break;

		/* Wait: until the earliest deadline, a kernel wakeup, a packet or
		 * a signal. */
		now = now_mono_ns();
		now_b = now_boot_ns();
		timeout = ms_until(tape_writer__next_due(a.w, &frame_open, &retry), now_b);
		if (retry)
			wait_min(&timeout, 100);
		if (events_since_tick)
			wait_min(&timeout, ms_until(last_sec + 1000000000ULL, now));
		wait_min(&timeout, ms_until(retention__next_due(a.ret), now_b));
		wait_min(&timeout, ms_until(last_refresh + refresh_ns, now));
		if (o.status_ns)
			wait_min(&timeout, ms_until(last_status + o.status_ns, now));
		if (o.duration_ns)
			wait_min(&timeout, ms_until(start + o.duration_ns, now));
		if (a.snip)
			wait_min(&timeout, snippet__timeout_ms(a.snip));
		/* With records in the open frame (or a write to retry) the loop
		 * comes back by the flush deadline: events go into the ring
		 * silently meanwhile. With nothing to write, the next event wakes
		 * it, so no event waits longer than the flush interval. */
		n = capture__set_idle(a.c, !frame_open && !retry, &again);
		if (n > 0) {
			events_since_tick = 1;
			continue;  /* events came while going idle: handle them first */
		}
		if (again)
			wait_min(&timeout, 1);
		if (epoll_pwait(ep, evs, 2, timeout, &old_sigs) < 0 && errno != EINTR) {
			log_error("epoll_pwait: %s", strerror(errno));
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &old_sigs, NULL);

	/* Drain what the kernel still holds, count the last losses, close. */
	capture__set_idle(a.c, 0, NULL);
	capture__consume(a.c);
	run_fires(&a);
	if (a.snip) {
		struct snippet_stats ss;

		snippet__poll(a.snip, now_boot_ns());
		snippet__stats(a.snip, &ss);
		log_info("snippets: %llu packets seen, %llu written around %llu fire(s); ring peak "
			 "%llu of %llu bytes; capture drops %llu; clock pair spread %llu ns",
			 (unsigned long long)ss.packets, (unsigned long long)ss.written,
			 (unsigned long long)ss.fires, (unsigned long long)ss.ring_peak,
			 (unsigned long long)ss.ring_bytes, (unsigned long long)ss.pcap_drop,
			 (unsigned long long)ss.clock_spread_max_ns);
	}
	if (retention__count(a.ret))
		log_info("%zu pin(s) keep incidents (listed in %s/pins and by nettape info)",
			 retention__count(a.ret), o.dir);
	capture__loss_poll(a.c);
	capture__set_output(a.c, NULL, NULL);
	capture__set_event_cb(a.c, NULL, NULL);
	kmeta__set_writer(a.k, NULL);
	tape_writer__stats(a.w, &ws);
	e = tape_writer__close(a.w);
	a.w = NULL;
	capture__stats(a.c, &st);
	{
		uint64_t total = 0, lost = 0, run_ns = 0, run_cnt = 0;
		char probe[64] = "";

		for (i = 0; i < NTB_OWNER; i++) {
			total += st.events[i];
			lost += st.lost[i];
		}
		/* Kernel-side cost, when kernel.bpf_stats_enabled=1 was set. */
		if (!capture__prog_stats(a.c, "tcp_probe", &run_ns, &run_cnt) && run_cnt)
			snprintf(probe, sizeof(probe), "; tcp_probe %.1f ns x %llu",
				 (double)run_ns / (double)run_cnt, (unsigned long long)run_cnt);
		log_info("stopped: %llu events, %llu lost, %s written in %llu chunk(s)%s%s",
			 (unsigned long long)total, (unsigned long long)lost,
			 fmt_size(s1, sizeof(s1), ws.disk_bytes), (unsigned long long)ws.chunks, probe,
			 e ? "; closing the last chunk failed" : "");
		{
			uint64_t cpu = own_cpu_ns(), wall = now_mono_ns() - start;

			/* The recorder's own cost, user + system (bench_recorder.sh reads it). */
			log_info("own CPU: %.3f s to start, %.3f s recording for %.1f s (%.2f ms/s)",
				 (double)start_cpu / 1e9, (double)(cpu - start_cpu) / 1e9,
				 (double)wall / 1e9,
				 wall ? (double)(cpu - start_cpu) / 1e6 / ((double)wall / 1e9) : 0.0);
		}
	}
	if (e)
		log_error("closing the tape: %s", tape_strerror(e));
	ret = e ? EXIT_RUNTIME : 0;
cleanup:
	if (ep >= 0)
		close(ep);
	if (a.w)
		tape_writer__close(a.w);
	capture__free(a.c);
	snippet__free(a.snip);
	trigger__free(a.trg);
	retention__free(a.ret);
	budget__free(a.b);
	kmeta__free(a.k);
	btf__free(vmlinux);
	tape_meta__free(a.meta);
	return ret;
}
