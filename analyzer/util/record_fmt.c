/* record_fmt.c: one tape record as a line of text (BCC-tool style) or a JSON object: 'nettape replay' and the tests print records with it (docs/REPLAY.md). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "names.h"
#include "tape.h"
#include "util/record_fmt.h"
#include "util/timefmt.h"

/* The connection part of a record, or NULL for types without one. */
const struct nt_conn *nt_record_conn(const struct tape_record *rec)
{
	if (nt_rec_is_event(rec->type) || rec->type == NT_REC_SOCKET)
		return rec->len >= sizeof(struct nt_conn) ? rec->data : NULL;
	return NULL;
}

uint64_t nt_record_cookie(const struct tape_record *rec)
{
	const struct nt_conn *c = nt_record_conn(rec);

	if (c)
		return c->cookie;
	if (rec->type == NT_REC_PACKET && rec->len >= sizeof(struct nt_rec_packet))
		return ((const struct nt_rec_packet *)rec->data)->cookie;
	if (rec->type == NT_REC_PIN && rec->len >= sizeof(struct nt_rec_pin))
		return ((const struct nt_rec_pin *)rec->data)->cookie;
	return 0;
}


/* ------------------------------------------------------------------ */
/* Output helpers.                                                    */
/* ------------------------------------------------------------------ */


static void put(struct nt_line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct nt_line *l, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (l->n >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	r = vsnprintf(l->buf + l->n, sizeof(l->buf) - l->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		l->n += (size_t)r < sizeof(l->buf) - l->n ? (size_t)r : sizeof(l->buf) - 1 - l->n;
}

/* JSON string (with quotes) from n bytes of possibly non-terminated text. */
static void put_jstr(struct nt_line *l, const char *s, size_t n)
{
	put(l, "\"");
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			put(l, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			put(l, "\\u%04x", ch);
		else
			put(l, "%c", ch);
	}
	put(l, "\"");
}

static void put_jkey_str(struct nt_line *l, const char *key, const char *val)
{
	put(l, ",\"%s\":", key);
	if (val)
		put_jstr(l, val, strlen(val));
	else
		put(l, "null");
}

static void put_jkey_u64(struct nt_line *l, const char *key, uint64_t v)
{
	put(l, ",\"%s\":%" PRIu64, key, v);
}

static void fmt_addr(char *buf, size_t len, uint8_t family, const uint8_t *a)
{
	if (family == 10) {
		if (!inet_ntop(AF_INET6, a, buf, (socklen_t)len))
			snprintf(buf, len, "?");
	} else if (family == 2) {
		if (!inet_ntop(AF_INET, a, buf, (socklen_t)len))
			snprintf(buf, len, "?");
	} else {
		snprintf(buf, len, "-");
	}
}

static void fmt_endpoint(char *buf, size_t len, uint8_t family, const uint8_t *a, uint16_t port)
{
	char ab[INET6_ADDRSTRLEN];

	fmt_addr(ab, sizeof(ab), family, a);
	if (family == 10)
		snprintf(buf, len, "[%s]:%u", ab, port);
	else
		snprintf(buf, len, "%s:%u", ab, port);
}

static void fmt_tcp_flags(char *buf, size_t len, uint8_t fl)
{
	static const struct { uint8_t bit; char ch; } map[] = {
		{ 0x02, 'S' }, { 0x01, 'F' }, { 0x04, 'R' }, { 0x08, 'P' }, { 0x10, '.' },
		{ 0x20, 'U' }, { 0x40, 'E' }, { 0x80, 'W' },
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]) && n + 1 < len; i++)
		if (fl & map[i].bit)
			buf[n++] = map[i].ch;
	if (!n && len > 1)
		buf[n++] = '-';
	buf[n] = 0;
}

static const char *state_name(const struct tape_meta *m, uint32_t v, char *tmp, size_t len)
{
	const char *n = tape_meta__enum_name(m, NT_ENUM_TCP_STATE, v);

	if (!n)
		n = tape_tcp_state_name(v);
	if (!n) {
		snprintf(tmp, len, "state#%u", v);
		n = tmp;
	}
	return n;
}

