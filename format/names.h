/* names.h: the names the tape's contracts give to numbers: chunk file names, trigger and record kinds, drop-reason classes and the default noise list. */
#ifndef NETTAPE_NAMES_H
#define NETTAPE_NAMES_H

/*
 * Owner of every name table shared by the recorder and the analyzer, so
 * that each number has one name (docs/FORMAT.md sections 2 and 8):
 * - chunk file names: "chunk-" + sequence (at least 8 digits) + ".ntc",
 *   ".ntc.partial" while written; parsed strictly (digits only, at most 19,
 *   exact suffix), formatted with 8 digits;
 * - trigger kinds (enum nt_trigger_kind, records.h) and the kind fields of
 *   event records (retransmit, sample, reset, stall, buffer);
 * - drop-reason classes: which `enum skb_drop_reason` names are noise by
 *   default, teardown, duplicates the receiver discarded, listen overflow.
 *
 * Invariants: pure functions, no allocation, never print. Returned strings
 * are static and live for the whole program.
 */

#include <stddef.h>
#include <stdint.h>

/* ---- chunk file names ---- */

#define TAPE_CHUNK_NAME_MAX 40   /* "chunk-" + 20 digits + ".ntc.partial" + NUL fits */

/*
 * Parses a chunk file name; name may be a path (the part after the last '/'
 * is parsed). Returns 1 and sets *seq and *partial (either may be NULL) when
 * it is "chunk-<digits>.ntc" or "chunk-<digits>.ntc.partial", else 0.
 */
int tape_chunk_name_parse(const char *name, uint64_t *seq, int *partial);

/*
 * Writes the chunk file name of seq ("chunk-00000012.ntc", with ".partial"
 * when partial) into buf; with dir not NULL, "DIR/chunk-...". Returns the
 * length, or -ENAMETOOLONG when it does not fit in len bytes (buf is then
 * an empty string when len > 0).
 */
int tape_chunk_name_format(char *buf, size_t len, const char *dir, uint64_t seq, int partial);

/* ---- enum names ---- */

/* "manual", "zero_window", "drop_burst", "rto", "rtt_spike", "listen_overflow";
 * NULL for a kind this library does not know. */
const char *nt_trigger_kind_name(uint32_t kind);
/* The kind whose name is name (case-insensitive), or -1. */
int nt_trigger_kind_from_name(const char *name);
/* Number of trigger kinds this library names (kinds 0 .. n-1). */
uint32_t nt_trigger_kind_count(void);

/*
 * The kind field of an event record, by record type: NT_REC_RETRANS
 * ("data", "syn", "synack"), NT_REC_SAMPLE ("periodic", "rcv_zero_start",
 * ...), NT_REC_RESET, NT_REC_STALL, NT_REC_BUFFER; NT_REC_PIN gives the
 * trigger kind. NULL for a type without kinds or an unknown value.
 */
const char *nt_record_kind_name(uint16_t type, uint32_t kind);

/* ---- drop reasons ---- */

enum nt_drop_class {
	NT_DROP_CLASS_LOSS = 0,      /* a packet the stack lost: evidence of a problem */
	NT_DROP_CLASS_NOISE,         /* not a TCP finding: not recorded by default (NT_DROP_NOISE_DEFAULT) */
	NT_DROP_CLASS_TEARDOWN,      /* packets for a closed socket, or resets */
	NT_DROP_CLASS_DUPLICATE,     /* data or sequence the receiver already had (the echo of retransmits) */
	NT_DROP_CLASS_LISTEN,        /* listen queue overflow */
};

/*
 * The drop reasons not recorded unless --noise says otherwise: one list
 * for the kernel filter and the live triggers. PACKET_SOCK_ERROR is the
 * snippet capture's own packet socket (see DESIGN.md).
 */
#define NT_DROP_NOISE_DEFAULT "NOT_SPECIFIED,SKB_CONSUMED,QUEUE_PURGE,PACKET_SOCK_ERROR,OTHERHOST"

/* The class of a drop-reason name as the kernel's BTF spells it, with or
 * without the SKB_DROP_REASON_ prefix, case-insensitive; NULL is LOSS.
 * Noise is the default list: a configured list is the caller's. */
enum nt_drop_class nt_drop_class_of(const char *reason_name);
/* "loss", "noise", "teardown", "duplicate", "listen_overflow". */
const char *nt_drop_class_name(enum nt_drop_class c);
/* reason_name without an "SKB_DROP_REASON_" prefix (case-insensitive). */
const char *nt_drop_reason_short(const char *reason_name);

#endif
