/* synth.c: the building blocks of every synthetic tape the tests write: a fake clock, metadata records and connection tuples. */
#include "synth.h"

#include <arpa/inet.h>
#include <string.h>

uint64_t synth_clock_boot(void *clock)
{
	return ((const struct synth_clock *)clock)->now;
}

uint64_t synth_clock_real(void *clock)
{
	const struct synth_clock *c = clock;

	return c->now + c->real_off;
}

int synth_meta_text(struct tape_meta *m, uint16_t type, const void *fixed, size_t flen, const char *a,
		    const char *b)
{
	uint8_t buf[4096];
	size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;

	if (flen > sizeof(buf))
		flen = sizeof(buf);
	if (la > sizeof(buf) - flen)
		la = sizeof(buf) - flen;
	if (lb > sizeof(buf) - flen - la)
		lb = sizeof(buf) - flen - la;
	memcpy(buf, fixed, flen);
	if (la)
		memcpy(buf + flen, a, la);
	if (lb)
		memcpy(buf + flen + la, b, lb);
	return tape_meta__add(m, type, buf, (uint32_t)(flen + la + lb));
}

int synth_meta_enum(struct tape_meta *m, uint16_t kind, uint32_t value, const char *name)
{
	struct nt_rec_enum_name e = { .kind = kind, .value = value };

	return synth_meta_text(m, NT_REC_ENUM_NAME, &e, sizeof(e), name, NULL);
}

int synth_meta_process(struct tape_meta *m, uint32_t pid, uint32_t ppid, uint64_t cgroup, const char *comm,
		       const char *cmdline)
{
	struct nt_rec_process p;

	memset(&p, 0, sizeof(p));
	p.pid = pid;
	p.ppid = ppid;
	p.cgroup = cgroup;
	memcpy(p.comm, comm, strnlen(comm, sizeof(p.comm) - 1));
	return synth_meta_text(m, NT_REC_PROCESS, &p, sizeof(p), cmdline, NULL);
}

int synth_meta_symbol(struct tape_meta *m, uint64_t addr, const char *name)
{
	struct nt_rec_symbol s = { .addr = addr };

	return synth_meta_text(m, NT_REC_SYMBOL, &s, sizeof(s), name, NULL);
}

int synth_meta_netns(struct tape_meta *m, uint32_t inode, const char *name)
{
	struct nt_rec_netns ns = { .inode = inode };

	return synth_meta_text(m, NT_REC_NETNS, &ns, sizeof(ns), name, NULL);
}

int synth_meta_cgroup(struct tape_meta *m, uint64_t id, const char *path, const char *container)
{
	struct nt_rec_cgroup g = { .id = id, .path_len = (uint16_t)strlen(path),
				   .container_len = (uint16_t)(container ? strlen(container) : 0) };

	return synth_meta_text(m, NT_REC_CGROUP, &g, sizeof(g), path, container);
}

struct nt_conn synth_conn(uint64_t cookie, uint32_t pid, const char *sa, uint16_t sp, const char *da, uint16_t dp)
{
	struct nt_conn c;
	int v6 = strchr(sa, ':') != NULL;

	memset(&c, 0, sizeof(c));
	c.cookie = cookie;
	c.pid = pid;
	c.family = v6 ? 10 : 2;
	c.proto = 6;
	c.sport = sp;
	c.dport = dp;
	inet_pton(v6 ? AF_INET6 : AF_INET, sa, c.saddr);
	inet_pton(v6 ? AF_INET6 : AF_INET, da, c.daddr);
	return c;
}
