/* tape_dump.c: the one tape dumper of the tests: record counts and decoded events, every record as text+hex, or the raw content of every zstd frame. */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "tape.h"

/*
 * tape_dump [-v] TAPE      counts per record type and the damage count; with -v
 *                          every event decoded on one line (the recorder tests)
 * tape_dump records TAPE   every chunk header and record through the tape reader:
 *                          "type ts real" then the payload as text (non-printable
 *                          bytes as '.') and hex, plus decoded tuples of events;
 *                          exit 1 on any damage (a verify; the bundle tests)
 * tape_dump zstd FILE...   scans the bytes for zstd frames (magic 28 b5 2f fd) and
 *                          writes each decompressed frame to stdout: an independent
 *                          check that nothing hides in compressed data
 */

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

/* ---- tape_dump records / zstd ---- */

static void text_hex(const uint8_t *p, uint32_t n)
{
	printf("  text: ");
	for (uint32_t i = 0; i < n; i++)
		putchar(isprint(p[i]) ? p[i] : '.');
	printf("\n  hex: ");
	for (uint32_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static void print_conn(const struct nt_conn *c)
{
	char s[INET6_ADDRSTRLEN] = "?", d[INET6_ADDRSTRLEN] = "?";
	int af = c->family == 10 ? AF_INET6 : AF_INET;
	inet_ntop(af, c->saddr, s, sizeof(s));
	inet_ntop(af, c->daddr, d, sizeof(d));
	printf("  conn: cookie=%" PRIu64 " pid=%u netns=%u %s:%u -> %s:%u\n", c->cookie, c->pid,
	       c->netns, s, c->sport, d, c->dport);
}

static int dump_records(const char *path)
{
	int err = 0, r;
	const char *paths[1] = { path };
	struct tape_reader_opts ro = { 0 };
	struct tape_reader *rd = tape_reader__open(paths, 1, &ro, &err);
	if (!rd) {
		fprintf(stderr, "tape_dump: %s: %s\n", path, tape_strerror(err));
		return 1;
	}
	struct tape_record rec;
	size_t seen = 0;
	uint64_t n = 0;
	while ((r = tape_reader__next(rd, &rec)) > 0) {
		while (seen < tape_reader__nsources(rd)) {
			const struct tape_source *s = tape_reader__source(rd, seen++);
			printf("chunk %s seq=%" PRIu64 " host=%s boot_id=%s kernel=%s version=%s "
			       "cmdline=%s snaplen=%u flags=0x%x\n", s->path, s->hdr.chunk_seq,
			       s->hdr.hostname, s->hdr.boot_id, s->hdr.kernel, s->hdr.version,
			       s->hdr.cmdline, s->hdr.snaplen, s->hdr.flags);
		}
		printf("rec %s type=0x%04x ts=%" PRIu64 " real=%" PRIu64 " len=%u\n",
		       nt_rec_type_name(rec.type), rec.type, rec.ts, tape_record_realtime(&rec), rec.len);
		if ((nt_rec_is_event(rec.type) || rec.type == NT_REC_SOCKET) &&
		    rec.len >= sizeof(struct nt_conn)) {
			struct nt_conn c;
			memcpy(&c, rec.data, sizeof(c));
			print_conn(&c);
		}
		text_hex(rec.data, rec.len);
		n++;
	}
	int bad = r < 0 || tape_reader__ndamage(rd) > 0;
	for (size_t i = 0; i < tape_reader__ndamage(rd); i++) {
		const struct tape_damage *d = tape_reader__damage(rd, i);
		fprintf(stderr, "tape_dump: damage %s@%" PRIu64 ": %s\n", d->path, d->offset, d->reason);
	}
	printf("records=%" PRIu64 "\n", n);
	tape_reader__free(rd);
	return bad;
}

static int dump_zstd(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	size_t cap = 1 << 20, n = 0;
	uint8_t *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			uint8_t *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf)
		return 1;
	int frames = 0;
	for (size_t i = 0; i + 4 <= n; i++) {
		if (buf[i] != 0x28 || buf[i + 1] != 0xb5 || buf[i + 2] != 0x2f || buf[i + 3] != 0xfd)
			continue;
		size_t csize = ZSTD_findFrameCompressedSize(buf + i, n - i);
		if (ZSTD_isError(csize))
			continue;
		unsigned long long rsize = ZSTD_getFrameContentSize(buf + i, csize);
		if (rsize == ZSTD_CONTENTSIZE_ERROR || rsize == ZSTD_CONTENTSIZE_UNKNOWN ||
		    rsize > (256u << 20))
			continue;
		void *out = malloc(rsize ? rsize : 1);
		if (!out)
			break;
		size_t d = ZSTD_decompress(out, rsize, buf + i, csize);
		if (!ZSTD_isError(d)) {
			fwrite(out, 1, d, stdout);
			frames++;
		}
		free(out);
		i += csize - 1;
	}
	fprintf(stderr, "tape_dump: %s: %d zstd frames\n", path, frames);
	free(buf);
	return 0;
}

/* ---- tape_dump [-v] ---- */

static int dump_counts(int argc, char **argv)
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
		fprintf(stderr, "usage: tape_dump [-v] TAPE | tape_dump records TAPE | tape_dump zstd FILE...\n");
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

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "records"))
		return dump_records(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "zstd")) {
		int rc = 0;
		for (int i = 2; i < argc; i++)
			rc |= dump_zstd(argv[i]);
		return rc;
	}
	return dump_counts(argc, argv);
}