static const char *ca_name(const struct tape_meta *m, uint32_t v, char *tmp, size_t len)
{
	const char *n = tape_meta__enum_name(m, NT_ENUM_CA_STATE, v);

	if (!n)
		n = tape_ca_state_name(v);
	if (!n) {
		snprintf(tmp, len, "ca#%u", v);
		n = tmp;
	}
	/* Kernel names read "TCP_CA_Open": print "Open". */
	if (!strncmp(n, "TCP_CA_", 7))
		n += 7;
	return n;
}

static const char *enum_or_num(const struct tape_meta *m, uint16_t kind, uint32_t v,
			       const char *pfx, char *tmp, size_t len)
{
	const char *n = tape_meta__enum_name(m, kind, v);

	if (!n) {
		snprintf(tmp, len, "%s#%u", pfx, v);
		n = tmp;
	}
	/* Kernel enum names carry a prefix ("SKB_DROP_REASON_", "SK_RST_REASON_"). */
	if (!strncmp(n, "SKB_DROP_REASON_", 16))
		n += 16;
	else if (!strncmp(n, "SK_RST_REASON_", 14))
		n += 14;
	return n;
}

static void fmt_location(char *buf, size_t len, const struct tape_meta *m, uint64_t addr)
{
	uint64_t off = 0;
	const char *sym = addr ? tape_meta__symbol(m, addr, &off) : NULL;

	if (sym)
		snprintf(buf, len, "%s+0x%" PRIx64, sym, off);
	else
		snprintf(buf, len, "0x%" PRIx64, addr);
}

/* The name of a record's kind field (format/names.h), "unknown" if it has none. */
static const char *kind_name(uint16_t type, uint32_t v)
{
	const char *n = nt_record_kind_name(type, v);

	return n ? n : "unknown";
}

/* ------------------------------------------------------------------ */
/* Formatting of one record.                                          */
/* ------------------------------------------------------------------ */

/* Emits a field in both styles: text "key=value", JSON ,"key":value. */
struct emit {
	struct nt_line *l;
	int json;
};

static void f_str(struct emit *e, const char *key, const char *val)
{
	if (e->json)
		put_jkey_str(e->l, key, val);
	else
		put(e->l, " %s=%s", key, val ? val : "-");
}

static void f_u64(struct emit *e, const char *key, uint64_t v)
{
	if (e->json)
		put_jkey_u64(e->l, key, v);
	else
		put(e->l, " %s=%" PRIu64, key, v);
}

/* Microseconds: text "1.234ms", JSON integer key_us. */
static void f_us(struct emit *e, const char *key, uint64_t us)
{
	if (e->json) {
		put(e->l, ",\"%s_us\":%" PRIu64, key, us);
	} else {
		put(e->l, " %s=%.3fms", key, (double)us / 1000.0);
	}
}

