/* nt_traffic.c: bounded TCP traffic generator (servers and clients) for nettape's scenarios and e2e tests. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * Protocol of the request/response mode: every request starts with an
 * 8-byte header, two big-endian u32: the request's total length (header
 * included) and the response length wanted (0 = the server's --respond
 * default). The server reads the whole request, then writes the response.
 * Without --respond (or --rr) the server is a sink: it reads and discards.
 *
 * Every mode is bounded by --duration (default 30 s) and exits by itself,
 * printing one "key=value ..." line on stdout.
 */

#define MAX_CONNS 4096
#define IOBUF (256 * 1024)

static volatile sig_atomic_t g_stop;
static char g_buf[IOBUF];

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct opts {
	int server;
	struct sockaddr_storage addr;
	socklen_t alen;
	int backlog;
	int no_accept;
	int accept_delay_ms;
	int rcvbuf, sndbuf;
	int read_delay_ms;
	int read_size;
	int close_unread;
	int close_delay_ms;
	int rr;
	long long respond;
	int conns;
	long long requests;
	int interval_ms;
	int connect_timeout_ms;
	int hold_ms;
	long long req_bytes, resp_bytes, bulk;
	long long rate;
	double duration;
	int max_accept;
	int nagle;               /* keep Nagle's algorithm (default: TCP_NODELAY, as services do) */
	const char *cc;          /* TCP_CONGESTION of every socket (server: the listener, inherited) */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nt-traffic server --listen ADDR:PORT [options]\n"
		"       nt-traffic client --connect ADDR:PORT [options]\n\n"
		"Bounded TCP traffic for nettape scenarios; prints one key=value line at exit.\n\n"
		"Common:\n"
		"  --duration S           stop after S seconds (default 30)\n"
		"  --rcvbuf B, --sndbuf B set SO_RCVBUF / SO_SNDBUF (server: on the listener)\n"
		"  --nagle                keep Nagle's algorithm (default: TCP_NODELAY)\n"
		"  --cc NAME              congestion control (TCP_CONGESTION; server: on the listener)\n"
		"Server:\n"
		"  --backlog N            listen(N) (default 128)\n"
		"  --no-accept            never accept\n"
		"  --accept-delay-ms D    accept one connection every D ms\n"
		"  --max-accept N         stop accepting after N connections\n"
		"  --read-delay-ms D      sleep D ms between reads of a connection\n"
		"  --read-size B          bytes per read (default 65536)\n"
		"  --respond BYTES        request/response mode, default response size\n"
		"  --rr                   request/response mode (sizes from the requests)\n"
		"  --close-unread         when data arrives, wait --close-delay-ms (200), close unread (RST)\n"
		"Client:\n"
		"  --conns N              parallel connections (default 1)\n"
		"  --requests N           requests per connection (request/response mode)\n"
		"  --req-bytes B          request size (>= 8, default 64)\n"
		"  --resp-bytes B         response size asked for (default: server's --respond)\n"
		"  --interval-ms D        pause between requests of a connection\n"
		"  --bulk BYTES           send BYTES per connection then close (0 with --duration: until the end)\n"
		"  --rate BPS             limit bulk sending to BPS bytes/s per connection\n"
		"  --hold-ms D            connect, then hold the connection idle for D ms\n"
		"  --connect-timeout-ms D give up a connect after D ms (default 10000)\n"
		"Examples:\n"
		"  nt-traffic server --listen 198.18.0.1:8080 --respond 1000\n"
		"  nt-traffic client --connect 198.18.0.1:8080 --requests 100 --interval-ms 50\n");
}

static int parse_ll(const char *s, long long *out)
{
	char *end;
	long long v;
	long long mult = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	if (*end == 'K' || *end == 'k')
		mult = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mult = 1024 * 1024, end++;
	else if (*end == 'G' || *end == 'g')
		mult = 1024LL * 1024 * 1024, end++;
	if (*end)
		return -1;
	*out = v * mult;
	return 0;
}

