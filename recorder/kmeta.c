/* kmeta.c: enum names from BTF, kallsyms, processes from /proc, cgroup paths and containers, netns and interface names. */
#include "kmeta.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "log.h"
#include "util.h"

struct ksym {
	uint64_t addr;
	uint32_t name;   /* offset in names */
};

struct cg_entry {
	uint64_t id;
	char *path;
};

struct ns_entry {
	uint32_t inode;
	int named;
};

struct kmeta {
	struct tape_meta *meta;
	struct tape_writer *w;

	/* drop reason names (prefix stripped) for --noise */
	struct { uint32_t value; char *name; } *reasons;
	size_t nreasons;

	struct ksym *syms;
	size_t nsyms, syms_cap;
	int ksyms_state;     /* 0 not read yet, 1 read, -1 unreadable */
	/* the kernel's own lookup (capture__symbolize), NULL: kallsyms */
	int (*symbolize)(void *ctx, uint64_t addr, char *text, size_t len);
	void *sym_ctx;
	struct u64set loc_seen;  /* drop locations already looked up */
	char *names;
	size_t names_len, names_cap;

	struct u64set sym_seen, ns_seen, cg_seen, proc_seen, if_seen;

	/* cgroup id -> path, rebuilt from a walk of the cgroup2 mount */
	char cg_root[4096];
	struct cg_entry *cgs;
	size_t ncgs;
	uint64_t cg_walk_ns;

	struct ns_entry *ns;
	size_t nns;
	uint32_t init_netns;
};

/* ------------------------------------------------------------------ */

static void emit(struct kmeta *k, uint16_t type, uint64_t ts, const void *data, uint32_t len)
{
	int err = tape_meta__add(k->meta, type, data, len);

	if (err)
		log_debug("metadata record 0x%04x not stored: %s", type, tape_strerror(err));
	if (k->w) {
		err = tape_writer__append(k->w, type, ts, data, len);
		if (err)
			log_debug("metadata record 0x%04x not written: %s", type, tape_strerror(err));
	}
}

static void add_enum_name(struct kmeta *k, uint16_t kind, uint32_t value, const char *name)
{
	unsigned char buf[sizeof(struct nt_rec_enum_name) + 256];
	struct nt_rec_enum_name e = { .kind = kind, .value = value };
	size_t n = strnlen(name, 255);

	memcpy(buf, &e, sizeof(e));
	memcpy(buf + sizeof(e), name, n);
	emit(k, NT_REC_ENUM_NAME, 0, buf, sizeof(e) + n);
}

/* Calls add_enum_name for every value of a BTF enum, stripping prefix. */
static int load_enum(struct kmeta *k, const struct btf *btf, const struct btf_type *t,
		     uint16_t kind, const char *prefix)
{
	size_t plen = strlen(prefix);
	int i, n = btf_vlen(t);

	for (i = 0; i < n; i++) {
		const char *name;
		uint64_t v;

		if (btf_is_enum64(t)) {
			const struct btf_enum64 *e = btf_enum64(t) + i;

			name = btf__name_by_offset(btf, e->name_off);
			v = btf_enum64_value(e);
		} else {
			const struct btf_enum *e = btf_enum(t) + i;

			name = btf__name_by_offset(btf, e->name_off);
			v = (uint32_t)e->val;
		}
		if (!name)
			continue;
		if (!strncmp(name, prefix, plen))
			name += plen;
		if (kind == NT_ENUM_DROP_REASON && !strcmp(name, "MAX"))
			continue;
		add_enum_name(k, kind, (uint32_t)v, name);
		if (kind == NT_ENUM_DROP_REASON) {
			void *p = realloc(k->reasons, (k->nreasons + 1) * sizeof(*k->reasons));

			if (!p)
				return -ENOMEM;
			k->reasons = p;
			k->reasons[k->nreasons].value = (uint32_t)v;
			k->reasons[k->nreasons].name = strdup(name);
			if (!k->reasons[k->nreasons].name)
				return -ENOMEM;
			k->nreasons++;
		}
	}
	return 0;
}

/* Finds an enum by name, or (name == NULL) the enum holding member. */
static const struct btf_type *find_enum(const struct btf *btf, const char *name, const char *member)
{
	int id, n = btf__type_cnt(btf);

	if (name) {
		id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM);
		if (id < 0)
			id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM64);
		return id < 0 ? NULL : btf__type_by_id(btf, id);
	}
	for (id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		int i;

		if (!btf_is_enum(t))
			continue;
		for (i = 0; i < btf_vlen(t); i++) {
			const char *m = btf__name_by_offset(btf, btf_enum(t)[i].name_off);

			if (m && !strcmp(m, member))
				return t;
		}
	}
	return NULL;
}