static void emit_conn_head(struct emit *e, const struct tape_record *rec, const struct nt_conn *c,
			   const struct tape_meta *m)
{
	const struct nt_rec_process *p = c && c->pid ? tape_meta__process(m, c->pid, NULL) : NULL;
	char comm[17] = "-";
	char sbuf[64], dbuf[64];

	if (p) {
		memcpy(comm, p->comm, 16);
		comm[16] = 0;
		if (!comm[0])
			strcpy(comm, "?");
	} else if (c && !c->pid) {
		strcpy(comm, "unknown");
	}
	if (!c) {
		if (!e->json)
			put(e->l, " %-22s", "-");
		return;
	}
	fmt_endpoint(sbuf, sizeof(sbuf), c->family, c->saddr, c->sport);
	fmt_endpoint(dbuf, sizeof(dbuf), c->family, c->daddr, c->dport);
	if (e->json) {
		char ab[INET6_ADDRSTRLEN];
		const char *nsn = tape_meta__netns_name(m, c->netns);

		put(e->l, ",\"pid\":%u", c->pid);
		put_jkey_str(e->l, "comm", c->pid ? (p ? comm : NULL) : NULL);
		put_jkey_u64(e->l, "cookie", c->cookie);
		put_jkey_u64(e->l, "cgroup", c->cgroup);
		put_jkey_u64(e->l, "netns", c->netns);
		put_jkey_str(e->l, "netns_name", nsn);
		put_jkey_str(e->l, "family", c->family == 10 ? "ipv6" : c->family == 2 ? "ipv4" : "unknown");
		fmt_addr(ab, sizeof(ab), c->family, c->saddr);
		put_jkey_str(e->l, "saddr", ab);
		put_jkey_u64(e->l, "sport", c->sport);
		fmt_addr(ab, sizeof(ab), c->family, c->daddr);
		put_jkey_str(e->l, "daddr", ab);
		put_jkey_u64(e->l, "dport", c->dport);
		put(e->l, ",\"pkt_order\":%s", (c->flags & NT_CONN_F_PKT_ORDER) ? "true" : "false");
	} else {
		char who[32];

		snprintf(who, sizeof(who), "%u/%s", c->pid, comm);
		put(e->l, " %-22s %s %s %s", who, sbuf,
		    (c->flags & NT_CONN_F_PKT_ORDER) ? ">" : "<->", dbuf);
	}
	(void)rec;
}

