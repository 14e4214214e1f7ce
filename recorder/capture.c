/* capture.c: loads and attaches bpf/nettape.bpf.c, drains its ring buffer into the tape, counts losses, dumps open sockets. */
#include "capture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "decode.h"
#include "kmeta.h"
#include "log.h"
#include "nettape.skel.h"
#include "util.h"

/* Attribution by cookie in user space, for events where the kernel could
 * not read the socket storage (drops on the transmit path): the owner
 * the kernel bound earlier for that cookie. Direct-mapped, overwriting. */
#define OWNER_CACHE 65536

struct owner_slot {
	uint64_t cookie;
	uint64_t cgroup;
	uint32_t pid;
	uint32_t pad;
};

/* Previous sk_drops of listeners (direct-mapped by cookie), for the
 * overflow count of NT_REC_LISTEN. */
#define LISTEN_CACHE 4096

struct listen_slot {
	uint64_t cookie;
	uint32_t drops;
	uint32_t pad;
};

struct capture {
	struct nettape *skel;
	struct listen_slot *listeners;
	struct ring_buffer *rb;
	/* The ring's consumer and producer positions (its first two pages,
	 * mapped read-only again: libbpf 1.1 does not expose them). */
	void *rb_pos;
	size_t rb_pos_len;
	int idle;             /* what skel->bss->reader_idle says */
	int have_sym;         /* sym_resolve loaded */
	struct tape_writer *w;
	struct kmeta *k;
	struct capture_stats st;
	void (*event_cb)(void *ctx, uint16_t type, uint64_t ts, const void *data, uint32_t len);
	void *event_ctx;
	int last_err;
	/* loss accounting */
	int ncpu;
	uint64_t *loss_prev;  /* [class][cpu] */
	uint64_t loss_ns;
	struct owner_slot *owners;
	const char *progs[32];
	int dump_by_netns;    /* 1: dump_tcp per netns (dump_socks rejected here) */
	int setns_warned;
};

struct prog_desc {
	const char *name;       /* program name in nettape.bpf.c */
	const char *tp;         /* category:event, for messages */
	int cls;                /* NTB_* it produces, -1 = attribution */
	int required;
};

static const struct prog_desc progs[] = {
	{ "inet_sock_set_state",   "sock:inet_sock_set_state",   NTB_STATE,   1 },
	{ "tcp_probe",             "tcp:tcp_probe",              NTB_SAMPLE,  0 },
	{ "sock_recv_length",      "sock:sock_recv_length",      -1,          0 },
	{ "sock_send_length",      "sock:sock_send_length",      -1,          0 },
	{ "kfree_skb",             "skb:kfree_skb",              NTB_DROP,    0 },
	{ "tcp_retransmit_skb",    "tcp:tcp_retransmit_skb",     NTB_RETRANS, 0 },
	{ "tcp_retransmit_synack", "tcp:tcp_retransmit_synack",  NTB_RETRANS, 0 },
	{ "tcp_cong_state_set",    "tcp:tcp_cong_state_set",     NTB_CONG,    0 },
	{ "tcp_send_reset",        "tcp:tcp_send_reset",         NTB_RESET,   0 },
	{ "tcp_receive_reset",     "tcp:tcp_receive_reset",      NTB_RESET,   0 },
	{ "sock_exceed_buf_limit", "sock:sock_exceed_buf_limit", NTB_BUFFER,  0 },
	{ "tcp_rcvbuf_grow",       "tcp:tcp_rcvbuf_grow",        NTB_BUFFER,  0 },
};

static int libbpf_debug;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's own messages (verifier logs included) are detail: our
	 * caller prints the one-line reason; -v shows libbpf's. */
	if (!libbpf_debug)
		return 0;
	log_vmsg(LOG_LVL_DEBUG, fmt, ap);
	(void)level;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Preflight                                                          */

static int has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

