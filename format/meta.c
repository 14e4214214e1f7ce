/* meta.c: the metadata tables of a tape (enum names, symbols, processes, cgroups, netns, sockets ...). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mix.h"
#include "tape_int.h"

struct meta_ent {
	uint64_t key;
	uint8_t *data;       /* len bytes + a NUL, malloc'd (so aligned for the structs) */
	char *s1, *s2;       /* CGROUP: path, container (NUL-terminated copies) */
	uint32_t len;
	uint32_t klen;       /* CONFIG: length of the key part */
};

struct meta_tab {
	struct meta_ent *v;
	size_t n, cap;
	uint32_t *slots;     /* open addressing: index + 1, 0 = empty */
	size_t nslots;
	uint32_t *sorted;    /* SYMBOL: indexes sorted by address (lazy) */
	int sorted_ok;
};

struct tape_meta {
	struct meta_tab tab[256];
};

static int meta_keyed(uint16_t type)
{
	switch (type) {
	case NT_REC_ENUM_NAME: case NT_REC_SYMBOL: case NT_REC_PROCESS: case NT_REC_CGROUP:
	case NT_REC_NETNS: case NT_REC_IFACE: case NT_REC_SOCKET: case NT_REC_CONFIG:
		return 1;
	default:
		return 0;
	}
}

int meta_is_snapshot_type(uint16_t type)
{
	return type != NT_REC_LOSS && type != NT_REC_PIN;
}