static int load_btf_enums(struct kmeta *k, const struct btf *vmlinux)
{
	struct btf *own = vmlinux ? NULL : btf__load_vmlinux_btf();
	const struct btf *btf = vmlinux ? vmlinux : own;
	const struct btf_type *t;
	int err = 0;

	if (!btf)
		return -errno ? -errno : -ENOENT;
	t = find_enum(btf, "skb_drop_reason", NULL);
	if (t)
		err = load_enum(k, btf, t, NT_ENUM_DROP_REASON, "SKB_DROP_REASON_");
	else
		log_warn("kernel BTF has no enum skb_drop_reason: drop reasons stay numeric");
	t = find_enum(btf, "sk_rst_reason", NULL);
	if (!err && t)
		err = load_enum(k, btf, t, NT_ENUM_RST_REASON, "SK_RST_REASON_");
	t = find_enum(btf, "tcp_ca_state", NULL);
	if (!err && t)
		err = load_enum(k, btf, t, NT_ENUM_CA_STATE, "TCP_CA_");
	t = find_enum(btf, NULL, "TCP_ESTABLISHED");
	if (!err && t)
		err = load_enum(k, btf, t, NT_ENUM_TCP_STATE, "TCP_");
	btf__free(own);
	return err;
}

int kmeta__drop_reason(const struct kmeta *k, const char *name, uint32_t *value)
{
	size_t i;

	if (!strncasecmp(name, "SKB_DROP_REASON_", 16))
		name += 16;
	for (i = 0; i < k->nreasons; i++) {
		if (!strcasecmp(k->reasons[i].name, name)) {
			*value = k->reasons[i].value;
			return 0;
		}
	}
	return -ENOENT;
}

/* ------------------------------------------------------------------ */
/* kallsyms                                                           */

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* One line of /proc/kallsyms, "ADDR TYPE NAME[\t[MODULE]]\n", at p (end
 * at e): adds text symbols. Returns the start of the next line. */
static const char *ksym_line(struct kmeta *k, const char *p, const char *e, int *err)
{
	const char *nl = memchr(p, '\n', (size_t)(e - p)), *name, *ne;
	uint64_t addr = 0;
	size_t n;
	char type;
	int digits = 0;

	if (!nl)
		nl = e;
	for (; p < nl; p++, digits++) {
		int v = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 :
			*p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;

		if (v < 0)
			break;
		addr = addr << 4 | (uint64_t)v;
	}
	if (!digits || digits > 16 || nl - p < 4 || p[0] != ' ' || p[2] != ' ')
		return nl + (nl < e);
	type = p[1];
	if ((type != 't' && type != 'T' && type != 'w' && type != 'W') || !addr)
		return nl + (nl < e);
	name = p + 3;
	for (ne = name; ne < nl && *ne != ' ' && *ne != '\t'; ne++)
		;
	n = (size_t)(ne - name);
	if (!n)
		return nl + (nl < e);
	if (n > 255)
		n = 255;
	if (k->nsyms == k->syms_cap) {
		size_t ncap = k->syms_cap ? k->syms_cap * 2 : 65536;
		void *q = realloc(k->syms, ncap * sizeof(*k->syms));

		if (!q) {
			*err = -ENOMEM;
			return e;
		}
		k->syms = q;
		k->syms_cap = ncap;
	}
	if (k->names_len + n + 1 > k->names_cap) {
		size_t ncap = k->names_cap ? k->names_cap * 2 : 1 << 20;
		void *q = realloc(k->names, ncap);

		if (!q) {
			*err = -ENOMEM;
			return e;
		}
		k->names = q;
		k->names_cap = ncap;
	}
	memcpy(k->names + k->names_len, name, n);
	k->names[k->names_len + n] = '\0';
	k->syms[k->nsyms].addr = addr;
	k->syms[k->nsyms].name = (uint32_t)k->names_len;
	k->names_len += n + 1;
	k->nsyms++;
	return nl + (nl < e);
}

/* Reads the text symbols of /proc/kallsyms (once, at the first drop
 * location to name: ~120k lines, the kernel's formatting of them is most of
 * the cost). Large reads, a hand-written line parser, no stdio. */