/* One-line reason in err when the process lacks what loading needs. */
static int check_caps(char *err, size_t errlen)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	int admin;

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return 0;  /* cannot tell: let the load fail with its own error */
	admin = has_cap(d, CAP_SYS_ADMIN);
	if (!admin && !has_cap(d, 39 /* CAP_BPF */)) {
		snprintf(err, errlen, "missing capability CAP_BPF (run as root or grant CAP_BPF, "
			 "CAP_PERFMON; see nettape-record.service)");
		return -EPERM;
	}
	if (!admin && !has_cap(d, 38 /* CAP_PERFMON */)) {
		snprintf(err, errlen, "missing capability CAP_PERFMON (needed to attach tracepoints; "
			 "see nettape-record.service)");
		return -EPERM;
	}
	return 0;
}

/* 1 when the BTF enum named ename has a value named name. */
static int btf_enum_has(const struct btf *btf, const char *ename, const char *name)
{
	int id = btf__find_by_name_kind(btf, ename, BTF_KIND_ENUM);
	const struct btf_type *t;
	const struct btf_enum *e;
	int i;

	if (id < 0)
		return 0;
	t = btf__type_by_id(btf, (__u32)id);
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++, e++) {
		const char *n = btf__name_by_offset(btf, e->name_off);

		if (n && !strcmp(n, name))
			return 1;
	}
	return 0;
}

/* Configures which programs load: classes switched off and tracepoints
 * this kernel does not have. */
static int choose_programs(struct capture *c, const struct capture_opts *o, const struct btf *vmlinux,
			   char *err, size_t errlen)
{
	size_t i, np = 0;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		const struct prog_desc *d = &progs[i];
		struct bpf_program *p = bpf_object__find_program_by_name(c->skel->obj, d->name);
		const char *ev = strchr(d->tp, ':') + 1;
		char tname[128];
		int on = d->cls < 0 || (o->classes & (1u << d->cls));

		if (!p)
			continue;
		snprintf(tname, sizeof(tname), "btf_trace_%s", ev);
		if (on && btf__find_by_name_kind(vmlinux, tname, BTF_KIND_TYPEDEF) < 0) {
			if (d->required) {
				snprintf(err, errlen, "tracepoint %s not found in this kernel "
					 "(needs Linux >= 4.16 with BTF)", d->tp);
				return -ENOENT;
			}
			log_warn("tracepoint %s not in this kernel: %s", d->tp,
				 d->cls < 0 ? "owners are bound at connect/listen only"
					    : "those events are not recorded");
			on = 0;
		}
		bpf_program__set_autoload(p, on);
		if (on && np < sizeof(c->progs) / sizeof(c->progs[0]) - 2)
			c->progs[np++] = d->name;
	}
	/* sym_resolve: a syscall program (5.14) calling bpf_snprintf (5.13);
	 * without it drop locations are named from /proc/kallsyms. */
	c->have_sym = btf_enum_has(vmlinux, "bpf_prog_type", "BPF_PROG_TYPE_SYSCALL") &&
		      btf_enum_has(vmlinux, "bpf_func_id", "BPF_FUNC_snprintf");
	bpf_program__set_autoload(c->skel->progs.sym_resolve, c->have_sym);
	c->progs[np++] = c->dump_by_netns ? "dump_tcp" : "dump_socks";
	c->progs[np] = NULL;
	bpf_program__set_autoload(c->skel->progs.dump_socks, !c->dump_by_netns);
	bpf_program__set_autoload(c->skel->progs.map_sock_owners, c->dump_by_netns);
	bpf_program__set_autoload(c->skel->progs.dump_tcp, c->dump_by_netns);
	bpf_program__set_autoload(c->skel->progs.dump_listen_files, c->dump_by_netns);
	return 0;
}

