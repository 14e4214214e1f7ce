/* anonymize.c: pseudonym tables, record and packet rewriting, and the pcap/bundle selection helpers. */
#include "bundle/anonymize.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* Pseudonym tables.                                                  */
/* ------------------------------------------------------------------ */

/* Internal kinds after the public enum anon_kind. */
enum {
	K_ADDR4 = ANON_KIND_MAX,
	K_ADDR6,
	K_PORT,
	K_MAC,
	K_KSYM,
	K_KADDR,    /* a kernel address without a known symbol */
	K_CGCOMP,   /* one cgroup path component */
	K_COUNT,
};

/* Fake kernel text addresses: symbols at KSYM_BASE + n * KSYM_STRIDE (offsets
 * inside a symbol kept), addresses without a symbol in a range below them. */
#define KSYM_BASE   0xfff0000000000000ull
#define KSYM_STRIDE (1ull << 24)
#define KADDR_BASE  0xffe0000000000000ull

struct entry {
	uint64_t hash;
	uint8_t *key;      /* NULL = empty slot */
	uint32_t len;
	uint8_t kind;
	uint32_t id;       /* 0-based counter within the kind */
	char *name;        /* pseudonym for the name kinds */
};

struct anon {
	struct entry *tab;
	size_t cap, n;
	uint32_t next_id[K_COUNT];
	uint8_t *out;       /* anon_record() output */
	size_t outcap;
};

static uint64_t hash_key(int kind, const void *key, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)kind; /* FNV-1a */
	const uint8_t *p = key;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

struct anon *anon__new(void)
{
	struct anon *a = calloc(1, sizeof(*a));
	if (!a) {
		errno = ENOMEM;
		return NULL;
	}
	a->cap = 256;
	a->tab = calloc(a->cap, sizeof(*a->tab));
	if (!a->tab) {
		free(a);
		errno = ENOMEM;
		return NULL;
	}
	return a;
}

void anon__free(struct anon *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->cap; i++) {
		free(a->tab[i].key);
		free(a->tab[i].name);
	}
	free(a->tab);
	free(a->out);
	free(a);
}