static uint64_t str_hash(const uint8_t *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

struct tape_meta *tape_meta__new(void)
{
	return calloc(1, sizeof(struct tape_meta));
}

static void ent_free(struct meta_ent *e)
{
	free(e->data);
	free(e->s1);
	free(e->s2);
}

static void tab_clear(struct meta_tab *t)
{
	for (size_t i = 0; i < t->n; i++)
		ent_free(&t->v[i]);
	free(t->v);
	free(t->slots);
	free(t->sorted);
	memset(t, 0, sizeof(*t));
}

void tape_meta__free(struct tape_meta *m)
{
	if (!m)
		return;
	for (int i = 0; i < 256; i++)
		tab_clear(&m->tab[i]);
	free(m);
}

static int ent_eq(const struct meta_ent *a, uint16_t type, uint64_t key, const uint8_t *kstr,
		  uint32_t klen)
{
	if (a->key != key)
		return 0;
	if (type == NT_REC_CONFIG)
		return a->klen == klen && !memcmp(a->data, kstr, klen);
	return 1;
}

/* Returns the entry index or -1. */
static long tab_find(const struct meta_tab *t, uint16_t type, uint64_t key, const uint8_t *kstr,
		     uint32_t klen)
{
	size_t mask, i;

	if (!t->nslots)
		return -1;
	mask = t->nslots - 1;
	for (i = nt_mix64(key) & mask;; i = (i + 1) & mask) {
		uint32_t s = t->slots[i];
		if (!s)
			return -1;
		if (ent_eq(&t->v[s - 1], type, key, kstr, klen))
			return (long)s - 1;
	}
}

static void slot_insert(struct meta_tab *t, uint64_t key, uint32_t idx)
{
	size_t mask = t->nslots - 1, i;
	for (i = nt_mix64(key) & mask; t->slots[i]; i = (i + 1) & mask)
		;
	t->slots[i] = idx + 1;
}

static int tab_grow_slots(struct meta_tab *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 64;
	uint32_t *s = calloc(n, sizeof(*s));
	if (!s)
		return -ENOMEM;
	free(t->slots);
	t->slots = s;
	t->nslots = n;
	for (size_t i = 0; i < t->n; i++)
		slot_insert(t, t->v[i].key, (uint32_t)i);
	return 0;
}

static char *dup_text(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		return NULL;
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

/* Computes the key of a record; checks the record's own length fields. */
static int ent_key(uint16_t type, const uint8_t *d, uint32_t len, uint64_t *key, uint32_t *klen)
{
	const uint8_t *eq;

	*klen = 0;
	switch (type) {
	case NT_REC_ENUM_NAME:
		*key = ((uint64_t)get_u16(d) << 32) | get_u32(d + 4);
		break;
	case NT_REC_SYMBOL: case NT_REC_CGROUP: case NT_REC_SOCKET:
		*key = get_u64(d);
		if (type == NT_REC_CGROUP &&
		    (uint32_t)get_u16(d + 8) + get_u16(d + 10) > len - sizeof(struct nt_rec_cgroup))
			return -EINVAL;
		break;
	case NT_REC_PROCESS: case NT_REC_NETNS:
		*key = get_u32(d);
		break;
	case NT_REC_IFACE:
		*key = ((uint64_t)get_u32(d) << 32) | get_u32(d + 4);
		break;
	case NT_REC_CONFIG:
		eq = memchr(d, '=', len);
		*klen = eq ? (uint32_t)(eq - d) : len;
		*key = str_hash(d, *klen);
		break;
	default:
		*key = 0;
		break;
	}
	return 0;
}

int tape_meta__add(struct tape_meta *m, uint16_t type, const void *data, uint32_t len)
{
	struct meta_tab *t;
	struct meta_ent e = { 0 };
	long idx = -1;
	int err;

	if (!m || !nt_rec_is_meta(type) || (len && !data) || len > REC_MAX_PAYLOAD)
		return -EINVAL;
	uint32_t keep = len;
	if (len < nt_rec_min_size(type)) {
		/* NT_REC_SOCKET grows with NT_REC_STATE (docs/FORMAT.md section 14):
		 * an older, shorter one is kept zero-filled, as readers do with events */
		if (type != NT_REC_SOCKET || len < NT_REC_SOCKET_MIN_V1)
			return -EINVAL;
		keep = nt_rec_min_size(type);
	}
	err = ent_key(type, data, len, &e.key, &e.klen);
	if (err)
		return err;
	e.len = keep;
	e.data = calloc(1, (size_t)keep + 1);
	if (!e.data)
		return -ENOMEM;
	if (len)
		memcpy(e.data, data, len);
	if (type == NT_REC_CGROUP) {
		const uint8_t *d = data;
		uint16_t pl = get_u16(d + 8), cl = get_u16(d + 10);
		e.s1 = dup_text(d + sizeof(struct nt_rec_cgroup), pl);
		e.s2 = dup_text(d + sizeof(struct nt_rec_cgroup) + pl, cl);
		if (!e.s1 || !e.s2) {
			err = -ENOMEM;
			goto cleanup;
		}
	}

	t = &m->tab[type];
	if (meta_keyed(type))
		idx = tab_find(t, type, e.key, e.data, e.klen);
	if (idx >= 0) {
		ent_free(&t->v[idx]);
		t->v[idx] = e;
		t->sorted_ok = 0;
		return 0;
	}
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		struct meta_ent *nv = realloc(t->v, ncap * sizeof(*nv));
		if (!nv) {
			err = -ENOMEM;
			goto cleanup;
		}
		t->v = nv;
		t->cap = ncap;
	}
	if (t->n >= UINT32_MAX - 1) {
		err = -ENOMEM;
		goto cleanup;
	}
	t->v[t->n++] = e;
	t->sorted_ok = 0;
	if (meta_keyed(type)) {
		if ((t->n + 1) * 2 > t->nslots) {
			err = tab_grow_slots(t);
			if (err) {
				t->n--;
				goto cleanup;
			}
		} else {
			slot_insert(t, e.key, (uint32_t)(t->n - 1));
		}
	}
	return 0;
cleanup:
	ent_free(&e);
	return err;
}

void tape_meta__clear_sockets(struct tape_meta *m)
{
	if (m)
		tab_clear(&m->tab[NT_REC_SOCKET]);
}

int tape_meta__foreach(const struct tape_meta *m,
		       int (*cb)(void *ctx, uint16_t type, const void *data, uint32_t len),
		       void *ctx)
{
	if (!m || !cb)
		return 0;
	for (int type = 1; type < 256; type++) {
		const struct meta_tab *t = &m->tab[type];
		for (size_t i = 0; i < t->n; i++) {
			int r = cb(ctx, (uint16_t)type, t->v[i].data, t->v[i].len);
			if (r)
				return r;
		}
	}
	return 0;
}

static const struct meta_ent *lookup(const struct tape_meta *m, uint16_t type, uint64_t key)
{
	long idx;
	if (!m)
		return NULL;
	idx = tab_find(&m->tab[type], type, key, NULL, 0);
	return idx < 0 ? NULL : &m->tab[type].v[idx];
}

const char *tape_meta__enum_name(const struct tape_meta *m, uint16_t kind, uint32_t value)
{
	const struct meta_ent *e = lookup(m, NT_REC_ENUM_NAME, ((uint64_t)kind << 32) | value);
	return e ? (const char *)e->data + sizeof(struct nt_rec_enum_name) : NULL;
}

static int sym_cmp(const void *a, const void *b, void *ctx)
{
	const struct meta_tab *t = ctx;
	uint64_t x = t->v[*(const uint32_t *)a].key;
	uint64_t y = t->v[*(const uint32_t *)b].key;
	return x < y ? -1 : x > y;
}

const char *tape_meta__symbol(const struct tape_meta *m, uint64_t addr, uint64_t *off)
{
	struct meta_tab *t;
	size_t lo = 0, hi;

	if (!m)
		return NULL;
	/* The sorted view is a cache: m is not logically modified. */
	t = (struct meta_tab *)&m->tab[NT_REC_SYMBOL];
	if (!t->n)
		return NULL;
	if (!t->sorted_ok) {
		uint32_t *s = realloc(t->sorted, t->n * sizeof(*s));
		if (!s)
			return NULL;
		t->sorted = s;
		for (size_t i = 0; i < t->n; i++)
			s[i] = (uint32_t)i;
		qsort_r(s, t->n, sizeof(*s), sym_cmp, t);
		t->sorted_ok = 1;
	}
	hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->v[t->sorted[mid]].key <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	if (off)
		*off = addr - t->v[t->sorted[lo - 1]].key;
	return (const char *)t->v[t->sorted[lo - 1]].data + sizeof(struct nt_rec_symbol);
}

const struct nt_rec_process *tape_meta__process(const struct tape_meta *m, uint32_t pid,
						const char **cmdline)
{
	const struct meta_ent *e = lookup(m, NT_REC_PROCESS, pid);
	if (!e)
		return NULL;
	if (cmdline)
		*cmdline = (const char *)e->data + sizeof(struct nt_rec_process);
	return (const struct nt_rec_process *)(const void *)e->data;
}

const char *tape_meta__cgroup_path(const struct tape_meta *m, uint64_t id)
{
	const struct meta_ent *e = lookup(m, NT_REC_CGROUP, id);
	return e ? e->s1 : NULL;
}

const char *tape_meta__container(const struct tape_meta *m, uint64_t cgroup_id)
{
	const struct meta_ent *e = lookup(m, NT_REC_CGROUP, cgroup_id);
	return e && e->s2[0] ? e->s2 : NULL;
}

const char *tape_meta__netns_name(const struct tape_meta *m, uint32_t inode)
{
	const struct meta_ent *e = lookup(m, NT_REC_NETNS, inode);
	return e ? (const char *)e->data + sizeof(struct nt_rec_netns) : NULL;
}

const char *tape_meta__iface_name(const struct tape_meta *m, uint32_t netns, uint32_t ifindex)
{
	const struct meta_ent *e = lookup(m, NT_REC_IFACE, ((uint64_t)netns << 32) | ifindex);
	return e ? (const char *)e->data + sizeof(struct nt_rec_iface) : NULL;
}

const struct nt_ev_state *tape_meta__socket(const struct tape_meta *m, uint64_t cookie)
{
	const struct meta_ent *e = lookup(m, NT_REC_SOCKET, cookie);
	return e ? (const struct nt_ev_state *)(const void *)e->data : NULL;
}

const char *tape_meta__config(const struct tape_meta *m, const char *key)
{
	size_t klen;
	long idx;
	const struct meta_ent *e;

	if (!m || !key)
		return NULL;
	klen = strlen(key);
	if (klen > REC_MAX_PAYLOAD)
		return NULL;
	idx = tab_find(&m->tab[NT_REC_CONFIG], NT_REC_CONFIG, str_hash((const uint8_t *)key, klen),
		       (const uint8_t *)key, (uint32_t)klen);
	if (idx < 0)
		return NULL;
	e = &m->tab[NT_REC_CONFIG].v[idx];
	return e->klen < e->len ? (const char *)e->data + e->klen + 1 : "";
}

size_t tape_meta__count(const struct tape_meta *m, uint16_t type)
{
	if (!m || !nt_rec_is_meta(type))
		return 0;
	return m->tab[type].n;
}

const char *tape_tcp_state_name(uint32_t state)
{
	static const char *const names[] = {
		[1] = "ESTABLISHED", [2] = "SYN_SENT", [3] = "SYN_RECV", [4] = "FIN_WAIT1",
		[5] = "FIN_WAIT2", [6] = "TIME_WAIT", [7] = "CLOSE", [8] = "CLOSE_WAIT",
		[9] = "LAST_ACK", [10] = "LISTEN", [11] = "CLOSING", [12] = "NEW_SYN_RECV",
		[13] = "BOUND_INACTIVE",
	};
	if (state < sizeof(names) / sizeof(names[0]))
		return names[state];
	return NULL;
}

const char *tape_ca_state_name(uint32_t state)
{
	static const char *const names[] = { "Open", "Disorder", "CWR", "Recovery", "Loss" };
	if (state < sizeof(names) / sizeof(names[0]))
		return names[state];
	return NULL;
}