static void emit_body(struct emit *e, const struct tape_record *rec, const struct tape_meta *m)
{
	char t1[48], t2[48], t3[160];
	const void *d = rec->data;

	switch (rec->type) {
	case NT_REC_DROP: {
		const struct nt_ev_drop *v = d;

		f_str(e, "reason", enum_or_num(m, NT_ENUM_DROP_REASON, v->reason, "reason", t1, sizeof(t1)));
		if (e->json)
			f_u64(e, "reason_code", v->reason);
		fmt_location(t3, sizeof(t3), m, v->location);
		f_str(e, "location", t3);
		if (e->json) {
			snprintf(t3, sizeof(t3), "0x%" PRIx64, v->location);
			f_str(e, "location_addr", t3); /* a string: 64-bit addresses exceed JSON's safe integers */
		}
		f_str(e, "sk_state", v->sk_state ? state_name(m, v->sk_state, t2, sizeof(t2)) : NULL);
		fmt_tcp_flags(t1, sizeof(t1), v->tcp_flags);
		f_str(e, "flags", t1);
		f_u64(e, "seq", v->seq);
		f_u64(e, "ack", v->ack_seq);
		f_u64(e, "win", v->window);
		f_u64(e, "len", v->skb_len);
		{
			const char *ifn = v->ifindex ? tape_meta__iface_name(m, v->c.netns, v->ifindex) : NULL;

			if (e->json) {
				f_u64(e, "ifindex", v->ifindex);
				f_str(e, "ifname", ifn);
			} else if (v->ifindex) {
				if (ifn)
					f_str(e, "if", ifn);
				else
					f_u64(e, "if", v->ifindex);
			}
		}
		break;
	}
	case NT_REC_RETRANS: {
		const struct nt_ev_retrans *v = d;

		f_str(e, "kind", kind_name(NT_REC_RETRANS, v->kind));
		f_str(e, "state", state_name(m, v->state, t1, sizeof(t1)));
		f_str(e, "ca", ca_name(m, v->ca_state, t2, sizeof(t2)));
		f_u64(e, "seq", v->seq);
		f_us(e, "srtt", v->srtt_us);
		f_us(e, "rto", v->rto_us);
		f_u64(e, "cwnd", v->snd_cwnd);
		f_u64(e, "snd_wnd", v->snd_wnd);
		f_u64(e, "retrans", v->total_retrans);
		f_u64(e, "backoff", v->backoff);
		break;
	}
	case NT_REC_CONG: {
		const struct nt_ev_cong *v = d;

		if (e->json) {
			f_str(e, "old_ca", ca_name(m, v->old_state, t1, sizeof(t1)));
			f_str(e, "new_ca", ca_name(m, v->new_state, t2, sizeof(t2)));
		} else {
			put(e->l, " ca=%s->%s", ca_name(m, v->old_state, t1, sizeof(t1)),
			    ca_name(m, v->new_state, t2, sizeof(t2)));
		}
		f_u64(e, "cwnd", v->snd_cwnd);
		f_u64(e, "ssthresh", v->ssthresh);
		f_us(e, "srtt", v->srtt_us);
		f_u64(e, "packets_out", v->packets_out);
		f_u64(e, "retrans_out", v->retrans_out);
		break;
	}
	case NT_REC_STATE:
	case NT_REC_SOCKET: {
		const struct nt_ev_state *v = d;
		const char *o = state_name(m, v->old_state, t1, sizeof(t1));
		const char *n = state_name(m, v->new_state, t2, sizeof(t2));

		if (!strncmp(o, "TCP_", 4))
			o += 4;
		if (!strncmp(n, "TCP_", 4))
			n += 4;
		if (e->json) {
			f_str(e, "old_state", o);
			f_str(e, "new_state", n);
			put(e->l, ",\"listener\":%s", (v->flags & NT_STATE_F_LISTENER) ? "true" : "false");
		} else {
			put(e->l, " %s -> %s", o, n);
			if (v->flags & NT_STATE_F_LISTENER)
				put(e->l, " listener");
		}
		if (v->flags & NT_STATE_F_HANDSHAKE) {
			f_u64(e, "wscale_ok", v->wscale_ok);
			f_u64(e, "snd_wscale", v->snd_wscale);
			f_u64(e, "rcv_wscale", v->rcv_wscale);
			f_u64(e, "sack_ok", v->sack_ok);
			f_u64(e, "ts_ok", v->ts_ok);
			f_u64(e, "mss", v->mss);
			f_u64(e, "advmss", v->advmss);
			f_u64(e, "rcvbuf", v->rcvbuf);
			f_u64(e, "sndbuf", v->sndbuf);
		}
		if (v->flags & NT_STATE_F_TOTALS) {
			f_u64(e, "tx_bytes", v->bytes_acked);
			f_u64(e, "rx_bytes", v->bytes_received);
			f_u64(e, "retrans", v->total_retrans);
			f_us(e, "srtt", v->srtt_us);
			f_u64(e, "cwnd", v->snd_cwnd);
		}
		break;
	}
	case NT_REC_SAMPLE: {
		const struct nt_ev_sample *v = d;

		f_str(e, "kind", kind_name(NT_REC_SAMPLE, v->kind));
		f_str(e, "state", state_name(m, v->state, t1, sizeof(t1)));
		f_str(e, "ca", ca_name(m, v->ca_state, t2, sizeof(t2)));
		f_us(e, "srtt", v->srtt_us);
		f_us(e, "min_rtt", v->min_rtt_us);
		f_u64(e, "rcv_wnd", v->rcv_wnd);
		f_u64(e, "snd_wnd", v->snd_wnd);
		f_u64(e, "cwnd", v->snd_cwnd);
		f_u64(e, "ssthresh", v->ssthresh);
		f_u64(e, "packets_out", v->packets_out);
		f_u64(e, "rcv_queue", v->rcv_queue);
		f_u64(e, "snd_queue", v->snd_queue);
		f_u64(e, "tx_bytes", v->bytes_acked);
		f_u64(e, "rx_bytes", v->bytes_received);
		if (v->busy_ms) { /* tapes from 2026-12-04 on */
			f_u64(e, "busy_ms", v->busy_ms);
			f_u64(e, "rwnd_limited_ms", v->rwnd_limited_ms);
			f_u64(e, "sndbuf_limited_ms", v->sndbuf_limited_ms);
		}
		break;
	}
	case NT_REC_RESET: {
		const struct nt_ev_reset *v = d;

		f_str(e, "kind", kind_name(NT_REC_RESET, v->kind));
		f_str(e, "state", state_name(m, v->state, t1, sizeof(t1)));
		if (v->kind == NT_RESET_SENT)
			f_str(e, "reason", enum_or_num(m, NT_ENUM_RST_REASON, v->reason, "reason", t2, sizeof(t2)));
		break;
	}
	case NT_REC_STALL: {
		const struct nt_ev_stall *v = d;

		f_str(e, "kind", kind_name(NT_REC_STALL, v->kind));
		f_str(e, "state", state_name(m, v->state, t1, sizeof(t1)));
		if (e->json)
			f_u64(e, "wait_ns", v->wait_ns);
		else
			put(e->l, " wait=%.3fms", (double)v->wait_ns / 1e6);
		f_u64(e, "bytes", v->bytes);
		break;
	}
	case NT_REC_BUFFER: {
		const struct nt_ev_buffer *v = d;

		f_str(e, "kind", kind_name(NT_REC_BUFFER, v->kind));
		f_str(e, "state", state_name(m, v->state, t1, sizeof(t1)));
		f_u64(e, "value", v->value);
		f_u64(e, "limit", v->limit);
		f_u64(e, "rcvbuf", v->rcvbuf);
		f_u64(e, "sndbuf", v->sndbuf);
		break;
	}
	case NT_REC_LISTEN: {
		const struct nt_ev_listen *v = d;

		f_u64(e, "backlog", v->backlog);
		f_u64(e, "max_backlog", v->max_backlog);
		f_u64(e, "overflows", v->overflows);
		break;
	}
	case NT_REC_LOSS: {
		const struct nt_rec_loss *v = d;

		f_str(e, "class", v->rec_type ? nt_rec_type_name(v->rec_type) : "all");
		if (v->cpu == 0xffff)
			f_str(e, "cpu", e->json ? NULL : "all");
		else
			f_u64(e, "cpu", v->cpu);
		f_u64(e, "count", v->count);
		f_u64(e, "from_boot_ns", v->from_ns);
		f_u64(e, "to_boot_ns", v->to_ns);
		break;
	}
	case NT_REC_PIN: {
		const struct nt_rec_pin *v = d;
		const char *k = tape_meta__enum_name(m, NT_ENUM_TRIGGER, v->kind);
		size_t dl = rec->len - sizeof(*v);

		f_str(e, "trigger", k ? k : kind_name(NT_REC_PIN, v->kind));
		f_u64(e, "cookie", v->cookie);
		f_u64(e, "pre_ms", v->pre_ns / 1000000);
		f_u64(e, "post_ms", v->post_ns / 1000000);
		if (e->json) {
			put(e->l, ",\"description\":");
			put_jstr(e->l, (const char *)d + sizeof(*v), dl);
		} else if (dl) {
			put(e->l, " \"%.*s\"", (int)(dl > 200 ? 200 : dl), (const char *)d + sizeof(*v));
		}
		break;
	}
	case NT_REC_PACKET: {
		const struct nt_rec_packet *v = d;
		const char *ifn = tape_meta__iface_name(m, v->netns, v->ifindex);

		f_u64(e, "cookie", v->cookie);
		f_u64(e, "netns", v->netns);
		if (ifn)
			f_str(e, "if", ifn);
		else
			f_u64(e, "ifindex", v->ifindex);
		f_str(e, "dir", v->dir == 1 ? "in" : v->dir == 2 ? "out" : "unknown");
		f_u64(e, "orig_len", v->orig_len);
		f_u64(e, "caplen", rec->len - sizeof(*v));
		f_u64(e, "linktype", v->linktype);
		break;
	}
	case NT_REC_PROCESS: {
		const struct nt_rec_process *v = d;
		char comm[17];
		size_t cl = rec->len - sizeof(*v);

		memcpy(comm, v->comm, 16);
		comm[16] = 0;
		f_u64(e, "pid", v->pid);
		f_u64(e, "ppid", v->ppid);
		f_str(e, "comm", comm);
		if (e->json) {
			put(e->l, ",\"cmdline\":");
			put_jstr(e->l, (const char *)d + sizeof(*v), cl);
		} else {
			put(e->l, " cmdline=\"%.*s\"", (int)(cl > 200 ? 200 : cl), (const char *)d + sizeof(*v));
		}
		break;
	}
	case NT_REC_SYMBOL: {
		const struct nt_rec_symbol *v = d;
		size_t nl = rec->len - sizeof(*v);

		snprintf(t3, sizeof(t3), "0x%" PRIx64, v->addr);
		f_str(e, "addr", t3);
		snprintf(t3, sizeof(t3), "%.*s", (int)(nl > 150 ? 150 : nl), (const char *)d + sizeof(*v));
		f_str(e, "name", t3);
		break;
	}
	case NT_REC_ENUM_NAME: {
		const struct nt_rec_enum_name *v = d;
		size_t nl = rec->len - sizeof(*v);

		f_u64(e, "kind", v->kind);
		f_u64(e, "value", v->value);
		snprintf(t3, sizeof(t3), "%.*s", (int)(nl > 150 ? 150 : nl), (const char *)d + sizeof(*v));
		f_str(e, "name", t3);
		break;
	}
	case NT_REC_CGROUP: {
		const struct nt_rec_cgroup *v = d;
		size_t pl = v->path_len, cl = v->container_len;

		if (sizeof(*v) + pl + cl > rec->len)
			pl = cl = 0; /* lengths past the record: print neither */
		f_u64(e, "id", v->id);
		snprintf(t3, sizeof(t3), "%.*s", (int)(pl > 150 ? 150 : pl), (const char *)d + sizeof(*v));
		f_str(e, "path", t3);
		snprintf(t3, sizeof(t3), "%.*s", (int)(cl > 150 ? 150 : cl), (const char *)d + sizeof(*v) + pl);
		f_str(e, "container", cl ? t3 : NULL);
		break;
	}
	case NT_REC_NETNS: {
		const struct nt_rec_netns *v = d;
		size_t nl = rec->len - sizeof(*v);

		f_u64(e, "inode", v->inode);
		snprintf(t3, sizeof(t3), "%.*s", (int)(nl > 150 ? 150 : nl), (const char *)d + sizeof(*v));
		f_str(e, "name", t3);
		break;
	}
	case NT_REC_CLOCK: {
		const struct nt_rec_clock *v = d;

		f_u64(e, "boottime_ns", v->boottime_ns);
		f_u64(e, "realtime_ns", v->realtime_ns);
		break;
	}
	case NT_REC_CONFIG:
		snprintf(t3, sizeof(t3), "%.*s", (int)(rec->len > 150 ? 150 : rec->len), (const char *)d);
		f_str(e, "text", t3);
		break;
	default:
		f_u64(e, "len", rec->len);
		break;
	}
}