static void configure(struct capture *c, const struct capture_opts *o)
{
	struct nettape__rodata *r = c->skel->rodata;
	uint32_t i;

	r->sample_period_ns = o->sample_period_ns;
	r->rtt_spike_mult = o->rtt_spike_mult;
	r->rtt_spike_min_us = o->rtt_spike_min_us;
	r->stall_ns = (o->classes & (1u << NTB_STALL)) ? o->stall_ns : 0;
	r->response_ns = (o->classes & (1u << NTB_STALL)) ? o->response_ns : 0;
	r->wakeup_bytes = (uint32_t)(o->ring_size / 4);
	r->nr_ports = o->nports;
	for (i = 0; i < o->nports && i < NTB_MAX_PORTS; i++)
		r->ports[i] = o->ports[i];
	r->nr_netns = o->nnetns;
	for (i = 0; i < o->nnetns && i < NTB_MAX_NETNS; i++)
		r->netns_ids[i] = o->netns[i];
	r->nr_pids = o->npids;
	for (i = 0; i < o->npids && i < NTB_MAX_PIDS; i++)
		r->pids[i] = o->pids[i];
	r->nr_cgroups = o->ncgroups;
	for (i = 0; i < o->ncgroups && i < NTB_MAX_CGROUPS; i++) {
		r->cgroup_ids[i] = o->cgroups[i];
		r->cgroup_levels[i] = o->cgroup_levels[i];
	}
	for (i = 0; i < NTB_NOISE_BITS / 64; i++)
		r->noise[i] = o->noise[i];
	bpf_map__set_max_entries(c->skel->maps.events, (uint32_t)o->ring_size);
}

static int on_event(void *ctx, void *data, size_t size);

/* Byte offset of member name in the struct or union of type id (members of
 * anonymous structs and unions included, as __bpf_md_ptr makes them), or -1. */
static int member_offset_in(const struct btf *btf, int id, const char *name, int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, (__u32)btf__resolve_type(btf, (__u32)id));
	const struct btf_member *m;
	int i;

	if (!t || !btf_is_composite(t) || depth > 3)
		return -1;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *mn = btf__name_by_offset(btf, m->name_off);
		int at = (int)(btf_member_bit_offset(t, (uint32_t)i) / 8), sub;

		if (mn && !strcmp(mn, name))
			return at;
		if ((!mn || !mn[0]) && (sub = member_offset_in(btf, (int)m->type, name, depth + 1)) >= 0)
			return at + sub;
	}
	return -1;
}

static int member_offset(const struct btf *btf, const char *sname, const char *name)
{
	int id = btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT);

	return id < 0 ? -1 : member_offset_in(btf, id, name, 0);
}

/*
 * Whether this kernel's verifier lets an iter/task_file program pass the
 * socket behind a file (bpf_sock_from_file(file)->sk) to
 * bpf_skc_to_tcp_sock(), as dump_socks does. Kernels up to 6.17 or so
 * accept it; 6.18 marks that pointer untrusted and rejects the helper
 * call. The probe is the first steps of dump_socks in nine instructions:
 *   r1 = ctx->file; if !r1 goto out; r0 = bpf_sock_from_file(r1);
 *   if !r0 goto out; r1 = r0->sk; if !r1 goto out; bpf_skc_to_tcp_sock(r1);
 *   out: return 0
 * Returns 1 (accepted), 0 (rejected: EACCES) or a negative errno when it
 * cannot tell (no BTF for the pieces, another load error).
 */
static int probe_sock_from_file(const struct btf *btf)
{
	int off_file = member_offset(btf, "bpf_iter__task_file", "file");
	int off_sk = member_offset(btf, "socket", "sk");
	int target = btf__find_by_name_kind(btf, "bpf_iter_task_file", BTF_KIND_FUNC);
	struct bpf_insn insn[] = {
		{ .code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = 1, .src_reg = 1,
		  .off = (__s16)off_file },
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 1, .off = 5, .imm = 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_sock_from_file },
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 0, .off = 3, .imm = 0 },
		{ .code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = 1, .src_reg = 0,
		  .off = (__s16)off_sk },
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 1, .off = 1, .imm = 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_skc_to_tcp_sock },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = BPF_TRACE_ITER,
		    .attach_btf_id = (__u32)target);
	int fd;

	if (off_file < 0 || off_sk < 0 || target < 0)
		return -ENOENT;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "nt_probe_sk", "GPL", insn,
			   sizeof(insn) / sizeof(insn[0]), &po);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return errno == EACCES ? 0 : -errno;
}