static int load_kallsyms(struct kmeta *k)
{
	size_t cap = 1 << 20, have = 0;
	char *buf = malloc(cap);
	int fd = open("/proc/kallsyms", O_RDONLY | O_CLOEXEC), err = 0;
	int sorted = 1;
	size_t i;

	if (fd < 0 || !buf) {
		err = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf + have, cap - have);
		const char *p = buf, *e, *last;

		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		have += (size_t)r;
		e = buf + have;
		/* Complete lines only; at the end of the file, the rest too. */
		last = r ? NULL : e;
		if (!last) {
			const char *q = e;

			while (q > buf && q[-1] != '\n')
				q--;
			last = q;
		}
		while (p < last && !err)
			p = ksym_line(k, p, last, &err);
		if (err || !r)
			break;
		have = (size_t)(e - last);
		memmove(buf, last, have);
		if (have == cap) {  /* a line longer than the buffer: drop it */
			have = 0;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	for (i = 1; i < k->nsyms && sorted; i++)
		sorted = k->syms[i - 1].addr <= k->syms[i].addr;
	if (!err && k->nsyms && !sorted)
		qsort(k->syms, k->nsyms, sizeof(*k->syms), ksym_cmp);
	if (!err && !k->nsyms)
		err = -EPERM;  /* addresses hidden (kptr_restrict) */
	return err;
}

/* Whether /proc/kallsyms shows addresses (its first line only: cheap). */
static int probe_kallsyms(void)
{
	char line[256];
	int fd = open("/proc/kallsyms", O_RDONLY | O_CLOEXEC);
	ssize_t r;
	int i;

	if (fd < 0)
		return -errno;
	r = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (r <= 0)
		return -EIO;
	line[r] = '\0';
	for (i = 0; i < r && line[i] != ' '; i++)
		if (line[i] != '0')
			return 0;
	return -EPERM;
}

static void warn_kallsyms(int err)
{
	log_warn("cannot read kernel symbols from /proc/kallsyms (%s): drop locations "
		 "stay unnamed (needs CAP_SYSLOG or kernel.kptr_restrict=0)",
		 err == -EPERM ? "addresses hidden" : strerror(-err));
}

/* Without the kernel's lookup: whether kallsyms will do (its first line),
 * read at the first drop location then. */
static void kallsyms_fallback(struct kmeta *k)
{
	int err;

	if (k->ksyms_state)
		return;
	err = probe_kallsyms();
	if (err) {
		k->ksyms_state = -1;
		warn_kallsyms(err);
	}
}

int kmeta__have_symbols(const struct kmeta *k)
{
	return k->symbolize || k->ksyms_state >= 0;
}

void kmeta__set_symbolizer(struct kmeta *k, int (*fn)(void *ctx, uint64_t addr, char *text,
						       size_t len),
			   void *ctx)
{
	k->symbolize = fn;
	k->sym_ctx = ctx;
	if (!fn)
		kallsyms_fallback(k);
}

int kmeta_parse_symbol(const char *text, uint64_t addr, uint64_t *start, char *name, size_t len)
{
	const char *plus = strchr(text, '+'), *p;
	uint64_t off = 0;
	size_t n;
	int digits = 0;

	if (!plus || plus == text || strncmp(plus, "+0x", 3) || !len)
		return -ENOENT;
	for (p = plus + 3; *p && *p != '/'; p++, digits++) {
		int v = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;

		if (v < 0 || digits == 16)
			return -ENOENT;
		off = off << 4 | (uint64_t)v;
	}
	if (!digits || *p != '/' || off > addr)
		return -ENOENT;
	for (p = text; p < plus; p++)
		if (*p == ' ' || *p == '\t')
			return -ENOENT;
	n = (size_t)(plus - text);
	if (n >= len)
		n = len - 1;
	memcpy(name, text, n);
	name[n] = '\0';
	*start = addr - off;
	return 0;
}

/* One NT_REC_SYMBOL per symbol start. */
static void emit_symbol(struct kmeta *k, uint64_t start, const char *name, uint64_t ts)
{
	unsigned char buf[sizeof(struct nt_rec_symbol) + 256];
	struct nt_rec_symbol s;
	size_t n;

	if (u64set_add(&k->sym_seen, start) != 1)
		return;
	s.addr = start;
	n = strnlen(name, 255);
	memcpy(buf, &s, sizeof(s));
	memcpy(buf + sizeof(s), name, n);
	emit(k, NT_REC_SYMBOL, ts, buf, sizeof(s) + n);
}

/* The kernel's lookup: once per distinct location. Returns 0 when it
 * answered (named or not), -EOPNOTSUPP when it cannot (kallsyms then). */
static int note_symbol_lookup(struct kmeta *k, uint64_t addr, uint64_t ts)
{
	char text[320], name[256];
	uint64_t start;
	int err;

	if (u64set_has(&k->loc_seen, addr))
		return 0;
	err = k->symbolize(k->sym_ctx, addr, text, sizeof(text));
	if (err) {
		/* cannot on this kernel, or the lookup failed: kallsyms from now on */
		log_debug("kernel symbol lookup: %s; reading /proc/kallsyms instead",
			  strerror(-err));
		k->symbolize = NULL;
		kallsyms_fallback(k);
		return -EOPNOTSUPP;
	}
	if (u64set_add(&k->loc_seen, addr) < 0)
		return 0;   /* out of memory: asked again next time */
	if (!kmeta_parse_symbol(text, addr, &start, name, sizeof(name)))
		emit_symbol(k, start, name, ts);
	else
		log_debug("drop location 0x%llx has no kernel symbol (%s)", (unsigned long long)addr,
			  text);
	return 0;
}

void kmeta__note_symbol(struct kmeta *k, uint64_t addr, uint64_t ts)
{
	size_t lo = 0, hi;

	if (!addr)
		return;
	if (k->symbolize && note_symbol_lookup(k, addr, ts) != -EOPNOTSUPP)
		return;
	if (k->ksyms_state < 0)
		return;
	if (!k->ksyms_state) {
		int err = load_kallsyms(k);

		k->ksyms_state = err ? -1 : 1;
		if (err) {
			warn_kallsyms(err);
			return;
		}
	}
	if (!k->nsyms || addr < k->syms[0].addr)
		return;
	hi = k->nsyms;  /* after the first call's load */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	emit_symbol(k, k->syms[lo].addr, k->names + k->syms[lo].name, ts);
}

/* ------------------------------------------------------------------ */
/* network namespaces                                                 */

static uint32_t inode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint32_t)st.st_ino;
}

