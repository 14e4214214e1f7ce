/* decode.c: ring-buffer events (bpf/nettape.h) -> tape record payloads (format/records.h), field by field. */
#include "decode.h"

#include <errno.h>
#include <string.h>

/* Every record decode_event writes fits its caller's buffer. */
_Static_assert(sizeof(struct nt_ev_drop) <= DECODE_MAX && sizeof(struct nt_ev_retrans) <= DECODE_MAX &&
	       sizeof(struct nt_ev_cong) <= DECODE_MAX && sizeof(struct nt_ev_state) <= DECODE_MAX &&
	       sizeof(struct nt_ev_sample) <= DECODE_MAX && sizeof(struct nt_ev_reset) <= DECODE_MAX &&
	       sizeof(struct nt_ev_stall) <= DECODE_MAX && sizeof(struct nt_ev_buffer) <= DECODE_MAX,
	       "DECODE_MAX");
_Static_assert(NTB_RETRANS_DATA == NT_RETRANS_DATA && NTB_RETRANS_SYN == NT_RETRANS_SYN &&
	       NTB_RETRANS_SYNACK == NT_RETRANS_SYNACK, "retrans kinds");
_Static_assert(NTB_SAMPLE_PERIODIC == NT_SAMPLE_PERIODIC &&
	       NTB_SAMPLE_RCV_ZERO_START == NT_SAMPLE_RCV_ZERO_START &&
	       NTB_SAMPLE_RCV_ZERO_END == NT_SAMPLE_RCV_ZERO_END &&
	       NTB_SAMPLE_SND_ZERO_START == NT_SAMPLE_SND_ZERO_START &&
	       NTB_SAMPLE_SND_ZERO_END == NT_SAMPLE_SND_ZERO_END &&
	       NTB_SAMPLE_RTT_SPIKE == NT_SAMPLE_RTT_SPIKE, "sample kinds");
_Static_assert(NTB_RESET_SENT == NT_RESET_SENT && NTB_RESET_RECEIVED == NT_RESET_RECEIVED,
	       "reset kinds");
_Static_assert(NTB_STALL_READ == NT_STALL_READ && NTB_STALL_RESPONSE == NT_STALL_RESPONSE,
	       "stall kinds");
_Static_assert(NTB_BUFFER_EXCEED_LIMIT == NT_BUFFER_EXCEED_LIMIT &&
	       NTB_BUFFER_RCVBUF_GROW == NT_BUFFER_RCVBUF_GROW, "buffer kinds");
_Static_assert(NTB_CONN_F_PKT_ORDER == NT_CONN_F_PKT_ORDER, "conn flags");
_Static_assert(NTB_OPT_WSCALE == NT_OPT_WSCALE && NTB_OPT_TS == NT_OPT_TS && NTB_OPT_SACK == NT_OPT_SACK &&
	       NTB_OPT_VALID == NT_OPT_VALID, "option sysctl bits");
_Static_assert(NTB_STATE_F_HANDSHAKE == NT_STATE_F_HANDSHAKE && NTB_STATE_F_TOTALS == NT_STATE_F_TOTALS &&
	       NTB_STATE_F_LISTENER == NT_STATE_F_LISTENER && NTB_STATE_F_ISN == NT_STATE_F_ISN, "state flags");

static const struct {
	uint16_t type;
	const char *name;
	size_t size;
} classes[NTB_NCLASS] = {
	[NTB_DROP]    = { NT_REC_DROP,    "drop",    sizeof(struct ntb_drop) },
	[NTB_RETRANS] = { NT_REC_RETRANS, "retrans", sizeof(struct ntb_retrans) },
	[NTB_CONG]    = { NT_REC_CONG,    "cong",    sizeof(struct ntb_cong) },
	[NTB_STATE]   = { NT_REC_STATE,   "state",   sizeof(struct ntb_state) },
	[NTB_SAMPLE]  = { NT_REC_SAMPLE,  "sample",  sizeof(struct ntb_sample) },
	[NTB_RESET]   = { NT_REC_RESET,   "reset",   sizeof(struct ntb_reset) },
	[NTB_STALL]   = { NT_REC_STALL,   "stall",   sizeof(struct ntb_stall) },
	[NTB_BUFFER]  = { NT_REC_BUFFER,  "buffer",  sizeof(struct ntb_buffer) },
	[NTB_OWNER]   = { 0,              "owner",   sizeof(struct ntb_owner) },
};

uint16_t decode_rec_type(uint32_t cls)
{
	return cls < NTB_NCLASS ? classes[cls].type : 0;
}

const char *decode_class_name(uint32_t cls)
{
	return cls < NTB_NCLASS ? classes[cls].name : "unknown";
}

static void conn(const struct ntb_conn *in, struct nt_conn *out)
{
	memset(out, 0, sizeof(*out));
	out->cookie = in->cookie;
	out->cgroup = in->cgroup;
	out->netns = in->netns;
	out->pid = in->pid;
	out->family = in->family;
	out->proto = in->proto;
	out->sport = in->sport;
	out->dport = in->dport;
	out->flags = in->flags;
	memcpy(out->saddr, in->saddr, 16);
	memcpy(out->daddr, in->daddr, 16);
}