struct capture *capture__open(const struct capture_opts *o, char *err, size_t errlen)
{
	struct capture *c = calloc(1, sizeof(*c));
	struct btf *own_btf = NULL;
	const struct btf *btf;
	uint64_t t0;
	int e;

	err[0] = '\0';
	if (!c) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	libbpf_debug = o->bpf_debug;
	libbpf_set_print(print_libbpf);
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		e = -errno;
		snprintf(err, errlen, "kernel BTF missing (/sys/kernel/btf/vmlinux: %s): "
			 "needs a kernel built with CONFIG_DEBUG_INFO_BTF=y", strerror(-e));
		goto fail;
	}
	e = check_caps(err, errlen);
	if (e)
		goto fail;
	if (o->vmlinux) {
		btf = o->vmlinux;
	} else {
		own_btf = btf__load_vmlinux_btf();
		if (!own_btf) {
			e = -errno;
			snprintf(err, errlen, "cannot read kernel BTF: %s", strerror(-e));
			goto fail;
		}
		btf = own_btf;
	}
	c->owners = calloc(OWNER_CACHE, sizeof(*c->owners));
	c->listeners = calloc(LISTEN_CACHE, sizeof(*c->listeners));
	c->ncpu = libbpf_num_possible_cpus();
	if (!c->owners || !c->listeners || c->ncpu <= 0) {
		e = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	c->loss_prev = calloc((size_t)NTB_NCLASS * (size_t)c->ncpu, sizeof(uint64_t));
	if (!c->loss_prev) {
		e = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* The socket dump of dump_socks needs a verifier that trusts the socket
	 * behind a file (up to 6.17 or so): a tiny program asks this verifier
	 * first (a failed load of the whole object costs as much CPU as the
	 * load itself); when it cannot tell, or it was wrong, a rejected load
	 * is retried with the per-netns iter/tcp dump instead. */
	e = probe_sock_from_file(btf);
	if (e == 0)
		c->dump_by_netns = 1;
	log_debug("socket dump: the verifier %s the socket behind a file", e > 0 ? "accepts" :
		  e == 0 ? "rejects" : "could not be asked about");
	for (;;) {
		c->skel = nettape__open();
		if (!c->skel) {
			e = -errno;
			snprintf(err, errlen, "cannot open the BPF object: %s", strerror(-e));
			goto fail;
		}
		e = choose_programs(c, o, btf, err, errlen);
		if (e)
			goto fail;
		configure(c, o);
		t0 = own_cpu_ns();
		e = nettape__load(c->skel);
		log_debug("start: BPF load %.1f ms CPU", (double)(own_cpu_ns() - t0) / 1e6);
		if (!e || c->dump_by_netns)
			break;
		log_debug("BPF load failed (%s) with the task_file socket dump: trying the "
			  "per-netns iter/tcp dump", strerror(-e));
		nettape__destroy(c->skel);
		c->skel = NULL;
		c->dump_by_netns = 1;
	}
	if (!e && c->dump_by_netns)
		log_info("socket dump: this kernel rejects dump_socks; sockets open before the start "
			 "are read per network namespace (iter/tcp)");
	if (e) {
		if (e == -EPERM || e == -EACCES)
			snprintf(err, errlen, "permission denied loading the BPF programs (%s): "
				 "run as root or with CAP_BPF, CAP_PERFMON (run with -v for the "
				 "verifier log)", strerror(-e));
		else
			snprintf(err, errlen, "cannot load the BPF programs: %s (run with -v for "
				 "details)", strerror(-e));
		goto fail;
	}
	t0 = own_cpu_ns();
	e = nettape__attach(c->skel);
	log_debug("start: attach %.1f ms CPU", (double)(own_cpu_ns() - t0) / 1e6);
	if (e) {
		snprintf(err, errlen, "cannot attach the tracepoints: %s (run with -v for details)",
			 strerror(-e));
		goto fail;
	}
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), on_event, c, NULL);
	if (!c->rb) {
		e = -errno;
		snprintf(err, errlen, "cannot map the ring buffer: %s", strerror(-e));
		goto fail;
	}
	c->rb_pos_len = 2 * (size_t)sysconf(_SC_PAGESIZE);
	c->rb_pos = mmap(NULL, c->rb_pos_len, PROT_READ, MAP_SHARED,
			 bpf_map__fd(c->skel->maps.events), 0);
	if (c->rb_pos == MAP_FAILED) {
		e = -errno;
		c->rb_pos = NULL;
		snprintf(err, errlen, "cannot map the ring buffer's positions: %s", strerror(-e));
		goto fail;
	}
	c->loss_ns = now_boot_ns();
	btf__free(own_btf);
	return c;
