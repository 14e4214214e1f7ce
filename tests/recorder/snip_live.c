/* snip_live.c: live test driver for recorder/snippet.c: two TCP connections over a veth, a manual fire for one, and checks on the written packet records. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "snippet.h"
#include "trigger.h"

#define MS 1000000ULL
#define SEC 1000000000ULL
#define PRE (300 * MS)
#define POST (300 * MS)
#define MAXREC 100000
#define MAXSEND 4096

struct rec {
	uint64_t ts;
	struct nt_rec_packet h;
	uint32_t caplen;
	unsigned char b[256];
};

static struct rec *recs;
static size_t nrec;
static uint64_t sends[MAXSEND];
static size_t nsend;

static int append(void *ctx, uint16_t type, uint64_t ts, const void *data, uint32_t len)
{
	struct rec *r;

	if (type != NT_REC_PACKET || nrec == MAXREC || len < sizeof(struct nt_rec_packet))
		return -EINVAL;
	r = &recs[nrec++];
	r->ts = ts;
	memcpy(&r->h, data, sizeof(r->h));
	r->caplen = len - (uint32_t)sizeof(r->h);
	if (r->caplen > sizeof(r->b))
		r->caplen = sizeof(r->b);
	memcpy(r->b, (const char *)data + sizeof(r->h), r->caplen);
	return 0;
}

static void logcb(void *ctx, int level, const char *msg)
{
	fprintf(stderr, "  snippet log[%d]: %s\n", level, msg);
}

static uint64_t boot_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_BOOTTIME, &t);
	return (uint64_t)t.tv_sec * SEC + (uint64_t)t.tv_nsec;
}

static int enter_ns(const char *name)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "/run/netns/%s", name);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "setns %s: %s\n", p, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* Echo server on addr:5601 and :5602 in netns ns, until killed. */
static void server(const char *ns, const char *addr, int ready_fd)
{
	struct pollfd pf[8];
	int nf = 0, i, one = 1;
	char buf[4096];

	if (enter_ns(ns))
		_exit(1);
	for (i = 0; i < 2; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(5601 + i)) };
		int s = socket(AF_INET, SOCK_STREAM, 0);

		inet_pton(AF_INET, addr, &sa.sin_addr);
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 8)) {
			perror("server bind/listen");
			_exit(1);
		}
		pf[nf].fd = s;
		pf[nf++].events = POLLIN;
	}
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	close(ready_fd);
	for (;;) {
		if (poll(pf, (nfds_t)nf, 1000) < 0)
			_exit(1);
		for (i = 0; i < nf; i++) {
			if (!(pf[i].revents & (POLLIN | POLLHUP)))
				continue;
			if (i < 2) {
				int c = accept(pf[i].fd, NULL, NULL);

				if (c >= 0 && nf < 8) {
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					pf[nf].fd = c;
					pf[nf++].events = POLLIN;
				}
				continue;
			}
			{
				ssize_t n = read(pf[i].fd, buf, sizeof(buf));

				if (n <= 0) {
					close(pf[i].fd);
					pf[i] = pf[--nf];
					continue;
				}
				if (write(pf[i].fd, buf, (size_t)n) != n)
					_exit(1);
			}
		}
	}
}

