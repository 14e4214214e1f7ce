/* tape_dump.c: test helper for the recorder smoke test: counts (and optionally prints) the records of a tape. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "tape.h"

static void addr(char *buf, size_t len, const struct nt_conn *c, const uint8_t *a, uint16_t port)
{
	char ip[64];

	inet_ntop(c->family == 10 ? 10 : 2, a, ip, sizeof(ip));
	snprintf(buf, len, c->family == 10 ? "[%s]:%u" : "%s:%u", ip, port);
}

static void print_rec(const struct tape_record *r)
{
	const struct tape_meta *m = r->src->meta;
	char s[80], d[80];

	if (!nt_rec_is_event(r->type) && r->type != NT_REC_SOCKET && r->type != NT_REC_LISTEN) {
		if (r->type == NT_REC_PROCESS) {
			const struct nt_rec_process *p = r->data;

			printf("%" PRIu64 " process pid=%u ppid=%u comm=%.16s cgroup=%" PRIu64 " cmd=%.*s\n",
			       r->ts, p->pid, p->ppid, p->comm, p->cgroup,
			       (int)(r->len - sizeof(*p)), (const char *)r->data + sizeof(*p));
		} else if (r->type == NT_REC_NETNS) {
			const struct nt_rec_netns *n = r->data;

			printf("%" PRIu64 " netns %u %.*s\n", r->ts, n->inode,
			       (int)(r->len - sizeof(*n)), (const char *)r->data + sizeof(*n));
		} else if (r->type == NT_REC_CGROUP) {
			const struct nt_rec_cgroup *g = r->data;

			printf("%" PRIu64 " cgroup %" PRIu64 " %.*s container=%.*s\n", r->ts, g->id,
			       g->path_len, (const char *)r->data + sizeof(*g), g->container_len,
			       (const char *)r->data + sizeof(*g) + g->path_len);
		} else if (r->type == NT_REC_SYMBOL) {
			const struct nt_rec_symbol *y = r->data;

			printf("%" PRIu64 " symbol %#" PRIx64 " %.*s\n", r->ts, y->addr,
			       (int)(r->len - sizeof(*y)), (const char *)r->data + sizeof(*y));
		} else if (r->type == NT_REC_LOSS) {
			const struct nt_rec_loss *l = r->data;

			printf("%" PRIu64 " loss type=%#x cpu=%u count=%" PRIu64 "\n", r->ts, l->rec_type,
			       l->cpu, l->count);
		}
		return;
	}
	{
		const struct nt_conn *c = r->data;

		addr(s, sizeof(s), c, c->saddr, c->sport);
		addr(d, sizeof(d), c, c->daddr, c->dport);
		printf("%" PRIu64 " %s %s -> %s cookie=%" PRIu64 " pid=%u netns=%u flags=%u", r->ts,
		       nt_rec_type_name(r->type), s, d, c->cookie, c->pid, c->netns, c->flags);
	}
	switch (r->type) {
	case NT_REC_DROP: {
		const struct nt_ev_drop *e = r->data;
		uint64_t off = 0;
		const char *sym = tape_meta__symbol(m, e->location, &off);
		const char *rn = tape_meta__enum_name(m, NT_ENUM_DROP_REASON, e->reason);

		printf(" reason=%s(%u) at=%s+%#" PRIx64 " if=%u flags=%#x", rn ? rn : "?", e->reason,
		       sym ? sym : "?", off, e->ifindex, e->tcp_flags);
		break;
	}
	case NT_REC_RETRANS: {
		const struct nt_ev_retrans *e = r->data;

		printf(" kind=%u state=%u ca=%u srtt=%u rto=%u backoff=%u", e->kind, e->state,
		       e->ca_state, e->srtt_us, e->rto_us, e->backoff);
		break;
	}
	case NT_REC_CONG: {
		const struct nt_ev_cong *e = r->data;

		printf(" ca %u->%u cwnd=%u", e->old_state, e->new_state, e->snd_cwnd);
		break;
	}
	case NT_REC_STATE:
	case NT_REC_SOCKET: {
		const struct nt_ev_state *e = r->data;

		printf(" %u->%u flags=%#x wscale_ok=%u snd_ws=%u rcv_ws=%u mss=%u rcvbuf=%u srtt=%u "
		       "retrans=%u acked=%" PRIu64 " rcvd=%" PRIu64, e->old_state, e->new_state, e->flags,
		       e->wscale_ok, e->snd_wscale, e->rcv_wscale, e->mss, e->rcvbuf, e->srtt_us,
		       e->total_retrans, e->bytes_acked, e->bytes_received);
		break;
	}
	case NT_REC_SAMPLE: {
		const struct nt_ev_sample *e = r->data;

		printf(" kind=%u srtt=%u min=%u rcv_wnd=%u snd_wnd=%u cwnd=%u rq=%u sq=%u", e->kind,
		       e->srtt_us, e->min_rtt_us, e->rcv_wnd, e->snd_wnd, e->snd_cwnd, e->rcv_queue,
		       e->snd_queue);
		break;
	}
	case NT_REC_RESET: {
		const struct nt_ev_reset *e = r->data;
		const char *rn = tape_meta__enum_name(m, NT_ENUM_RST_REASON, e->reason);

		printf(" kind=%u state=%u reason=%s", e->kind, e->state, rn ? rn : "?");
		break;
	}
	case NT_REC_STALL: {
		const struct nt_ev_stall *e = r->data;

		printf(" kind=%u wait_ms=%.1f bytes=%u", e->kind, e->wait_ns / 1e6, e->bytes);
		break;
	}
	case NT_REC_LISTEN: {
		const struct nt_ev_listen *e = r->data;

		printf(" backlog=%u/%u overflows=%u", e->backlog, e->max_backlog, e->overflows);
		break;
	}
	case NT_REC_BUFFER: {
		const struct nt_ev_buffer *e = r->data;

		printf(" kind=%u value=%u limit=%u", e->kind, e->value, e->limit);
		break;
	}
	default:
		break;
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	uint64_t counts[0x300] = { 0 };
	struct tape_record rec;
	struct tape_reader *r;
	int err = 0, verbose = 0, i, n;
	const char *path;

	if (argc > 2 && !strcmp(argv[1], "-v")) {
		verbose = 1;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: tape_dump [-v] TAPE_DIR\n");
		return 2;
	}
	path = argv[1];
	r = tape_reader__open(&path, 1, NULL, &err);
	if (!r) {
		fprintf(stderr, "tape_dump: %s: %s\n", path, tape_strerror(err));
		return 1;
	}
	while ((n = tape_reader__next(r, &rec)) > 0) {
		if (rec.type < 0x300)
			counts[rec.type]++;
		if (verbose)
			print_rec(&rec);
	}
	if (n < 0)
		fprintf(stderr, "tape_dump: read error: %s\n", tape_strerror(n));
	for (i = 0; i < 0x300; i++)
		if (counts[i])
			printf("count %s %" PRIu64 "\n", nt_rec_type_name((uint16_t)i), counts[i]);
	printf("damage %zu\n", tape_reader__ndamage(r));
	tape_reader__free(r);
	return n < 0 ? 1 : 0;
}