fail:
	btf__free(own_btf);
	capture__free(c);
	errno = -e;
	return NULL;
}

void capture__free(struct capture *c)
{
	if (!c)
		return;
	if (c->rb_pos)
		munmap(c->rb_pos, c->rb_pos_len);
	ring_buffer__free(c->rb);
	nettape__destroy(c->skel);
	free(c->loss_prev);
	free(c->owners);
	free(c->listeners);
	free(c);
}

void capture__set_output(struct capture *c, struct tape_writer *w, struct kmeta *k)
{
	c->w = w;
	c->k = k;
}

/* ------------------------------------------------------------------ */
/* Events                                                             */

static struct owner_slot *owner_slot(struct capture *c, uint64_t cookie)
{
	return &c->owners[nt_mix64(cookie) & (OWNER_CACHE - 1)];
}

static void append(struct capture *c, uint16_t type, uint64_t ts, const void *data, uint32_t len)
{
	int err;

	if (!c->w)
		return;
	err = tape_writer__append(c->w, type, ts, data, len);
	if (err) {
		c->last_err = err;
		if (err == -ENOSPC)
			c->st.refused++;
	}
	/* Triggers see the event even when the disk refused it. */
	if (c->event_cb)
		c->event_cb(c->event_ctx, type, ts, data, len);
}

void capture__set_event_cb(struct capture *c,
			   void (*cb)(void *ctx, uint16_t type, uint64_t ts, const void *data,
				      uint32_t len),
			   void *ctx)
{
	c->event_cb = cb;
	c->event_ctx = ctx;
}

int capture__ring_fd(const struct capture *c)
{
	return bpf_map__fd(c->skel->maps.events);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct capture *c = ctx;
	unsigned char out[DECODE_MAX];
	const struct ntb_hdr *h = data;
	struct nt_conn *conn = (struct nt_conn *)out;
	uint16_t type;
	uint64_t ts;
	int len;

	if (size < sizeof(*h) || h->type >= NTB_NCLASS) {
		c->st.bad++;
		return 0;
	}
	c->st.events[h->type]++;
	if (h->type == NTB_OWNER) {
		const struct ntb_owner *o = data;
		struct owner_slot *s;

		if (size < sizeof(*o))
			return 0;
		s = owner_slot(c, o->cookie);
		s->cookie = o->cookie;
		s->pid = o->pid;
		s->cgroup = o->cgroup;
		if (c->k)
			kmeta__note_process(c->k, o->pid, o->comm, o->cgroup, o->h.ts);
		return 0;
	}
	len = decode_event(data, size, &type, &ts, out);
	if (len <= 0) {
		if (len < 0)
			c->st.bad++;
		return 0;
	}
	/* All event records start with struct nt_conn. */
	if (conn->cookie) {
		struct owner_slot *s = owner_slot(c, conn->cookie);

		if (conn->pid) {
			s->cookie = conn->cookie;
			s->pid = conn->pid;
			s->cgroup = conn->cgroup;
		} else if (s->cookie == conn->cookie) {
			conn->pid = s->pid;
			conn->cgroup = s->cgroup;
		}
	}
	if (c->k) {
		kmeta__note_netns(c->k, conn->netns, ts);
		kmeta__note_cgroup(c->k, conn->cgroup, ts);
		if (h->type == NTB_DROP) {
			const struct ntb_drop *d = data;

			kmeta__note_symbol(c->k, d->location, ts);
			kmeta__note_iface(c->k, d->c.netns, d->ifindex, d->ifname, ts);
		}
	}
	append(c, type, ts, out, (uint32_t)len);
	return 0;
}

