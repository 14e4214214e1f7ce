/* core_fixes.bpf.h: kernel-version shims for nettape.bpf.c, one per kernel change, resolved by CO-RE at load time. */
#ifndef NETTAPE_CORE_FIXES_BPF_H
#define NETTAPE_CORE_FIXES_BPF_H

#include <vmlinux.h>
#include <bpf/bpf_core_read.h>

/*
 * Each shim is a "___x" flavour of a kernel type holding only the field that
 * tells two kernels apart; libbpf matches it by name without the suffix, and
 * bpf_core_field_exists() is a load-time constant, so the branch for the
 * other kernel is dead code the verifier never walks.
 */

/* v6.11 ("net: tracepoint: add rx_sk to kfree_skb"): kfree_skb
 * gained a 4th argument, the receiving socket. Older kernels: 3 arguments,
 * reading ctx[3] would be rejected. */
struct trace_event_raw_kfree_skb___x {
	void *rx_sk;
} __attribute__((preserve_access_index));

static __always_inline int kfree_skb_has_rx_sk(void)
{
	return bpf_core_field_exists(struct trace_event_raw_kfree_skb___x, rx_sk);
}

/* v6.10 ("tcp: add a reason to tcp_send_reset", enum sk_rst_reason): before,
 * tcp_send_reset had two arguments and no reason. */
enum sk_rst_reason___x { SK_RST_REASON_NOT_SPECIFIED___x = 0 };

/* The field must have the kernel's kind (an enum: an int would not match). */
struct trace_event_raw_tcp_send_reset___x {
	enum sk_rst_reason___x reason;
} __attribute__((preserve_access_index));

static __always_inline int send_reset_has_reason(void)
{
	return bpf_core_field_exists(struct trace_event_raw_tcp_send_reset___x, reason);
}

/* v5.6 ("sock: Make sk_protocol a 16-bit value", for MPTCP): sk_protocol used
 * to be an 8-bit bitfield next to sk_type, now it is a u16. The CO-RE
 * bitfield read takes offset, size and shifts from the running kernel, so
 * it reads either layout. */
static __always_inline __u16 sk_protocol_of(const struct sock *sk)
{
	return BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
}

/* icsk_ca_state is a bitfield whose neighbours (icsk_ca_initialized,
 * icsk_ca_setsockopt, icsk_ca_dst_locked) were added over several releases;
 * read it as a CO-RE bitfield so width and position follow the running
 * kernel. An intermediate pointer is
 * required with clang 14 (see DESIGN.md, research facts). */
static __always_inline __u8 ca_state_of(const struct sock *sk)
{
	const struct inet_connection_sock *icsk = (const void *)sk;

	return BPF_CORE_READ_BITFIELD_PROBED(icsk, icsk_ca_state);
}

#endif /* NETTAPE_CORE_FIXES_BPF_H */