/* Tuple and TCP payload length of a record; -1 if not parsable. */
static int rec_tuple(const struct rec *r, uint32_t *sa, uint32_t *da, uint16_t *sp, uint16_t *dp,
		     uint32_t *payload)
{
	uint32_t off = r->h.linktype == 1 ? 14 : r->h.linktype == 276 ? 20 : r->h.linktype == 113 ? 16 : 0;
	const unsigned char *ip = r->b + off;
	uint32_t ihl, tot, thl;

	if (r->caplen < off + 40 || ip[0] >> 4 != 4)
		return -1;
	ihl = (uint32_t)(ip[0] & 15) * 4;
	tot = (uint32_t)ip[2] << 8 | ip[3];
	memcpy(sa, ip + 12, 4);
	memcpy(da, ip + 16, 4);
	*sp = (uint16_t)(ip[ihl] << 8 | ip[ihl + 1]);
	*dp = (uint16_t)(ip[ihl + 2] << 8 | ip[ihl + 3]);
	thl = (uint32_t)(ip[ihl + 12] >> 4) * 4;
	*payload = tot > ihl + thl ? tot - ihl - thl : 0;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *iface, *srv_ns, *addr, *pcap_ns;
	int force_libpcap;
	struct snippet_opts so;
	struct snippet *s;
	struct snippet_stats st;
	struct sockaddr_in l1, p1, l2;
	socklen_t sl;
	int pfd[2], c[2], i, fails = 0, one = 1, fired = 0, at_fire = 0, before = 0, after = 0;
	char err[256], b[256];
	pid_t pid;
	uint64_t start, now, T = 0, next_send;
	int64_t *deltas;
	size_t nd = 0, k;
	struct trigger_fire f;

	if (argc < 4) {
		fprintf(stderr, "usage: snip_live IFACE|any SERVER_NETNS SERVER_ADDR [CLIENT_NETNS|\"\" [libpcap]]\n"
			"  with CLIENT_NETNS: capture through --pcap-netns CLIENT_NETNS from here,\n"
			"  then enter it for the client sockets; libpcap: libpcap's capture and the\n"
			"  ring in user space instead of the kernel ring\n");
		return 2;
	}
	iface = argv[1];
	srv_ns = argv[2];
	addr = argv[3];
	pcap_ns = argc > 4 && *argv[4] ? argv[4] : NULL;
	force_libpcap = argc > 5 && !strcmp(argv[5], "libpcap");
	recs = calloc(MAXREC, sizeof(*recs));
	deltas = calloc(MAXSEND, sizeof(*deltas));
	if (!recs || !deltas)
		return 1;

	memset(&so, 0, sizeof(so));
	so.iface = iface;
	so.filter = "net 198.18.0.0/15";
	so.netns = pcap_ns;
	so.ring_bytes = 4 << 20;
	so.pre_ns = PRE;
	so.post_ns = POST;
	so.append = append;
	so.log = logcb;
	so.force_libpcap = force_libpcap;
	s = snippet__open(&so, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "snippet__open: %s\n", err);
		return 1;
	}
	if (pcap_ns && enter_ns(pcap_ns))
		return 1;
	if (pipe(pfd))
		return 1;
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		server(srv_ns, addr, pfd[1]);
	}
	close(pfd[1]);
	if (read(pfd[0], b, 1) != 1) {
		fprintf(stderr, "server did not start\n");
		return 1;
	}
	close(pfd[0]);
	for (i = 0; i < 2; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(5601 + i)) };

		inet_pton(AF_INET, addr, &sa.sin_addr);
		c[i] = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(c[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(c[i], (struct sockaddr *)&sa, sizeof(sa))) {
			perror("connect");
			kill(pid, SIGKILL);
			return 1;
		}
	}
	sl = sizeof(l1);
	getsockname(c[0], (struct sockaddr *)&l1, &sl);
	sl = sizeof(p1);
	getpeername(c[0], (struct sockaddr *)&p1, &sl);
	sl = sizeof(l2);
	getsockname(c[1], (struct sockaddr *)&l2, &sl);

	/* 2 s of traffic on both connections; the fire for connection 1 at 1 s. */
	memset(b, 'x', sizeof(b));
	start = next_send = boot_ns();
	while ((now = boot_ns()) < start + 2 * SEC) {
		struct pollfd pf[3] = { { .fd = snippet__fd(s), .events = POLLIN },
					{ .fd = c[0], .events = POLLIN },
					{ .fd = c[1], .events = POLLIN } };

		/* 100 bytes on each connection every 5 ms. */
		for (i = 0; i < 2 && now >= next_send; i++) {
			if (i == 0 && nsend < MAXSEND)
				sends[nsend++] = boot_ns();
			if (write(c[i], b, 100) != 100)
				fails++;
		}
		if (now >= next_send)
			next_send += 5 * MS;
		if (!fired && now >= start + SEC) {
			memset(&f, 0, sizeof(f));
			f.kind = NT_TRIGGER_MANUAL;
			f.ts = T = boot_ns();
			f.cookie = 99;
			f.conn.cookie = 99;
			f.conn.family = 2;
			f.conn.proto = 6;
			memcpy(f.conn.saddr, &l1.sin_addr, 4);
			memcpy(f.conn.daddr, &p1.sin_addr, 4);
			f.conn.sport = ntohs(l1.sin_port);
			f.conn.dport = ntohs(p1.sin_port);
			snprintf(f.desc, sizeof(f.desc), "live test");
			at_fire = snippet__fire(s, &f);
			fired = 1;
		}
		poll(pf, 3, 5);
		for (i = 0; i < 2; i++)
			if (pf[1 + i].revents & POLLIN) {
				char rb[4096];

				if (read(c[i], rb, sizeof(rb)) <= 0)
					fails++;
			}
		snippet__poll(s, boot_ns());
	}
	usleep(200000);
	snippet__poll(s, boot_ns() + 2 * SEC);   /* past post + grace: windows close */
	snippet__stats(s, &st);
	close(c[0]);
	close(c[1]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	if (st.kernel_ring != !force_libpcap) {
		fprintf(stderr, "expected the %s, got the other\n",
			force_libpcap ? "libpcap path" : "kernel ring");
		fails++;
	}
	/* Every written record belongs to connection 1, lies within the window. */
	for (k = 0; k < nrec; k++) {
		const struct rec *r = &recs[k];
		uint32_t sa, da, pl;
		uint16_t sp, dp;
		int is1;

		if (rec_tuple(r, &sa, &da, &sp, &dp, &pl)) {
			fprintf(stderr, "record %zu: not parsable (linktype %u)\n", k, r->h.linktype);
			fails++;
			continue;
		}
		is1 = (sa == l1.sin_addr.s_addr && sp == ntohs(l1.sin_port) &&
		       da == p1.sin_addr.s_addr && dp == ntohs(p1.sin_port)) ||
		      (da == l1.sin_addr.s_addr && dp == ntohs(l1.sin_port) &&
		       sa == p1.sin_addr.s_addr && sp == ntohs(p1.sin_port));
		if (!is1) {
			fprintf(stderr, "record %zu: packet of another connection (port %u -> %u)\n", k,
				sp, dp);
			fails++;
		}
		if (r->ts < T - PRE || r->ts > T + POST) {
			fprintf(stderr, "record %zu: ts %+" PRId64 " ns from the fire, outside "
				"[-%llu, +%llu] ms\n", k, (int64_t)(r->ts - T), PRE / MS, POST / MS);
			fails++;
		}
		if (r->h.cookie != 99 || r->h.dir == 0 || (r->h.linktype == 276 && !r->h.ifindex)) {
			fprintf(stderr, "record %zu: cookie %" PRIu64 " dir %u ifindex %u\n", k,
				r->h.cookie, r->h.dir, r->h.ifindex);
			fails++;
		}
		if (r->ts < T)
			before++;
		else
			after++;
		/* Outgoing data segment of connection 1: capture time vs. send time. */
		if (is1 && sp == ntohs(l1.sin_port) && pl == 100 && r->h.dir == 2) {
			size_t j, best = 0;
			int64_t bd = INT64_MAX;

			for (j = 0; j < nsend; j++) {
				int64_t d = (int64_t)(r->ts - sends[j]);

				if (d >= -(int64_t)MS && llabs(d) < llabs(bd)) {
					bd = d;
					best = j;
				}
			}
			(void)best;
			if (bd != INT64_MAX && nd < MAXSEND)
				deltas[nd++] = bd;
		}
	}
	if (before < 10 || after < 10) {
		fprintf(stderr, "expected packets on both sides of the fire: %d before, %d after\n",
			before, after);
		fails++;
	}
	if (st.packets < 2 * nrec) {
		fprintf(stderr, "connection 2 should have been captured too (%" PRIu64 " packets, "
			"%zu written)\n", st.packets, nrec);
		fails++;
	}
	if (nd) {
		qsort(deltas, nd, sizeof(*deltas), cmp_i64);
		printf("%s%s%s: %zu records of connection 1 (%d before the fire, %d after; %d written "
		       "at the fire), %" PRIu64 " packets captured, linktype %d, pcap drops %" PRIu64
		       "; capture - send (boottime before write()) over %zu segments: min %" PRId64
		       " ns, median %" PRId64 " ns, max %" PRId64 " ns; clock pair spread %" PRIu64
		       " ns (max %" PRIu64 " ns)\n", iface, pcap_ns ? " via --pcap-netns" : "",
		       st.kernel_ring ? " (kernel ring)" : " (libpcap)", nrec,
		       before, after, at_fire, st.packets, st.linktype, st.pcap_drop, nd, deltas[0],
		       deltas[nd / 2], deltas[nd - 1], st.clock_spread_ns, st.clock_spread_max_ns);
		/* The capture stamp follows the send by microseconds; a clock
		 * conversion error would show here. */
		if (deltas[nd / 2] < 0 || deltas[nd / 2] > (int64_t)(2 * MS)) {
			fprintf(stderr, "capture/send alignment off: median %" PRId64 " ns\n",
				deltas[nd / 2]);
			fails++;
		}
	} else {
		fprintf(stderr, "no outgoing data segment of connection 1 was written\n");
		fails++;
	}
	snippet__free(s);
	free(recs);
	free(deltas);
	if (fails)
		fprintf(stderr, "snip_live: %d failure(s)\n", fails);
	return fails ? 1 : 0;
}