int capture__consume(struct capture *c)
{
	int n = ring_buffer__consume(c->rb);

	return n == -EINTR ? 0 : n;
}

/* Bytes reserved in the ring and not consumed yet (committed or not). */
static uint64_t ring_backlog(const struct capture *c)
{
	const volatile uint64_t *cons = c->rb_pos;
	const volatile uint64_t *prod = (const void *)((const char *)c->rb_pos + c->rb_pos_len / 2);

	return __atomic_load_n(prod, __ATOMIC_ACQUIRE) - __atomic_load_n(cons, __ATOMIC_ACQUIRE);
}

int capture__set_idle(struct capture *c, int idle, int *again)
{
	int n, was = c->idle;

	if (again)
		*again = 0;
	if (!idle) {
		if (was) {
			c->skel->bss->reader_idle = 0;
			c->idle = 0;
		}
		return 0;
	}
	if (!was) {
		c->skel->bss->reader_idle = 1;
		c->idle = 1;
	}
	/* The flag before the positions (submit() in nettape.bpf.c has them
	 * the other way round): an event sees the flag and wakes us, or is in
	 * the ring for the consume below, or its reservation is; only both
	 * stores still in flight on their CPUs escape both, and the look
	 * again a millisecond later (the flag was just set) catches those. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	n = capture__consume(c);
	if (n > 0) {
		c->skel->bss->reader_idle = 0;
		c->idle = 0;
		return n;
	}
	if (again)
		*again = !was || ring_backlog(c) != 0;
	return n;
}

/* ------------------------------------------------------------------ */
/* Symbols                                                            */

int capture__symbolize(struct capture *c, uint64_t addr, char *text, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, ro);

	if (!c->have_sym)
		return -EOPNOTSUPP;
	if (!len)
		return -EINVAL;
	c->skel->bss->sym_addr = addr;
	c->skel->bss->sym_name[0] = '\0';
	if (bpf_prog_test_run_opts(bpf_program__fd(c->skel->progs.sym_resolve), &ro))
		return -errno;
	snprintf(text, len, "%.*s", (int)sizeof(c->skel->bss->sym_name), c->skel->bss->sym_name);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Losses                                                             */

void capture__loss_poll(struct capture *c)
{
	uint64_t *vals = calloc((size_t)c->ncpu, sizeof(uint64_t));
	uint64_t now = now_boot_ns();
	uint32_t cls;
	int cpu;

	if (!vals)
		return;
	for (cls = 0; cls < NTB_NCLASS; cls++) {
		if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.losses), &cls, vals))
			continue;
		for (cpu = 0; cpu < c->ncpu; cpu++) {
			uint64_t *prev = &c->loss_prev[cls * (uint32_t)c->ncpu + (uint32_t)cpu];
			uint64_t d = vals[cpu] - *prev;

			if (!d)
				continue;
			*prev = vals[cpu];
			c->st.lost[cls] += d;
			if (c->w) {
				int err = tape_writer__loss(c->w, decode_rec_type(cls), (uint16_t)cpu, d,
							    c->loss_ns, now);
				if (err)
					c->last_err = err;
			}
		}
	}
	c->loss_ns = now;
	free(vals);
}

/* ------------------------------------------------------------------ */
/* Open sockets                                                       */

/* NT_REC_LISTEN for a listener of the dump: its accept queue and the drops
 * (overflows) since its previous sample. Returns 1 if written. */
static int listen_record(struct capture *c, struct tape_writer *w, const struct ntb_sockdump *d,
			 const struct nt_conn *conn, uint64_t ts, int only_busy)
{
	struct listen_slot *ls = &c->listeners[nt_mix64(d->s.c.cookie) & (LISTEN_CACHE - 1)];
	struct nt_ev_listen l;
	uint32_t over = ls->cookie == d->s.c.cookie ? d->s.drops - ls->drops : 0;
	int err;

	ls->cookie = d->s.c.cookie;
	ls->drops = d->s.drops;
	if (only_busy && !d->s.backlog && !over)
		return 0;
	memset(&l, 0, sizeof(l));
	l.c = *conn;
	l.backlog = d->s.backlog;
	l.max_backlog = d->s.max_backlog;
	l.overflows = over;
	err = tape_writer__append(w, NT_REC_LISTEN, ts, &l, sizeof(l));
	if (c->event_cb)
		c->event_cb(c->event_ctx, NT_REC_LISTEN, ts, &l, sizeof(l));
	if (err) {
		c->last_err = err;
		return 0;
	}
	return 1;
}