static int parse_int(const char *s, int *out)
{
	long long v;

	if (parse_ll(s, &v) || v > 0x7fffffff)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon;
	const char *port;
	char *end;
	long p;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = 0;
		port = rb + 2;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(host))
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = 0;
		port = colon + 1;
	}
	errno = 0;
	p = strtol(port, &end, 10);
	if (errno || *end || end == port || p < 0 || p > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)p);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -1;
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)p);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -1;
		*len = sizeof(*a);
	}
	return 0;
}

static void set_bufs(int fd, const struct opts *o)
{
	if (o->rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->rcvbuf, sizeof(o->rcvbuf));
	if (o->sndbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &o->sndbuf, sizeof(o->sndbuf));
	if (o->cc && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, o->cc, (socklen_t)strlen(o->cc)) < 0)
		fprintf(stderr, "nt-traffic: TCP_CONGESTION %s: %s\n", o->cc, strerror(errno));
}

static void set_nodelay(int fd, const struct opts *o)
{
	int one = 1;

	if (!o->nagle)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* ------------------------------------------------------------------ */
/* Latency statistics.                                                */
/* ------------------------------------------------------------------ */

struct lat {
	double *v;
	size_t n, cap;
};

static void lat_add(struct lat *l, double ms)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 1024;
		double *nv = realloc(l->v, nc * sizeof(*nv));

		if (!nv)
			return;
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n++] = ms;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double lat_pct(const struct lat *l, double p)
{
	size_t i;

	if (!l->n)
		return 0;
	i = (size_t)ceil(p / 100.0 * (double)l->n);
	if (i > 0)
		i--;
	if (i >= l->n)
		i = l->n - 1;
	return l->v[i];
}

static void lat_print(const char *prefix, struct lat *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_double);
	printf(" %sn=%zu %sp50_ms=%.3f %sp95_ms=%.3f %sp99_ms=%.3f %smax_ms=%.3f", prefix, l->n,
	       prefix, lat_pct(l, 50), prefix, lat_pct(l, 95), prefix, lat_pct(l, 99), prefix,
	       l->n ? l->v[l->n - 1] : 0.0);
}

/* ------------------------------------------------------------------ */
/* Server.                                                            */
/* ------------------------------------------------------------------ */

struct sconn {
	int fd;
	uint64_t next_read_ns;   /* read-delay pacing */
	uint64_t data_ns;        /* close-unread: when data was first seen */
	unsigned char hdr[8];
	unsigned hdr_got;
	long long req_left;      /* request bytes still to read (after header) */
	long long resp_pending;  /* response size asked for by the request being read */
	long long resp_left;     /* response bytes still to write */
};

