/* probe_floor.bpf.c: an empty tp_btf program on tcp_probe, the floor against which bench_recorder.sh measures nettape's tcp_probe. */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/tcp_probe")
int BPF_PROG(tcp_probe_floor, struct sock *sk, const struct sk_buff *skb)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