/* Reads one iterator's records into the tape; n counts them. Returns 0 or
 * a negative errno (a read error or the tape writer's). */
static int read_dump(struct capture *c, struct tape_writer *w, int fd, int listeners_only,
		     struct u64set *seen, uint64_t ts, int *n)
{
	struct ntb_sockdump buf[64];
	size_t have = 0;

	for (;;) {
		ssize_t r = read(fd, (char *)buf + have, sizeof(buf) - have);
		size_t i, cnt;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return 0;
		have += (size_t)r;
		cnt = have / sizeof(buf[0]);
		for (i = 0; i < cnt; i++) {
			const struct ntb_sockdump *d = &buf[i];
			struct nt_ev_state s;
			int err;

			if (u64set_add(seen, d->s.c.cookie) != 1)
				continue;  /* the same socket in several fd tables */
			if (c->k) {
				kmeta__note_process(c->k, d->pid, d->comm, d->cgroup, ts);
				kmeta__note_netns(c->k, d->s.c.netns, ts);
			}
			decode_state(&d->s, &s);
			if (!s.c.pid) {
				s.c.pid = d->pid;
				s.c.cgroup = d->cgroup;
			}
			if (d->s.new_state == 10 /* TCP_LISTEN */)
				*n += listen_record(c, w, d, &s.c, ts, listeners_only);
			if (listeners_only)
				continue;
			err = tape_writer__append(w, NT_REC_SOCKET, ts, &s, sizeof(s));
			if (err) {
				c->last_err = err;
				return err;
			}
			(*n)++;
		}
		memmove(buf, (char *)buf + cnt * sizeof(buf[0]), have - cnt * sizeof(buf[0]));
		have -= cnt * sizeof(buf[0]);
	}
}

/* Creates one run of a dump iterator (in the caller's network namespace for
 * iter/tcp) and reads it into the tape. */
static int dump_iter(struct capture *c, struct tape_writer *w, struct bpf_link *link,
		     int listeners_only, struct u64set *seen, uint64_t ts, int *n)
{
	int fd = bpf_iter_create(bpf_link__fd(link)), err;

	if (fd < 0)
		return -errno;
	err = read_dump(c, w, fd, listeners_only, seen, ts, n);
	close(fd);
	return err;
}

/* Runs an iterator whose program only fills maps. */
static int run_iter(struct bpf_link *link)
{
	char buf[256];
	ssize_t r;
	int fd = bpf_iter_create(bpf_link__fd(link));

	if (fd < 0)
		return -errno;
	while ((r = read(fd, buf, sizeof(buf))) > 0 || (r < 0 && errno == EINTR))
		;
	r = r < 0 ? -errno : 0;
	close(fd);
	return (int)r;
}

static void clear_map(int map_fd)
{
	uint64_t key, next;

	while (!bpf_map_get_next_key(map_fd, NULL, &next)) {
		key = next;
		if (bpf_map_delete_elem(map_fd, &key))
			break;
	}
}

/* One fd per network namespace in use (the first process seen in each),
 * from /proc/PID/ns/net. Returns the count; fds[] to be closed. */
static size_t netns_fds(int *fds, size_t max)
{
	struct u64set inos = { 0 };
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir("/proc");

	while (d && n < max && (de = readdir(d))) {
		char path[300];
		struct stat st;
		int fd;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;    /* gone, a kernel thread, or not ours to see */
		if (fstat(fd, &st) || u64set_add(&inos, (uint64_t)st.st_ino) != 1) {
			close(fd);
			continue;
		}
		fds[n++] = fd;
	}
	if (d)
		closedir(d);
	u64set_free(&inos);
	return n;
}