/* Name of a netns inode: "init", its /run/netns name, or NULL. */
static int netns_name(struct kmeta *k, uint32_t inode, char *buf, size_t len)
{
	DIR *d;
	struct dirent *de;
	int found = 0;

	if (inode == k->init_netns) {
		snprintf(buf, len, "init");
		return 1;
	}
	d = opendir("/run/netns");
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		if (inode_of(path) == inode) {
			snprintf(buf, len, "%s", de->d_name);
			found = 1;
			break;
		}
	}
	closedir(d);
	return found;
}

static void emit_netns(struct kmeta *k, uint32_t inode, const char *name, uint64_t ts)
{
	unsigned char buf[sizeof(struct nt_rec_netns) + 256];
	struct nt_rec_netns r = { .inode = inode };
	size_t n = strnlen(name, 255);

	memcpy(buf, &r, sizeof(r));
	memcpy(buf + sizeof(r), name, n);
	emit(k, NT_REC_NETNS, ts, buf, sizeof(r) + n);
}

void kmeta__note_netns(struct kmeta *k, uint32_t inode, uint64_t ts)
{
	char name[256];
	int named;
	void *p;

	if (!inode || u64set_add(&k->ns_seen, inode) != 1)
		return;
	named = netns_name(k, inode, name, sizeof(name));
	if (!named)
		snprintf(name, sizeof(name), "ns:%u", inode);
	emit_netns(k, inode, name, ts);
	p = realloc(k->ns, (k->nns + 1) * sizeof(*k->ns));
	if (!p)
		return;
	k->ns = p;
	k->ns[k->nns].inode = inode;
	k->ns[k->nns].named = named;
	k->nns++;
}

void kmeta__refresh(struct kmeta *k, uint64_t ts)
{
	char name[256];
	size_t i;

	for (i = 0; i < k->nns; i++) {
		if (k->ns[i].named)
			continue;
		if (netns_name(k, k->ns[i].inode, name, sizeof(name))) {
			k->ns[i].named = 1;
			emit_netns(k, k->ns[i].inode, name, ts);
		}
	}
}

void kmeta__note_iface(struct kmeta *k, uint32_t netns, uint32_t ifindex, const char *name,
		       uint64_t ts)
{
	unsigned char buf[sizeof(struct nt_rec_iface) + 16];
	struct nt_rec_iface r = { .netns = netns, .ifindex = ifindex };
	size_t n = strnlen(name, 16);

	if (!ifindex || !n)
		return;
	if (u64set_add(&k->if_seen, ((uint64_t)netns << 32 | ifindex) ^ nt_mix64(name[0] + 31ULL * n)) != 1)
		return;
	memcpy(buf, &r, sizeof(r));
	memcpy(buf + sizeof(r), name, n);
	emit(k, NT_REC_IFACE, ts, buf, sizeof(r) + n);
}

