/* names.c: the names the tape's contracts give to numbers: chunk file names, trigger and record kinds, drop-reason classes and the default noise list. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "names.h"
#include "records.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

int tape_chunk_name_parse(const char *name, uint64_t *seq, int *partial)
{
	const char *base = strrchr(name, '/'), *p;
	uint64_t v = 0;
	int digits = 0, part;

	base = base ? base + 1 : name;
	if (strncmp(base, "chunk-", 6))
		return 0;
	for (p = base + 6; *p >= '0' && *p <= '9'; p++, digits++) {
		if (digits >= 19)
			return 0;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (!digits)
		return 0;
	if (!strcmp(p, ".ntc"))
		part = 0;
	else if (!strcmp(p, ".ntc.partial"))
		part = 1;
	else
		return 0;
	if (seq)
		*seq = v;
	if (partial)
		*partial = part;
	return 1;
}

int tape_chunk_name_format(char *buf, size_t len, const char *dir, uint64_t seq, int partial)
{
	int n = snprintf(buf, len, "%s%schunk-%08llu.ntc%s", dir ? dir : "", dir ? "/" : "",
			 (unsigned long long)seq, partial ? ".partial" : "");

	if (n < 0 || (size_t)n >= len) {
		if (len)
			buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return n;
}

static const char *const trigger_kinds[] = {
	[NT_TRIGGER_MANUAL] = "manual",
	[NT_TRIGGER_ZERO_WINDOW] = "zero_window",
	[NT_TRIGGER_DROP_BURST] = "drop_burst",
	[NT_TRIGGER_RTO] = "rto",
	[NT_TRIGGER_RTT_SPIKE] = "rtt_spike",
	[NT_TRIGGER_LISTEN_OVERFLOW] = "listen_overflow",
};

const char *nt_trigger_kind_name(uint32_t kind)
{
	return kind < N(trigger_kinds) ? trigger_kinds[kind] : NULL;
}

int nt_trigger_kind_from_name(const char *name)
{
	for (size_t i = 0; i < N(trigger_kinds); i++)
		if (trigger_kinds[i] && !strcasecmp(name, trigger_kinds[i]))
			return (int)i;
	return -1;
}

uint32_t nt_trigger_kind_count(void)
{
	return (uint32_t)N(trigger_kinds);
}

static const char *const retrans_kinds[] = { "data", "syn", "synack" };
static const char *const sample_kinds[] = {
	"periodic", "rcv_zero_start", "rcv_zero_end", "snd_zero_start", "snd_zero_end",
	"rtt_spike", "wnd_change",
};
static const char *const reset_kinds[] = { "sent", "received" };
static const char *const stall_kinds[] = { "read", "response" };
static const char *const buffer_kinds[] = { "exceed_limit", "rcvbuf_grow" };

#define PICK(a) return kind < N(a) ? (a)[kind] : NULL

const char *nt_record_kind_name(uint16_t type, uint32_t kind)
{
	switch (type) {
	case NT_REC_RETRANS: PICK(retrans_kinds);
	case NT_REC_SAMPLE: PICK(sample_kinds);
	case NT_REC_RESET: PICK(reset_kinds);
	case NT_REC_STALL: PICK(stall_kinds);
	case NT_REC_BUFFER: PICK(buffer_kinds);
	case NT_REC_PIN: return nt_trigger_kind_name(kind);
	default: return NULL;
	}
}

/* Reasons by class; everything else is loss. */
static const struct {
	const char *name;
	enum nt_drop_class cls;
} drop_classes[] = {
	{ "NOT_SPECIFIED", NT_DROP_CLASS_NOISE },
	{ "SKB_CONSUMED", NT_DROP_CLASS_NOISE },
	{ "QUEUE_PURGE", NT_DROP_CLASS_NOISE },
	{ "PACKET_SOCK_ERROR", NT_DROP_CLASS_NOISE },
	{ "OTHERHOST", NT_DROP_CLASS_NOISE },
	{ "NO_SOCKET", NT_DROP_CLASS_TEARDOWN },
	{ "TCP_RESET", NT_DROP_CLASS_TEARDOWN },
	{ "TCP_ABORT_ON_DATA", NT_DROP_CLASS_TEARDOWN },
	{ "TCP_CLOSE", NT_DROP_CLASS_TEARDOWN },
	{ "TCP_ABORT_ON_CLOSE", NT_DROP_CLASS_TEARDOWN },
	/* A segment with flags no socket state accepts: after a reset, the
	 * peer's ACKs and data reach the listener (seen at iperf3's aborts). */
	{ "TCP_FLAGS", NT_DROP_CLASS_TEARDOWN },
	{ "TCP_OLD_DATA", NT_DROP_CLASS_DUPLICATE },
	{ "TCP_OLD_SEQUENCE", NT_DROP_CLASS_DUPLICATE },
	/* PAWS: a timestamp older than one already accepted; on a reordering
	 * path that is the late original of a segment already retransmitted. */
	{ "TCP_RFC7323_PAWS", NT_DROP_CLASS_DUPLICATE },
	{ "TCP_RFC7323_PAWS_ACK", NT_DROP_CLASS_DUPLICATE },
	{ "TCP_LISTEN_OVERFLOW", NT_DROP_CLASS_LISTEN },
};

const char *nt_drop_reason_short(const char *reason_name)
{
	if (reason_name && !strncasecmp(reason_name, "SKB_DROP_REASON_", 16))
		return reason_name + 16;
	return reason_name;
}

enum nt_drop_class nt_drop_class_of(const char *reason_name)
{
	const char *n = nt_drop_reason_short(reason_name);

	if (!n)
		return NT_DROP_CLASS_LOSS;
	for (size_t i = 0; i < N(drop_classes); i++)
		if (!strcasecmp(n, drop_classes[i].name))
			return drop_classes[i].cls;
	return NT_DROP_CLASS_LOSS;
}

const char *nt_drop_class_name(enum nt_drop_class c)
{
	static const char *const names[] = { "loss", "noise", "teardown", "duplicate", "listen_overflow" };

	return (unsigned)c < N(names) ? names[c] : "loss";
}