/* dump_tcp once inside every network namespace: iter/tcp lists the sockets
 * of the namespace of the task that creates the iterator. */
static int dump_by_netns(struct capture *c, struct tape_writer *w, int listeners_only,
			 struct u64set *seen, uint64_t ts, int *n)
{
	int fds[4096], self, err;
	struct stat own;
	size_t nfd, i;

	err = run_iter(c->skel->links.map_sock_owners);
	if (err)
		goto out;
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	nfd = self < 0 ? 0 : netns_fds(fds, sizeof(fds) / sizeof(fds[0]));
	if (self < 0 || !nfd) {
		/* Without /proc: the recorder's own namespace only. */
		err = dump_iter(c, w, c->skel->links.dump_tcp, listeners_only, seen, ts, n);
		goto out_self;
	}
	if (fstat(self, &own))
		own.st_ino = 0;
	for (i = 0; i < nfd && !err; i++) {
		struct stat st;
		int fd;

		if (own.st_ino && !fstat(fds[i], &st) && st.st_ino == own.st_ino) {
			/* Our own namespace: no setns (it needs CAP_SYS_ADMIN even here). */
			err = dump_iter(c, w, c->skel->links.dump_tcp, listeners_only, seen, ts, n);
			continue;
		}
		if (setns(fds[i], CLONE_NEWNET)) {
			if (!c->setns_warned)
				log_warn("socket dump: cannot enter a network namespace (%s): sockets "
					 "open before the start there are not listed (needs "
					 "CAP_SYS_ADMIN)", strerror(errno));
			c->setns_warned = 1;
			continue;
		}
		fd = bpf_iter_create(bpf_link__fd(c->skel->links.dump_tcp));
		if (fd < 0)
			err = -errno;
		if (setns(self, CLONE_NEWNET)) {
			/* Cannot happen with the right to leave; say it loudly. */
			log_error("socket dump: cannot return to the recorder's network "
				  "namespace: %s", strerror(errno));
			if (fd >= 0)
				close(fd);
			err = -errno;
			break;
		}
		if (fd >= 0) {
			err = read_dump(c, w, fd, listeners_only, seen, ts, n);
			close(fd);
		}
	}
	for (i = 0; i < nfd; i++)
		close(fds[i]);
out_self:
	if (self >= 0)
		close(self);
out:
	clear_map(bpf_map__fd(c->skel->maps.sock_owners));
	return err;
}

int capture__dump_sockets(struct capture *c, struct tape_writer *w, int listeners_only)
{
	struct u64set seen = { 0 };
	uint64_t ts = now_boot_ns();
	int n = 0, err;

	c->skel->bss->dump_mode = listeners_only ? 1 : 0;
	if (listeners_only && c->dump_by_netns && c->skel->links.dump_listen_files)
		err = dump_iter(c, w, c->skel->links.dump_listen_files, 1, &seen, ts, &n);
	else if (c->dump_by_netns)
		err = dump_by_netns(c, w, listeners_only, &seen, ts, &n);
	else if (!c->skel->links.dump_socks)
		err = -ENOENT;
	else
		err = dump_iter(c, w, c->skel->links.dump_socks, listeners_only, &seen, ts, &n);
	c->skel->bss->dump_mode = 0;
	u64set_free(&seen);
	return err && !n ? err : n;
}

/* ------------------------------------------------------------------ */

void capture__stats(const struct capture *c, struct capture_stats *st)
{
	*st = c->st;
}

int capture__take_error(struct capture *c)
{
	int err = c->last_err;

	c->last_err = 0;
	return err;
}

int capture__prog_stats(const struct capture *c, const char *prog, uint64_t *run_ns,
			uint64_t *run_cnt)
{
	struct bpf_program *p = bpf_object__find_program_by_name(c->skel->obj, prog);
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd;

	if (!p)
		return -ENOENT;
	fd = bpf_program__fd(p);
	if (fd < 0)
		return -ENOENT;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*run_ns = info.run_time_ns;
	*run_cnt = info.run_cnt;
	return 0;
}

const char *const *capture__programs(const struct capture *c)
{
	return c->progs;
}