/* ------------------------------------------------------------------ */
/* cgroups and containers                                             */

static void find_cgroup2_root(struct kmeta *k)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];

	k->cg_root[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		char mnt[4096], fstype[64];

		if (!sep || sscanf(sep, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1) {
			snprintf(k->cg_root, sizeof(k->cg_root), "%s", mnt);
			break;
		}
	}
	fclose(f);
}

static void cg_free_table(struct kmeta *k)
{
	size_t i;

	for (i = 0; i < k->ncgs; i++)
		free(k->cgs[i].path);
	free(k->cgs);
	k->cgs = NULL;
	k->ncgs = 0;
}

static void cg_walk(struct kmeta *k, const char *abs, const char *rel, int depth, size_t *cap)
{
	DIR *d;
	struct dirent *de;
	struct stat st;

	if (depth > 32 || stat(abs, &st))
		return;
	if (k->ncgs == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		void *p = realloc(k->cgs, ncap * sizeof(*k->cgs));

		if (!p)
			return;
		k->cgs = p;
		*cap = ncap;
	}
	k->cgs[k->ncgs].id = st.st_ino;
	k->cgs[k->ncgs].path = strdup(*rel ? rel : "/");
	if (!k->cgs[k->ncgs].path)
		return;
	k->ncgs++;
	d = opendir(abs);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char a[4096], r[4096];

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(a, sizeof(a), "%s/%s", abs, de->d_name) >= sizeof(a) ||
		    (size_t)snprintf(r, sizeof(r), "%s/%s", rel, de->d_name) >= sizeof(r))
			continue;
		cg_walk(k, a, r, depth + 1, cap);
	}
	closedir(d);
}

/* Path of cgroup id; NULL when unknown. *final = 1 when the answer will not
 * change by asking again soon (found, or not found in a fresh walk). */
static const char *cg_lookup(struct kmeta *k, uint64_t id, int *final)
{
	size_t i, cap;

	*final = 1;
	for (i = 0; i < k->ncgs; i++)
		if (k->cgs[i].id == id)
			return k->cgs[i].path;
	if (!k->cg_root[0])
		return NULL;
	/* Unknown: re-walk, at most every 5 s. */
	if (now_mono_ns() - k->cg_walk_ns < 5000000000ULL) {
		*final = 0;
		return NULL;
	}
	k->cg_walk_ns = now_mono_ns();
	cg_free_table(k);
	cap = 0;
	cg_walk(k, k->cg_root, "", 0, &cap);
	for (i = 0; i < k->ncgs; i++)
		if (k->cgs[i].id == id)
			return k->cgs[i].path;
	return NULL;
}

static int is_hex_run(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

void kmeta_container_id(const char *path, char *buf, size_t len)
{
	const char *end = path + strlen(path);

	buf[0] = '\0';
	/* Deepest path component first: ".../docker-<64 hex>.scope",
	 * ".../docker/<64 hex>", "cri-containerd-<id>.scope", "crio-<id>.scope",
	 * "libpod-<id>.scope", ".../kubepods/.../pod<uid>/<64 hex>". */
	while (end > path) {
		const char *start = end;
		const char *p;

		while (start > path && start[-1] != '/')
			start--;
		for (p = start; p + 64 <= end; p++) {
			if ((p == start || !isxdigit((unsigned char)p[-1])) && is_hex_run(p, 64) &&
			    (p + 64 == end || !isxdigit((unsigned char)p[64]))) {
				snprintf(buf, len, "%.64s", p);
				return;
			}
		}
		end = start > path ? start - 1 : path;
	}
}

void kmeta__note_cgroup(struct kmeta *k, uint64_t id, uint64_t ts)
{
	unsigned char buf[sizeof(struct nt_rec_cgroup) + 4096 + 64];
	struct nt_rec_cgroup r = { .id = id };
	const char *path;
	char cid[80];
	size_t plen, clen;
	int final;

	if (!id || u64set_has(&k->cg_seen, id))
		return;
	/* A cgroup not found in a fresh walk (already removed) is recorded
	 * with an empty path, once. */
	path = cg_lookup(k, id, &final);
	if (!final)
		return;
	u64set_add(&k->cg_seen, id);
	path = path ? path : "";
	kmeta_container_id(path, cid, sizeof(cid));
	plen = strnlen(path, 4096);
	clen = strlen(cid);
	r.path_len = (uint16_t)plen;
	r.container_len = (uint16_t)clen;
	memcpy(buf, &r, sizeof(r));
	memcpy(buf + sizeof(r), path, plen);
	memcpy(buf + sizeof(r) + plen, cid, clen);
	emit(k, NT_REC_CGROUP, ts, buf, sizeof(r) + plen + clen);
}

/* ------------------------------------------------------------------ */
/* processes                                                          */

static void read_proc_stat(uint32_t pid, uint32_t *ppid, uint64_t *start_ns)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	int fd, n, ppid_i = 0;

	*ppid = 0;
	*start_ns = 0;
	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	p = strrchr(buf, ')');  /* comm may hold spaces and parentheses */
	if (!p)
		return;
	/* After ") ": state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime cutime cstime priority nice threads
	 * itrealvalue starttime */
	if (sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &ppid_i, &start) == 2) {
		long hz = sysconf(_SC_CLK_TCK);

		*ppid = (uint32_t)ppid_i;
		*start_ns = hz > 0 ? start * (1000000000ULL / (unsigned long long)hz) : 0;
	}
}