static int run_server(const struct opts *o)
{
	static struct sconn conns[MAX_CONNS];
	static struct pollfd pfd[MAX_CONNS + 1];
	int idx[MAX_CONNS + 1];
	int nconns = 0;
	int lfd, one = 1;
	uint64_t start = now_ns(), end = start + (uint64_t)(o->duration * 1e9);
	uint64_t next_accept = 0;
	unsigned long long accepted = 0, rcvd = 0, sent = 0, resets = 0, closed_unread = 0,
			   requests = 0;

	lfd = socket(o->addr.ss_family, SOCK_STREAM, 0);
	if (lfd < 0) {
		fprintf(stderr, "nt-traffic: socket: %s\n", strerror(errno));
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	set_bufs(lfd, o);
	if (bind(lfd, (struct sockaddr *)&o->addr, o->alen) < 0 || listen(lfd, o->backlog) < 0) {
		fprintf(stderr, "nt-traffic: bind/listen: %s\n", strerror(errno));
		close(lfd);
		return 1;
	}
	set_nonblock(lfd);
	/* Tell a waiting script we are listening. */
	fprintf(stderr, "nt-traffic: listening\n");

	while (!g_stop) {
		uint64_t t = now_ns();
		int n = 0, timeout = 100;
		int accepting = !o->no_accept && (!o->max_accept || accepted < (unsigned long long)o->max_accept);

		if (t >= end)
			break;
		if (accepting && nconns < MAX_CONNS) {
			if (t >= next_accept) {
				pfd[n].fd = lfd;
				pfd[n].events = POLLIN;
				idx[n++] = -1;
			} else if ((next_accept - t) / 1000000 < (uint64_t)timeout) {
				timeout = (int)((next_accept - t) / 1000000) + 1;
			}
		}
		for (int i = 0; i < nconns; i++) {
			struct sconn *c = &conns[i];
			short ev = 0;

			if (o->close_unread) {
				if (c->data_ns) {
					uint64_t due = c->data_ns + (uint64_t)o->close_delay_ms * 1000000ull;

					if (t >= due)
						ev = 0;
					else if ((due - t) / 1000000 < (uint64_t)timeout)
						timeout = (int)((due - t) / 1000000) + 1;
				} else {
					ev = POLLIN;
				}
			} else if (c->resp_left > 0) {
				ev = POLLOUT;
			} else if (t >= c->next_read_ns) {
				ev = POLLIN;
			} else if ((c->next_read_ns - t) / 1000000 < (uint64_t)timeout) {
				timeout = (int)((c->next_read_ns - t) / 1000000) + 1;
			}
			pfd[n].fd = c->fd;
			pfd[n].events = ev;
			idx[n++] = i;
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		t = now_ns();
		for (int k = 0; k < n; k++) {
			struct sconn *c;
			int dead = 0;

			if (idx[k] == -1) {
				if (!(pfd[k].revents & POLLIN))
					continue;
				for (;;) {
					int fd = accept(lfd, NULL, NULL);

					if (fd < 0)
						break;
					set_nonblock(fd);
					set_nodelay(fd, o);
					memset(&conns[nconns], 0, sizeof(conns[nconns]));
					conns[nconns].fd = fd;
					nconns++;
					accepted++;
					if (o->accept_delay_ms) {
						next_accept = t + (uint64_t)o->accept_delay_ms * 1000000ull;
						break;
					}
					if (nconns >= MAX_CONNS ||
					    (o->max_accept && accepted >= (unsigned long long)o->max_accept))
						break;
				}
				continue;
			}
			c = &conns[idx[k]];
			if (o->close_unread) {
				if (!c->data_ns && (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
					c->data_ns = t;
				if (c->data_ns && t >= c->data_ns + (uint64_t)o->close_delay_ms * 1000000ull) {
					closed_unread++;
					dead = 1;
				}
			} else if (pfd[k].revents & POLLOUT) {
				ssize_t w = send(c->fd, g_buf,
						 (size_t)(c->resp_left < IOBUF ? c->resp_left : IOBUF),
						 MSG_NOSIGNAL);

				if (w > 0) {
					sent += (unsigned long long)w;
					c->resp_left -= w;
				} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
					if (errno == ECONNRESET)
						resets++;
					dead = 1;
				}
			} else if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) {
				size_t want = (size_t)o->read_size;
				ssize_t r;

				if (o->rr && c->hdr_got < 8)
					want = 8 - c->hdr_got;
				else if (o->rr && c->req_left < (long long)want)
					want = (size_t)c->req_left;
				if (want > IOBUF)
					want = IOBUF;
				r = recv(c->fd, o->rr && c->hdr_got < 8 ? c->hdr + c->hdr_got : (unsigned char *)g_buf,
					 want, 0);
				if (r > 0) {
					rcvd += (unsigned long long)r;
					if (o->rr && c->hdr_got < 8) {
						c->hdr_got += (unsigned)r;
						if (c->hdr_got == 8) {
							uint32_t ql, pl;

							memcpy(&ql, c->hdr, 4);
							memcpy(&pl, c->hdr + 4, 4);
							ql = ntohl(ql);
							pl = ntohl(pl);
							c->req_left = ql > 8 ? ql - 8 : 0;
							c->resp_pending = pl ? pl : o->respond;
						}
					} else if (o->rr) {
						c->req_left -= r;
					}
					if (o->rr && c->hdr_got == 8 && c->req_left == 0) {
						/* Request complete: the response goes out next. */
						requests++;
						c->hdr_got = 0;
						c->resp_left = c->resp_pending;
					}
					if (o->read_delay_ms)
						c->next_read_ns = t + (uint64_t)o->read_delay_ms * 1000000ull;
				} else if (r == 0) {
					dead = 1;
				} else if (errno != EAGAIN && errno != EINTR) {
					if (errno == ECONNRESET)
						resets++;
					dead = 1;
				}
			}
			if (dead) {
				close(c->fd);
				c->fd = -1;
			}
		}
		/* Compact closed connections. */
		for (int i = 0; i < nconns;) {
			if (conns[i].fd < 0) {
				conns[i] = conns[--nconns];
				continue;
			}
			i++;
		}
	}
	for (int i = 0; i < nconns; i++)
		close(conns[i].fd);
	close(lfd);
	printf("nt-traffic server accepted=%llu requests=%llu bytes_rcvd=%llu bytes_sent=%llu "
	       "resets=%llu closed_unread=%llu elapsed_ms=%.0f\n",
	       accepted, requests, rcvd, sent, resets, closed_unread, (double)(now_ns() - start) / 1e6);
	fflush(stdout);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Client.                                                            */
/* ------------------------------------------------------------------ */

enum cstate { C_CONNECTING, C_SEND, C_RECV, C_WAIT, C_BULK, C_HOLD, C_DONE };

struct cconn {
	int fd;
	enum cstate st;
	uint64_t t0;             /* connect start / request start */
	uint64_t wake_ns;        /* C_WAIT / C_HOLD end */
	uint64_t bulk_start;
	long long reqs;
	long long left;          /* bytes left to send or receive */
	long long bulk_sent;
};

static int run_client(const struct opts *o)
{
	struct cconn *cs;
	struct pollfd *pfd;
	int *idx;
	uint64_t start = now_ns(), end = start + (uint64_t)(o->duration * 1e9);
	struct lat conn_lat = { 0 }, req_lat = { 0 };
	unsigned long long connected = 0, failed = 0, timeouts = 0, resets = 0, reqs_done = 0,
			   sent = 0, rcvd = 0, unfinished = 0;
	int rr = o->requests > 0;
	int bulk = o->bulk > 0 || (!rr && !o->hold_ms);

	cs = calloc((size_t)o->conns, sizeof(*cs));
	pfd = calloc((size_t)o->conns, sizeof(*pfd));
	idx = calloc((size_t)o->conns, sizeof(*idx));
	if (!cs || !pfd || !idx) {
		fprintf(stderr, "nt-traffic: out of memory\n");
		free(cs);
		free(pfd);
		free(idx);
		return 1;
	}
	for (int i = 0; i < o->conns; i++) {
		struct cconn *c = &cs[i];

		c->fd = socket(o->addr.ss_family, SOCK_STREAM, 0);
		if (c->fd < 0) {
			failed++;
			c->st = C_DONE;
			continue;
		}
		set_bufs(c->fd, o);
		set_nodelay(c->fd, o);
		set_nonblock(c->fd);
		c->t0 = now_ns();
		if (connect(c->fd, (struct sockaddr *)&o->addr, o->alen) < 0 && errno != EINPROGRESS) {
			failed++;
			close(c->fd);
			c->fd = -1;
			c->st = C_DONE;
			continue;
		}
		c->st = C_CONNECTING;
	}

	while (!g_stop) {
		uint64_t t = now_ns();
		int n = 0, timeout = 100, active = 0;

		if (t >= end)
			break;
		for (int i = 0; i < o->conns; i++) {
			struct cconn *c = &cs[i];
			short ev = 0;

			if (c->st == C_DONE)
				continue;
			active++;
			if (c->st == C_CONNECTING &&
			    t - c->t0 > (uint64_t)o->connect_timeout_ms * 1000000ull) {
				timeouts++;
				close(c->fd);
				c->fd = -1;
				c->st = C_DONE;
				continue;
			}
			if ((c->st == C_WAIT || c->st == C_HOLD) && t >= c->wake_ns) {
				if (c->st == C_HOLD) {
					close(c->fd);
					c->fd = -1;
					c->st = C_DONE;
					continue;
				}
				c->st = C_SEND;
				c->t0 = t;
				c->left = o->req_bytes;
			}
			switch (c->st) {
			case C_CONNECTING:
				ev = POLLOUT;
				break;
			case C_SEND:
				ev = POLLOUT;
				break;
			case C_BULK:
				ev = POLLOUT;
				if (o->rate > 0) {
					double el = (double)(t - c->bulk_start) / 1e9;

					if ((double)c->bulk_sent > el * (double)o->rate) {
						ev = 0;
						timeout = 5;
					}
				}
				break;
			case C_RECV:
				ev = POLLIN;
				break;
			case C_WAIT:
			case C_HOLD:
				ev = POLLIN; /* notice a reset or close by the server */
				if ((c->wake_ns - t) / 1000000 < (uint64_t)timeout)
					timeout = (int)((c->wake_ns - t) / 1000000) + 1;
				break;
			default:
				break;
			}
			pfd[n].fd = c->fd;
			pfd[n].events = ev;
			pfd[n].revents = 0;
			idx[n++] = i;
		}
		if (!active)
			break;
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		t = now_ns();
		for (int k = 0; k < n; k++) {
			struct cconn *c = &cs[idx[k]];
			short re = pfd[k].revents;
			int err = 0;

			if (!re)
				continue;
			if (c->st == C_CONNECTING) {
				socklen_t el = sizeof(err);

				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err) {
					failed++;
					goto dead;
				}
				connected++;
				lat_add(&conn_lat, (double)(t - c->t0) / 1e6);
				if (rr) {
					c->st = C_SEND;
					c->t0 = t;
					c->left = o->req_bytes;
				} else if (bulk) {
					c->st = C_BULK;
					c->bulk_start = t;
					c->left = o->bulk > 0 ? o->bulk : -1;
				} else {
					c->st = C_HOLD;
					c->wake_ns = t + (uint64_t)o->hold_ms * 1000000ull;
				}
				continue;
			}
			if (c->st == C_SEND && (re & POLLOUT)) {
				size_t off = (size_t)(o->req_bytes - c->left);
				size_t len = (size_t)(c->left < IOBUF ? c->left : IOBUF);
				char *p = g_buf;
				unsigned char hdr[8];
				ssize_t w;

				if (off < 8) {
					uint32_t ql = htonl((uint32_t)o->req_bytes);
					uint32_t pl = htonl((uint32_t)o->resp_bytes);

					memcpy(hdr, &ql, 4);
					memcpy(hdr + 4, &pl, 4);
					p = (char *)hdr + off;
					len = 8 - off;
				}
				w = send(c->fd, p, len, MSG_NOSIGNAL);
				if (w < 0) {
					if (errno == EAGAIN || errno == EINTR)
						continue;
					err = errno;
					goto dead;
				}
				sent += (unsigned long long)w;
				c->left -= w;
				if (c->left == 0) {
					c->st = C_RECV;
					c->left = o->resp_bytes;
				}
				continue;
			}
			if (c->st == C_BULK && (re & (POLLOUT | POLLERR | POLLHUP))) {
				size_t len = IOBUF;
				ssize_t w;

				if (c->left >= 0 && c->left < (long long)len)
					len = (size_t)c->left;
				if (o->rate > 0 && len > 16384)
					len = 16384;
				w = send(c->fd, g_buf, len, MSG_NOSIGNAL);
				if (w < 0) {
					if (errno == EAGAIN || errno == EINTR)
						continue;
					err = errno;
					goto dead;
				}
				sent += (unsigned long long)w;
				c->bulk_sent += w;
				if (c->left > 0) {
					c->left -= w;
					if (c->left == 0) {
						close(c->fd);
						c->fd = -1;
						c->st = C_DONE;
					}
				}
				continue;
			}
			if (re & (POLLIN | POLLERR | POLLHUP)) {
				ssize_t r = recv(c->fd, g_buf, IOBUF, 0);

				if (r < 0) {
					if (errno == EAGAIN || errno == EINTR)
						continue;
					err = errno;
					goto dead;
				}
				if (r == 0) {
					if (c->st == C_RECV)
						unfinished++;
					goto dead;
				}
				rcvd += (unsigned long long)r;
				if (c->st == C_RECV) {
					c->left -= r;
					if (c->left <= 0) {
						lat_add(&req_lat, (double)(t - c->t0) / 1e6);
						reqs_done++;
						c->reqs++;
						if (c->reqs >= o->requests) {
							close(c->fd);
							c->fd = -1;
							c->st = C_DONE;
						} else if (o->interval_ms) {
							c->st = C_WAIT;
							c->wake_ns = t + (uint64_t)o->interval_ms * 1000000ull;
						} else {
							c->st = C_SEND;
							c->t0 = t;
							c->left = o->req_bytes;
						}
					}
				}
				continue;
			}
			continue;
dead:
			if (err == ECONNRESET || err == EPIPE)
				resets++;
			if (c->st == C_RECV || c->st == C_SEND)
				unfinished++;
			close(c->fd);
			c->fd = -1;
			c->st = C_DONE;
		}
	}
	for (int i = 0; i < o->conns; i++) {
		if (cs[i].st == C_CONNECTING)
			timeouts++;
		if (cs[i].st == C_SEND || cs[i].st == C_RECV) {
			unfinished++;
			/* A request still running at the end counts with its age so far. */
			lat_add(&req_lat, (double)(now_ns() - cs[i].t0) / 1e6);
		}
		if (cs[i].fd >= 0)
			close(cs[i].fd);
	}
	printf("nt-traffic client conns=%d connected=%llu failed=%llu conn_timeouts=%llu resets=%llu "
	       "requests=%llu unfinished=%llu bytes_sent=%llu bytes_rcvd=%llu elapsed_ms=%.0f",
	       o->conns, connected, failed, timeouts, resets, reqs_done, unfinished, sent, rcvd,
	       (double)(now_ns() - start) / 1e6);
	lat_print("connect_", &conn_lat);
	lat_print("", &req_lat);
	printf("\n");
	fflush(stdout);
	free(conn_lat.v);
	free(req_lat.v);
	free(cs);
	free(pfd);
	free(idx);
	return 0;
}

int main(int argc, char **argv)
{
	enum {
		O_LISTEN = 256, O_CONNECT, O_BACKLOG, O_NOACCEPT, O_ACCEPT_DELAY, O_RCVBUF, O_SNDBUF,
		O_READ_DELAY, O_READ_SIZE, O_CLOSE_UNREAD, O_CLOSE_DELAY, O_RESPOND, O_RR, O_CONNS,
		O_REQUESTS, O_INTERVAL, O_CTIMEOUT, O_HOLD, O_REQ_BYTES, O_RESP_BYTES, O_BULK, O_RATE,
		O_DURATION, O_MAX_ACCEPT, O_NAGLE, O_CC,
	};
	static const struct option lopts[] = {
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "connect", required_argument, NULL, O_CONNECT },
		{ "backlog", required_argument, NULL, O_BACKLOG },
		{ "no-accept", no_argument, NULL, O_NOACCEPT },
		{ "accept-delay-ms", required_argument, NULL, O_ACCEPT_DELAY },
		{ "max-accept", required_argument, NULL, O_MAX_ACCEPT },
		{ "rcvbuf", required_argument, NULL, O_RCVBUF },
		{ "sndbuf", required_argument, NULL, O_SNDBUF },
		{ "read-delay-ms", required_argument, NULL, O_READ_DELAY },
		{ "read-size", required_argument, NULL, O_READ_SIZE },
		{ "close-unread", no_argument, NULL, O_CLOSE_UNREAD },
		{ "close-delay-ms", required_argument, NULL, O_CLOSE_DELAY },
		{ "respond", required_argument, NULL, O_RESPOND },
		{ "rr", no_argument, NULL, O_RR },
		{ "conns", required_argument, NULL, O_CONNS },
		{ "requests", required_argument, NULL, O_REQUESTS },
		{ "interval-ms", required_argument, NULL, O_INTERVAL },
		{ "connect-timeout-ms", required_argument, NULL, O_CTIMEOUT },
		{ "hold-ms", required_argument, NULL, O_HOLD },
		{ "req-bytes", required_argument, NULL, O_REQ_BYTES },
		{ "resp-bytes", required_argument, NULL, O_RESP_BYTES },
		{ "bulk", required_argument, NULL, O_BULK },
		{ "rate", required_argument, NULL, O_RATE },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "nagle", no_argument, NULL, O_NAGLE },
		{ "cc", required_argument, NULL, O_CC },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = {
		.backlog = 128, .read_size = 65536, .close_delay_ms = 200, .conns = 1,
		.connect_timeout_ms = 10000, .req_bytes = 64, .duration = 30,
	};
	struct sigaction sa = { 0 };
	struct rlimit rl;
	int have_addr = 0, c, bad = 0;
	char *end;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "server"))
		o.server = 1;
	else if (strcmp(argv[1], "client")) {
		fprintf(stderr, "nt-traffic: unknown mode '%s' (server or client)\n", argv[1]);
		return 2;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		long long v = 0;

		switch (c) {
		case O_LISTEN:
		case O_CONNECT:
			if (parse_addr(optarg, &o.addr, &o.alen)) {
				fprintf(stderr, "nt-traffic: bad address '%s' (ADDR:PORT)\n", optarg);
				return 2;
			}
			have_addr = 1;
			break;
		case O_BACKLOG: bad |= parse_int(optarg, &o.backlog); break;
		case O_NOACCEPT: o.no_accept = 1; break;
		case O_ACCEPT_DELAY: bad |= parse_int(optarg, &o.accept_delay_ms); break;
		case O_MAX_ACCEPT: bad |= parse_int(optarg, &o.max_accept); break;
		case O_RCVBUF: bad |= parse_int(optarg, &o.rcvbuf); break;
		case O_SNDBUF: bad |= parse_int(optarg, &o.sndbuf); break;
		case O_READ_DELAY: bad |= parse_int(optarg, &o.read_delay_ms); break;
		case O_READ_SIZE: bad |= parse_int(optarg, &o.read_size); break;
		case O_CLOSE_UNREAD: o.close_unread = 1; break;
		case O_CLOSE_DELAY: bad |= parse_int(optarg, &o.close_delay_ms); break;
		case O_RESPOND: bad |= parse_ll(optarg, &o.respond); o.rr = 1; break;
		case O_RR: o.rr = 1; break;
		case O_NAGLE: o.nagle = 1; break;
		case O_CC: o.cc = optarg; break;
		case O_CONNS: bad |= parse_int(optarg, &o.conns); break;
		case O_REQUESTS: bad |= parse_ll(optarg, &o.requests); break;
		case O_INTERVAL: bad |= parse_int(optarg, &o.interval_ms); break;
		case O_CTIMEOUT: bad |= parse_int(optarg, &o.connect_timeout_ms); break;
		case O_HOLD: bad |= parse_int(optarg, &o.hold_ms); break;
		case O_REQ_BYTES: bad |= parse_ll(optarg, &o.req_bytes); break;
		case O_RESP_BYTES: bad |= parse_ll(optarg, &o.resp_bytes); break;
		case O_BULK: bad |= parse_ll(optarg, &v); o.bulk = v; break;
		case O_RATE: bad |= parse_ll(optarg, &o.rate); break;
		case O_DURATION:
			errno = 0;
			o.duration = strtod(optarg, &end);
			if (errno || *end || o.duration <= 0 || o.duration > 3600)
				bad = 1;
			break;
		case 'h': usage(stdout); return 0;
		default: return 2;
		}
		if (bad) {
			fprintf(stderr, "nt-traffic: bad value '%s'\n", optarg);
			return 2;
		}
	}
	if (optind != argc || !have_addr) {
		fprintf(stderr, "nt-traffic: %s\n", have_addr ? "unexpected argument" :
			"--listen (server) or --connect (client) is required");
		return 2;
	}
	if (o.conns < 1 || o.conns > MAX_CONNS || o.req_bytes < 8 || o.req_bytes > 0xffffffffLL ||
	    o.resp_bytes > 0xffffffffLL || o.read_size < 1) {
		fprintf(stderr, "nt-traffic: --conns 1..%d, --req-bytes 8..4G, --resp-bytes < 4G\n",
			MAX_CONNS);
		return 2;
	}
	if (!o.server && o.requests > 0 && o.resp_bytes == 0) {
		fprintf(stderr, "nt-traffic: request/response needs --resp-bytes\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	memset(g_buf, 'x', sizeof(g_buf));
	return o.server ? run_server(&o) : run_client(&o);
}