void nt_record_format(struct nt_line *l, const struct tape_record *rec, int json, int show_host)
{
	const struct tape_meta *m = rec->src->meta;
	const struct nt_conn *c = nt_record_conn(rec);
	uint64_t rt = tape_record_realtime(rec);
	struct emit e = { .l = l, .json = json };
	char tb[64];

	l->n = 0;
	if (json) {
		nt_time_iso((int64_t)rt, tb, sizeof(tb));
		put(l, "{\"ts\":\"%s\",\"time_ns\":%" PRIu64 ",\"boot_ns\":%" PRIu64, tb, rt, rec->ts);
		put_jkey_str(l, "type", nt_rec_type_name(rec->type));
		put(l, ",\"type_id\":%u,\"tape\":%u", rec->type, rec->src->tape_no);
		put_jkey_str(l, "host", rec->src->hdr.hostname);
		emit_conn_head(&e, rec, c, m);
		emit_body(&e, rec, m);
		put(l, "}\n");
	} else {
		time_t secs = (time_t)(rt / 1000000000ull);
		struct tm tm;

		gmtime_r(&secs, &tm);
		put(l, "%02d:%02d:%02d.%06u %-7s", tm.tm_hour, tm.tm_min, tm.tm_sec,
		    (unsigned)((rt % 1000000000ull) / 1000), nt_rec_type_name(rec->type));
		if (show_host)
			put(l, " [%s]", rec->src->hdr.hostname);
		emit_conn_head(&e, rec, c, m);
		emit_body(&e, rec, m);
		put(l, "\n");
	}
}