void decode_state(const struct ntb_state *in, struct nt_ev_state *o)
{
	memset(o, 0, sizeof(*o));
	conn(&in->c, &o->c);
	o->old_state = in->old_state;
	o->new_state = in->new_state;
	o->wscale_ok = in->wscale_ok;
	o->snd_wscale = in->snd_wscale;
	o->rcv_wscale = in->rcv_wscale;
	o->sack_ok = in->sack_ok;
	o->ts_ok = in->ts_ok;
	o->flags = in->flags;
	o->mss = in->mss;
	o->advmss = in->advmss;
	o->rcvbuf = in->rcvbuf;
	o->sndbuf = in->sndbuf;
	o->srtt_us = in->srtt_us;
	o->total_retrans = in->total_retrans;
	o->snd_cwnd = in->snd_cwnd;
	o->bytes_acked = in->bytes_acked;
	o->bytes_received = in->bytes_received;
	o->dsack_dups = in->dsack_dups;
	o->reord_seen = in->reord_seen;
	o->opt_sysctl = in->opt_sysctl;
	o->isn_local = in->isn_local;
	o->isn_peer = in->isn_peer;
}

int decode_event(const void *data, size_t size, uint16_t *type, uint64_t *ts, void *out)
{
	struct ntb_hdr h;

	if (size < sizeof(h))
		return -EINVAL;
	memcpy(&h, data, sizeof(h));
	if (h.type >= NTB_NCLASS || size < classes[h.type].size)
		return -EINVAL;
	*type = classes[h.type].type;
	*ts = h.ts;
	switch (h.type) {
	case NTB_DROP: {
		const struct ntb_drop *e = data;
		struct nt_ev_drop *o = out;

		memset(o, 0, sizeof(*o));
		conn(&e->c, &o->c);
		o->location = e->location;
		o->reason = e->reason;
		o->skb_len = e->skb_len;
		o->seq = e->seq;
		o->ack_seq = e->ack_seq;
		o->ifindex = e->ifindex;
		o->window = e->window;
		o->tcp_flags = e->tcp_flags;
		o->sk_state = e->sk_state;
		return sizeof(*o);
	}
	case NTB_RETRANS: {
		const struct ntb_retrans *e = data;
		struct nt_ev_retrans *o = out;

		memset(o, 0, sizeof(*o));
		conn(&e->c, &o->c);
		o->seq = e->seq;
		o->srtt_us = e->srtt_us;
		o->rto_us = e->rto_us;
		o->snd_wnd = e->snd_wnd;
		o->snd_cwnd = e->snd_cwnd;
		o->total_retrans = e->total_retrans;
		o->state = e->state;
		o->ca_state = e->ca_state;
		o->kind = e->kind;
		o->backoff = e->backoff;
		return sizeof(*o);
	}
	case NTB_CONG: {
		const struct ntb_cong *e = data;
		struct nt_ev_cong *o = out;

		memset(o, 0, sizeof(*o));
		conn(&e->c, &o->c);
		o->old_state = e->old_state;
		o->new_state = e->new_state;
		o->snd_cwnd = e->snd_cwnd;
		o->ssthresh = e->ssthresh;
		o->srtt_us = e->srtt_us;
		o->packets_out = e->packets_out;
		o->retrans_out = e->retrans_out;
		o->total_retrans = e->total_retrans;
		o->dsack_dups = e->dsack_dups;
		o->reord_seen = e->reord_seen;
		o->undo_marker = e->undo_marker;
		o->undo_retrans = e->undo_retrans;
		return sizeof(*o);
	}
	case NTB_STATE:
		decode_state(data, out);
		return sizeof(struct nt_ev_state);
	case NTB_SAMPLE: {
		const struct ntb_sample *e = data;
		struct nt_ev_sample *o = out;

		memset(o, 0, sizeof(*o));
		conn(&e->c, &o->c);
		o->kind = e->kind;
		o->state = e->state;
		o->ca_state = e->ca_state;
		o->srtt_us = e->srtt_us;
		o->min_rtt_us = e->min_rtt_us;
		o->rcv_wnd = e->rcv_wnd;
		o->snd_wnd = e->snd_wnd;
		o->snd_cwnd = e->snd_cwnd;
		o->ssthresh = e->ssthresh;
		o->packets_out = e->packets_out;
		o->rcv_queue = e->rcv_queue;
		o->snd_queue = e->snd_queue;
		o->bytes_acked = e->bytes_acked;
		o->bytes_received = e->bytes_received;
		o->total_retrans = e->total_retrans;
		o->dsack_dups = e->dsack_dups;
		o->busy_ms = e->busy_ms;
		o->rwnd_limited_ms = e->rwnd_limited_ms;
		o->sndbuf_limited_ms = e->sndbuf_limited_ms;
		return sizeof(*o);
	}
	case NTB_RESET: {
		const struct ntb_reset *e = data;
		struct nt_ev_reset *o = out;

		memset(o, 0, sizeof(*o));
		conn(&e->c, &o->c);
		o->kind = e->kind;
		o->state = e->state;
		o->reason = e->reason;
		return sizeof(*o);
	}
	case NTB_STALL: {
		const struct ntb_stall *e = data;
		struct nt_ev_stall *o = out;

		memset(o, 0, sizeof(*o));
		conn(&e->c, &o->c);
		o->kind = e->kind;
		o->state = e->state;
		o->bytes = e->bytes;
		o->wait_ns = e->wait_ns;
		return sizeof(*o);
	}
	case NTB_BUFFER: {
		const struct ntb_buffer *e = data;
		struct nt_ev_buffer *o = out;

		memset(o, 0, sizeof(*o));
		conn(&e->c, &o->c);
		o->kind = e->kind;
		o->state = e->state;
		o->value = e->value;
		o->limit = e->limit;
		o->rcvbuf = e->rcvbuf;
		o->sndbuf = e->sndbuf;
		return sizeof(*o);
	}
	case NTB_OWNER:
		return 0;
	}
	return -EINVAL;
}
