#!/bin/sh
# snip_live.sh: live test of the packet snippets: two namespaces joined by a veth, two TCP connections, a fire for one (see snip_live.c).
# Usage: snip_live.sh PATH/TO/snip_live. Needs root; exits 77 (skip) otherwise.
set -u
BIN=$1
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null 2>&1; then
	echo "SKIP: needs root and iproute2"
	exit 77
fi
A=ntsnip-a-$$
B=ntsnip-b-$$
cleanup() {
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$A" || exit 77
ip netns add "$B" || exit 77
# The veth is created inside A (its peer moved to B): no name in our namespace.
ip -n "$A" link add ntsnip-va type veth peer name ntsnip-vb netns "$B" || exit 1
ip -n "$A" addr add 198.18.77.1/30 dev ntsnip-va
ip -n "$B" addr add 198.18.77.2/30 dev ntsnip-vb
for ns in "$A" "$B"; do
	ip -n "$ns" link set lo up
done
ip -n "$A" link set ntsnip-va up
ip -n "$B" link set ntsnip-vb up

rc=0
# 1. One interface (Ethernet), the driver inside A.
ip netns exec "$A" "$BIN" ntsnip-va "$B" 198.18.77.2 || rc=1
# 2. "any" (LINKTYPE_LINUX_SLL2: ifindex and direction per packet).
ip netns exec "$A" "$BIN" any "$B" 198.18.77.2 || rc=1
# 3. From our namespace through --pcap-netns A (setns around opening the capture).
"$BIN" ntsnip-va "$B" 198.18.77.2 "$A" || rc=1
# 4, 5. The same through libpcap's own capture (the fallback path).
ip netns exec "$A" "$BIN" any "$B" 198.18.77.2 "" libpcap || rc=1
ip netns exec "$A" "$BIN" ntsnip-va "$B" 198.18.77.2 "" libpcap || rc=1
exit $rc