static int grow(struct anon *a)
{
	size_t ncap = a->cap * 2;
	struct entry *nt = calloc(ncap, sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	for (size_t i = 0; i < a->cap; i++) {
		if (!a->tab[i].key)
			continue;
		size_t j = a->tab[i].hash & (ncap - 1);
		while (nt[j].key)
			j = (j + 1) & (ncap - 1);
		nt[j] = a->tab[i];
	}
	free(a->tab);
	a->tab = nt;
	a->cap = ncap;
	return 0;
}

/* Finds or inserts (kind, key). *e receives the entry (valid until the next
 * insertion). Returns 1 if inserted (id assigned, name NULL), 0 if found, <0. */
static int table_get(struct anon *a, int kind, const void *key, size_t len, struct entry **e)
{
	uint64_t h = hash_key(kind, key, len);
	size_t j = h & (a->cap - 1);
	while (a->tab[j].key) {
		struct entry *t = &a->tab[j];
		if (t->hash == h && t->kind == kind && t->len == len && !memcmp(t->key, key, len)) {
			*e = t;
			return 0;
		}
		j = (j + 1) & (a->cap - 1);
	}
	if ((a->n + 1) * 2 > a->cap) {
		int err = grow(a);
		if (err)
			return err;
		return table_get(a, kind, key, len, e);
	}
	uint8_t *k = malloc(len ? len : 1);
	if (!k)
		return -ENOMEM;
	if (len)
		memcpy(k, key, len);
	struct entry *t = &a->tab[j];
	t->hash = h;
	t->key = k;
	t->len = (uint32_t)len;
	t->kind = (uint8_t)kind;
	t->id = a->next_id[kind]++;
	t->name = NULL;
	a->n++;
	*e = t;
	return 1;
}

static int random_bytes(uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static const char *const kind_prefix[ANON_KIND_MAX] = {
	[ANON_HOST] = "host",
	[ANON_BOOT_ID] = "boot",
	[ANON_COMM] = "comm",
	[ANON_CMDLINE] = "cmdline",
	[ANON_CGROUP] = "cg",
	[ANON_CONTAINER] = "ctr",
	[ANON_NETNS] = "netns",
	[ANON_IFACE] = "if",
};

/* Maps "/a/b/c" component by component to "/cg-1/cg-2/cg-3". */
static char *map_cgroup(struct anon *a, const char *s, size_t len)
{
	size_t cap = len * 2 + 32, n = 0;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	size_t i = 0;
	while (i < len) {
		if (s[i] == '/') {
			out[n++] = '/';
			i++;
			continue;
		}
		size_t j = i;
		while (j < len && s[j] != '/')
			j++;
		struct entry *e = NULL; /* set by table_get() when it returns >= 0 (gcc 12 -O3 cannot see it) */
		if (table_get(a, K_CGCOMP, s + i, j - i, &e) < 0) {
			free(out);
			return NULL;
		}
		char comp[32];
		int cl = snprintf(comp, sizeof(comp), "cg-%" PRIu32, e->id + 1);
		if (n + (size_t)cl + 2 > cap) {
			cap = (n + (size_t)cl + 2) * 2;
			char *no = realloc(out, cap);
			if (!no) {
				free(out);
				return NULL;
			}
			out = no;
		}
		memcpy(out + n, comp, (size_t)cl);
		n += (size_t)cl;
		i = j;
	}
	out[n] = '\0';
	return out;
}

const char *anon_name(struct anon *a, enum anon_kind kind, const char *s, size_t len)
{
	if (!a || kind < ANON_HOST || kind >= ANON_KIND_MAX || (len && !s)) {
		errno = EINVAL;
		return NULL;
	}
	/* generic names that identify nothing stay as they are */
	if ((kind == ANON_IFACE && len == 2 && !memcmp(s, "lo", 2)) ||
	    (kind == ANON_NETNS && len == 4 && !memcmp(s, "init", 4)) ||
	    len == 0)
		return len == 0 ? "" : (kind == ANON_IFACE ? "lo" : "init");
	struct entry *e = NULL; /* set by table_get() when it returns >= 0 (gcc 12 -O3 cannot see it) */
	int r = table_get(a, kind, s, len, &e);
	if (r < 0) {
		errno = -r;
		return NULL;
	}
	if (e->name)
		return e->name;
	char *name = NULL;
	if (kind == ANON_CGROUP) {
		/* table_get may move entries: remember the key and look it up again */
		char *mapped = map_cgroup(a, s, len);
		if (!mapped) {
			errno = ENOMEM;
			return NULL;
		}
		if (table_get(a, kind, s, len, &e) < 0) {
			free(mapped);
			errno = ENOMEM;
			return NULL;
		}
		e->name = mapped;
		return e->name;
	}
	if (kind == ANON_BOOT_ID) {
		uint8_t u[16];
		if (random_bytes(u, sizeof(u)) < 0) {
			/* no entropy source: a counter is still a consistent pseudonym */
			memset(u, 0, sizeof(u));
			memcpy(u + 12, &e->id, 4);
		}
		u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
		u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
		name = malloc(37);
		if (name)
			snprintf(name, 37,
				 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
				 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
				 u[11], u[12], u[13], u[14], u[15]);
	} else {
		name = malloc(32);
		if (name)
			snprintf(name, 32, "%s-%" PRIu32, kind_prefix[kind], e->id + 1);
	}
	if (!name) {
		errno = ENOMEM;
		return NULL;
	}
	e->name = name;
	return name;
}

static int v4_keep(const uint8_t *a4)
{
	static const uint8_t zero[4], bcast[4] = { 255, 255, 255, 255 };
	return !memcmp(a4, zero, 4) || !memcmp(a4, bcast, 4) || a4[0] == 127;
}

static int anon_v4(struct anon *a, uint8_t *a4)
{
	if (v4_keep(a4))
		return 0;
	struct entry *e = NULL; /* set by table_get() when it returns >= 0 (gcc 12 -O3 cannot see it) */
	int r = table_get(a, K_ADDR4, a4, 4, &e);
	if (r < 0)
		return r;
	uint32_t v = 0xF0000000u + ((e->id + 1) & 0x0fffffffu); /* 240.0.0.0/4 */
	a4[0] = (uint8_t)(v >> 24);
	a4[1] = (uint8_t)(v >> 16);
	a4[2] = (uint8_t)(v >> 8);
	a4[3] = (uint8_t)v;
	return 0;
}

static int is_v4mapped(const uint8_t *a6)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return !memcmp(a6, pfx, 12);
}

static int anon_v6(struct anon *a, uint8_t *a6)
{
	static const uint8_t zero[16];
	static const uint8_t one[16] = { [15] = 1 };
	if (!memcmp(a6, zero, 16) || !memcmp(a6, one, 16))
		return 0;
	if (is_v4mapped(a6))
		return anon_v4(a, a6 + 12);
	struct entry *e = NULL; /* set by table_get() when it returns >= 0 (gcc 12 -O3 cannot see it) */
	int r = table_get(a, K_ADDR6, a6, 16, &e);
	if (r < 0)
		return r;
	static const uint8_t pfx[8] = { 0xfd, 0x6e, 0x74, 0x74, 0x61, 0x70, 0, 0 };
	memcpy(a6, pfx, 8);
	uint64_t n = (uint64_t)e->id + 1;
	for (int i = 0; i < 8; i++)
		a6[15 - i] = (uint8_t)(n >> (8 * i));
	return 0;
}

int anon_addr(struct anon *a, uint8_t family, uint8_t addr[16])
{
	if (family == 2)
		return anon_v4(a, addr);
	if (family == 10)
		return anon_v6(a, addr);
	return 0;
}

uint16_t anon_port(struct anon *a, uint16_t port, int *err)
{
	if (port < 1024)
		return port;
	struct entry *e = NULL; /* set by table_get() when it returns >= 0 (gcc 12 -O3 cannot see it) */
	int r = table_get(a, K_PORT, &port, 2, &e);
	if (r < 0) {
		if (err)
			*err = r;
		return 0;
	}
	/* 61000-65535 first (above Linux's default ephemeral range), then 1024 up */
	uint32_t n = e->id;
	if (n < 4536)
		return (uint16_t)(61000 + n);
	return (uint16_t)(1024 + (n - 4536) % (61000 - 1024));
}

int anon_conn(struct anon *a, struct nt_conn *c)
{
	int err = anon_addr(a, c->family, c->saddr);
	if (!err)
		err = anon_addr(a, c->family, c->daddr);
	if (!err)
		c->sport = anon_port(a, c->sport, &err);
	if (!err)
		c->dport = anon_port(a, c->dport, &err);
	return err;
}

static int anon_mac(struct anon *a, uint8_t *m)
{
	static const uint8_t zero[6], bcast[6] = { 255, 255, 255, 255, 255, 255 };
	if (!memcmp(m, zero, 6) || !memcmp(m, bcast, 6))
		return 0;
	struct entry *e = NULL; /* set by table_get() when it returns >= 0 (gcc 12 -O3 cannot see it) */
	int r = table_get(a, K_MAC, m, 6, &e);
	if (r < 0)
		return r;
	uint32_t n = e->id + 1;
	m[0] = 0x02; /* locally administered, unicast */
	m[1] = 0;
	m[2] = 0;
	m[3] = (uint8_t)(n >> 16);
	m[4] = (uint8_t)(n >> 8);
	m[5] = (uint8_t)n;
	return 0;
}

uint64_t anon_ksym(struct anon *a, uint64_t sym_addr, int *err)
{
	struct entry *e = NULL; /* set by table_get() when it returns >= 0 (gcc 12 -O3 cannot see it) */
	int r = table_get(a, K_KSYM, &sym_addr, 8, &e);
	if (r < 0) {
		if (err)
			*err = r;
		return 0;
	}
	return KSYM_BASE + ((uint64_t)e->id + 1) * KSYM_STRIDE;
}

/* ------------------------------------------------------------------ */
/* Packets (parsed by format/packet.c).                               */
/* ------------------------------------------------------------------ */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static void zero_from(uint8_t *p, uint32_t caplen, uint32_t off)
{
	if (off < caplen)
		memset(p + off, 0, caplen - off);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void ipv4_checksum(uint8_t *h, uint32_t hlen)
{
	h[10] = h[11] = 0;
	uint32_t sum = 0;
	for (uint32_t i = 0; i + 1 < hlen; i += 2)
		sum += rd16(h + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	wr16(h + 10, (uint16_t)~sum);
}

/* Keeps MSS(2), WS(3), SACK-permitted(4), SACK(5), timestamps(8); other options
 * become NOPs; malformed option lists are cut with EOL (zeros). */
static void sanitize_tcp_options(uint8_t *p, uint32_t from, uint32_t to)
{
	uint32_t i = from;
	while (i < to) {
		uint8_t kind = p[i];
		if (kind == 0) {
			memset(p + i, 0, to - i);
			return;
		}
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= to || p[i + 1] < 2 || i + p[i + 1] > to) {
			memset(p + i, 0, to - i);
			return;
		}
		uint32_t len = p[i + 1];
		if (kind != 2 && kind != 3 && kind != 4 && kind != 5 && kind != 8)
			memset(p + i, 1, len);
		i += len;
	}
}

int anon_packet(struct anon *a, uint16_t linktype, uint8_t *p, uint32_t caplen)
{
	struct nt_packet L;
	int err;

	if (nt_packet_parse(linktype, p, caplen, caplen, &L) == NT_PKT_BAD_LINK) {
		/* unknown link type: nothing can be kept safely */
		memset(p, 0, caplen);
		return 0;
	}
	if (L.eth_macs && ((err = anon_mac(a, p)) || (err = anon_mac(a, p + 6))))
		return err;
	if (L.lladdr_off && L.lladdr_off + 8u <= caplen) {
		if (L.lladdr_alen == 6) {
			if ((err = anon_mac(a, p + L.lladdr_off)))
				return err;
			memset(p + L.lladdr_off + 6, 0, 2);
		} else {
			memset(p + L.lladdr_off, 0, 8);
		}
	}
	if (!L.link_len && !L.ethertype) {
		memset(p, 0, caplen); /* link header not even captured */
		return 0;
	}
	if (!L.l3_hlen) {
		/* not IP (ARP carries addresses) or a cut IP header: keep only the link header */
		zero_from(p, caplen, L.link_len);
		return 0;
	}
	uint32_t o = L.l3_off;
	if (L.family == 2) {
		if ((err = anon_v4(a, p + o + 12)) || (err = anon_v4(a, p + o + 16)))
			return err;
		uint32_t hend = o + L.l3_hlen < caplen ? o + L.l3_hlen : caplen;
		if (hend > o + 20)
			memset(p + o + 20, 0, hend - (o + 20)); /* options: record route etc. */
		if (o + L.l3_hlen <= caplen)
			ipv4_checksum(p + o, L.l3_hlen);
	} else {
		if ((err = anon_v6(a, p + o + 8)) || (err = anon_v6(a, p + o + 24)))
			return err;
		/* extension headers: keep next-header and length, zero the contents
		 * (routing headers carry addresses) */
		uint8_t nh = p[o + 6];
		uint32_t q = o + 40;
		while ((nh == 0 || nh == 43 || nh == 60 || nh == 44) && q + 8 <= caplen) {
			uint32_t elen = nh == 44 ? 8 : ((uint32_t)p[q + 1] + 1) * 8;
			uint8_t next = p[q];
			if (nh != 44) {
				uint32_t end = q + elen < caplen ? q + elen : caplen;
				memset(p + q + 2, 0, end - (q + 2));
			}
			nh = next;
			q += elen;
		}
	}
	uint32_t l4 = L.l4_off;
	if (!l4 || (L.proto != 6 && L.proto != 17)) {
		zero_from(p, caplen, l4 ? l4 : o + L.l3_hlen);
		return 0;
	}
	if (l4 + 4 > caplen) {
		zero_from(p, caplen, l4);
		return 0;
	}
	wr16(p + l4, anon_port(a, rd16(p + l4), &err));
	if (!err)
		wr16(p + l4 + 2, anon_port(a, rd16(p + l4 + 2), &err));
	if (err)
		return err;
	if (L.proto == 17) {
		zero_from(p, caplen, l4 + 8);
		return 0;
	}
	if (l4 + 20 > caplen)
		return 0;
	uint32_t doff = (uint32_t)(p[l4 + 12] >> 4) * 4;
	if (doff < 20) {
		zero_from(p, caplen, l4 + 20);
		return 0;
	}
	uint32_t oend = l4 + doff < caplen ? l4 + doff : caplen;
	sanitize_tcp_options(p, l4 + 20, oend);
	zero_from(p, caplen, l4 + doff);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Records.                                                           */
/* ------------------------------------------------------------------ */

static uint8_t *out_reserve(struct anon *a, size_t n)
{
	if (n > a->outcap) {
		uint8_t *no = realloc(a->out, n);
		if (!no)
			return NULL;
		a->out = no;
		a->outcap = n;
	}
	return a->out;
}

static int is_known_event(uint16_t t)
{
	return t >= NT_REC_DROP && t <= NT_REC_LISTEN;
}

int anon_record(struct anon *a, uint16_t type, const void *data, uint32_t len,
		anon_sym_lookup_fn lookup, void *lookup_ctx,
		const void **out, uint32_t *outlen)
{
	uint32_t min = nt_rec_min_size(type);
	if (!min || !(is_known_event(type) || nt_rec_is_meta(type) || type == NT_REC_PACKET))
		return 0; /* unknown: cannot tell what it holds */
	if (len < min)
		return -EINVAL;
	if (type == NT_REC_CONFIG)
		return 0; /* recorder settings may name addresses, ports, processes */

	const char *text = (const char *)data + min; /* trailing string, where there is one */
	size_t tlen = len - min;
	const char *nm;
	uint8_t *o;
	int err = 0;

	switch (type) {
	case NT_REC_PROCESS: {
		struct nt_rec_process pr;
		memcpy(&pr, data, sizeof(pr));
		nm = anon_name(a, ANON_COMM, pr.comm, strnlen(pr.comm, sizeof(pr.comm)));
		if (!nm)
			return -errno;
		memset(pr.comm, 0, sizeof(pr.comm));
		strncpy(pr.comm, nm, sizeof(pr.comm) - 1);
		const char *cmd = anon_name(a, ANON_CMDLINE, text, strnlen(text, tlen));
		if (!cmd)
			return -errno;
		size_t cl = strlen(cmd);
		if (!(o = out_reserve(a, sizeof(pr) + cl)))
			return -ENOMEM;
		memcpy(o, &pr, sizeof(pr));
		memcpy(o + sizeof(pr), cmd, cl);
		*outlen = (uint32_t)(sizeof(pr) + cl);
		break;
	}
	case NT_REC_CGROUP: {
		struct nt_rec_cgroup cg;
		memcpy(&cg, data, sizeof(cg));
		size_t pl = cg.path_len <= tlen ? cg.path_len : tlen;
		size_t ctl = cg.container_len <= tlen - pl ? cg.container_len : tlen - pl;
		const char *path = anon_name(a, ANON_CGROUP, text, pl);
		if (!path)
			return -errno;
		/* copy: the next anon_name call may not move it (names are stable), but be explicit */
		size_t npl = strlen(path);
		const char *ctr = anon_name(a, ANON_CONTAINER, text + pl, ctl);
		if (!ctr)
			return -errno;
		size_t nctl = strlen(ctr);
		if (npl > 0xffff || nctl > 0xffff)
			return -EINVAL;
		cg.path_len = (uint16_t)npl;
		cg.container_len = (uint16_t)nctl;
		if (!(o = out_reserve(a, sizeof(cg) + npl + nctl)))
			return -ENOMEM;
		memcpy(o, &cg, sizeof(cg));
		memcpy(o + sizeof(cg), path, npl);
		memcpy(o + sizeof(cg) + npl, ctr, nctl);
		*outlen = (uint32_t)(sizeof(cg) + npl + nctl);
		break;
	}
	case NT_REC_NETNS:
	case NT_REC_IFACE: {
		nm = anon_name(a, type == NT_REC_NETNS ? ANON_NETNS : ANON_IFACE, text,
			       strnlen(text, tlen));
		if (!nm)
			return -errno;
		size_t nl = strlen(nm);
		if (!(o = out_reserve(a, min + nl)))
			return -ENOMEM;
		memcpy(o, data, min);
		memcpy(o + min, nm, nl);
		*outlen = (uint32_t)(min + nl);
		break;
	}
	case NT_REC_SYMBOL: {
		struct nt_rec_symbol sy;
		memcpy(&sy, data, sizeof(sy));
		sy.addr = anon_ksym(a, sy.addr, &err);
		if (err)
			return err;
		if (!(o = out_reserve(a, len)))
			return -ENOMEM;
		memcpy(o, data, len);
		memcpy(o, &sy, sizeof(sy));
		*outlen = len;
		break;
	}
	case NT_REC_PIN:
		/* the description is free text written by the recorder (may name peers) */
		if (!(o = out_reserve(a, min)))
			return -ENOMEM;
		memcpy(o, data, min);
		*outlen = min;
		break;
	case NT_REC_PACKET: {
		struct nt_rec_packet pk;
		memcpy(&pk, data, sizeof(pk));
		if (!(o = out_reserve(a, len)))
			return -ENOMEM;
		memcpy(o, data, len);
		err = anon_packet(a, pk.linktype, o + sizeof(pk), len - (uint32_t)sizeof(pk));
		if (err)
			return err;
		*outlen = len;
		break;
	}
	case NT_REC_SOCKET:
	default:
		if (!(o = out_reserve(a, len)))
			return -ENOMEM;
		memcpy(o, data, len);
		if (type == NT_REC_SOCKET || is_known_event(type)) {
			struct nt_conn c;
			memcpy(&c, o, sizeof(c));
			if ((err = anon_conn(a, &c)))
				return err;
			memcpy(o, &c, sizeof(c));
		}
		if (type == NT_REC_DROP) {
			struct nt_ev_drop d;
			memcpy(&d, o, sizeof(d));
			uint64_t sym = d.location;
			if (lookup && lookup(lookup_ctx, d.location, &sym) == 0 &&
			    d.location - sym < KSYM_STRIDE) {
				d.location = anon_ksym(a, sym, &err) + (d.location - sym);
			} else {
				/* no symbol: below every fake symbol, so no lookup names it wrongly */
				struct entry *e = NULL; /* set by table_get() when it returns >= 0 (gcc 12 -O3 cannot see it) */
				int r = table_get(a, K_KADDR, &d.location, 8, &e);
				if (r < 0)
					return r;
				d.location = KADDR_BASE + ((uint64_t)e->id + 1) * 16;
			}
			if (err)
				return err;
			memcpy(o, &d, sizeof(d));
		}
		/* CLOCK, ENUM_NAME, LOSS: nothing identifying */
		*outlen = len;
		break;
	}
	*out = a->out;
	return 1;
}

void anon_endpoint(void *ctx, struct conn_endpoint *ep)
{
	struct anon *a = ctx;

	if (ep->family)
		anon_addr(a, ep->family, ep->addr);
	if (ep->has_port)
		ep->port = anon_port(a, ep->port, NULL);
}