/* /proc/PID/comm into comm[16] (NUL-padded). Returns 1 if read. */
static int read_proc_comm(uint32_t pid, char comm[16])
{
	char path[64], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
		n--;
	memset(comm, 0, 16);
	memcpy(comm, buf, (size_t)n > 15 ? 15 : (size_t)n);
	return 1;
}

static size_t read_cmdline(uint32_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;
	size_t i;

	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, len);
	close(fd);
	if (n <= 0)
		return 0;
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (i = 0; i < (size_t)n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	return (size_t)n;
}

void kmeta__note_process(struct kmeta *k, uint32_t pid, const char *comm, uint64_t cgroup,
			 uint64_t ts)
{
	unsigned char buf[sizeof(struct nt_rec_process) + 512];
	struct nt_rec_process r;
	uint64_t key, h = 0;
	size_t i, n;

	if (!pid)
		return;
	for (i = 0; i < 16 && comm[i]; i++)
		h = h * 131 + (unsigned char)comm[i];
	key = nt_mix64(((uint64_t)pid << 32) ^ nt_mix64(cgroup) ^ h);
	if (u64set_add(&k->proc_seen, key) != 1)
		return;
	kmeta__note_cgroup(k, cgroup, ts);
	memset(&r, 0, sizeof(r));
	r.pid = pid;
	r.cgroup = cgroup;
	/* The process's own name when it still runs (the kernel gave the
	 * name of the thread that used the socket), else the thread's. */
	if (!read_proc_comm(pid, r.comm))
		memcpy(r.comm, comm, strnlen(comm, 16));
	read_proc_stat(pid, &r.ppid, &r.start_ns);
	n = read_cmdline(pid, (char *)buf + sizeof(r), sizeof(buf) - sizeof(r));
	memcpy(buf, &r, sizeof(r));
	emit(k, NT_REC_PROCESS, ts, buf, sizeof(r) + n);
}

/* ------------------------------------------------------------------ */

struct kmeta *kmeta__new(struct tape_meta *meta, const struct btf *vmlinux)
{
	struct kmeta *k = calloc(1, sizeof(*k));
	int err;

	if (!k)
		return NULL;
	k->meta = meta;
	err = load_btf_enums(k, vmlinux);
	if (err) {
		kmeta__free(k);
		errno = -err;
		return NULL;
	}
	k->init_netns = inode_of("/proc/1/ns/net");
	find_cgroup2_root(k);
	if (!k->cg_root[0])
		log_warn("no cgroup2 mount found: cgroup paths and container ids stay unknown");
	return k;
}

void kmeta__set_writer(struct kmeta *k, struct tape_writer *w)
{
	k->w = w;
}

void kmeta__free(struct kmeta *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->nreasons; i++)
		free(k->reasons[i].name);
	free(k->reasons);
	free(k->syms);
	free(k->names);
	u64set_free(&k->sym_seen);
	u64set_free(&k->loc_seen);
	u64set_free(&k->ns_seen);
	u64set_free(&k->cg_seen);
	u64set_free(&k->proc_seen);
	u64set_free(&k->if_seen);
	cg_free_table(k);
	free(k->ns);
	free(k);
}
