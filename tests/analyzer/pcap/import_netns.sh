#!/bin/bash
# import_netns.sh: real captures of a window-scaling + zero-window + loss problem, imported with 'nettape import'
# and compared with tshark (the oracle) on the same file.
# Usage: import_netns.sh NETTAPE WORKDIR    (needs root, ip, nft, dumpcap, tshark, python3; exit 77 = skipped)
set -u
NETTAPE=$1
WORK=$2
PORT=5001
A=ntpcap-a-$$            # client / sender
B=ntpcap-b-$$            # server / receiver that stops reading
VA=ntpa$$ VB=ntpb$$
PIDS=()
fail=0

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for t in ip nft dumpcap tshark python3; do command -v $t >/dev/null || skip "$t not installed"; done

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
}
trap cleanup EXIT INT TERM

rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
ip netns add $A && ip netns add $B || skip "cannot create network namespaces"
ip link add $VA netns $A type veth peer name $VB netns $B || skip "cannot create veth"
ip -n $A addr add 198.18.0.1/30 dev $VA
ip -n $B addr add 198.18.0.2/30 dev $VB
ip -n $A link set $VA up; ip -n $A link set lo up
ip -n $B link set $VB up; ip -n $B link set lo up

cat > "$WORK/server.py" <<'PY'
# Receiver: small SO_RCVBUF, stops reading PAUSES times for PAUSE_S seconds (zero window), then drains.
import socket, sys, time
addr, port, rcvbuf, pauses, pause_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if rcvbuf: l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
l.bind((addr, port)); l.listen(1)
print("listening", flush=True)
c, _ = l.accept()
total = 0
for i in range(pauses):
    time.sleep(pause_s)                      # not reading: the window closes
    end = time.time() + 0.3
    while time.time() < end:                 # read for a while: the window opens
        c.settimeout(0.05)
        try:
            d = c.recv(65536)
        except socket.timeout:
            continue
        if not d: break
        total += len(d)
c.settimeout(10)
while True:
    d = c.recv(65536)
    if not d: break
    total += len(d)
print("received", total, flush=True)
PY
cat > "$WORK/client.py" <<'PY'
import socket, sys
addr, port, nbytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((addr, port))
buf = b"x" * 65536
sent = 0
while sent < nbytes:
    sent += s.send(buf[: min(len(buf), nbytes - sent)])
s.shutdown(socket.SHUT_WR)
s.recv(1)
s.close()
print("sent", sent, flush=True)
PY

# One run: $1 name, $2 scaling on the receiver (0/1), $3 drop every Nth segment (0 = none), $4 pauses,
# $5 capture format, $6 interface ('any' gives Linux cooked SLL2 frames)
run() {
	local name=$1 wscale=$2 dropn=$3 pauses=$4 fmt=$5 iface=$6
	local cap="$WORK/$name.$fmt" srv cli dc
	ip netns exec $B sysctl -qw net.ipv4.tcp_window_scaling=$wscale
	ip netns exec $B nft flush ruleset
	if [ "$dropn" != 0 ]; then
		# Loss on the receiver's input after the capture point: originals and retransmits are both captured.
		ip netns exec $B nft -f - <<NFT
table inet ntpcap {
	chain in { type filter hook input priority 0; tcp dport $PORT meta length > 100 numgen inc mod $dropn 0 drop; }
}
NFT
	fi
	local fopt=""; [ "$fmt" = pcap ] && fopt=-P
	ip netns exec $B dumpcap -q -i $iface $fopt -f "tcp port $PORT" -w "$cap" 2>"$WORK/$name.dumpcap.log" &
	dc=$!; PIDS+=($dc)
	for _ in $(seq 50); do [ -s "$cap" ] && break; sleep 0.1; done
	sleep 0.5
	ip netns exec $B python3 "$WORK/server.py" 198.18.0.2 $PORT 4096 $pauses 1.0 >"$WORK/$name.server.log" 2>&1 &
	srv=$!; PIDS+=($srv)
	sleep 0.5
	ip netns exec $A timeout 60 python3 "$WORK/client.py" 198.18.0.2 $PORT 3000000 >"$WORK/$name.client.log" 2>&1
	wait $srv
	sleep 0.5
	kill -INT $dc; wait $dc
	ip netns exec $B nft flush ruleset
	[ -s "$cap" ] || { echo "FAIL: $name: no capture"; fail=1; return; }
}

q() { "$NETTAPE" query "$1" "$2" --format csv 2>&1 | tail -n +2 | tr -d " \r"; }

# Compares one capture with tshark. $1 name, $2 capture, $3 expected wscale_ok (0/1)
check() {
	local name=$1 cap=$2 want_ws=$3 db="$WORK/$1.db"
	"$NETTAPE" import -q "$cap" -o "$db" || { echo "FAIL: $name: import failed"; fail=1; return; }
	# Zero-window segments.
	local t_zw n_zw t_rt n_rt t_sf n_ws t_ep n_ep n_syn t_syn
	t_zw=$(tshark -r "$cap" -Y tcp.analysis.zero_window 2>/dev/null | wc -l)
	n_zw=$(q "$db" "SELECT count(*) FROM packets WHERE analysis & 2")
	# Zero-window episodes: tshark's decode, our rule (window 0 without SYN/FIN/RST until a nonzero one, per side).
	t_ep=$(tshark -r "$cap" -T fields -e tcp.srcport -e tcp.window_size_value -e tcp.flags.syn -e tcp.flags.fin \
		-e tcp.flags.reset 2>/dev/null | awk '{ k=$1; if ($5==1) next;
			if ($2==0 && $3==0 && $4==0) { if (!z[k]) { z[k]=1; n++ } } else if ($2>0) z[k]=0 } END { print n+0 }')
	n_ep=$(q "$db" "SELECT count(*) FROM samples WHERE kind IN (1,3)")
	# Window scaling: tshark -2 = not used, -1 = unknown, else the factor.
	t_sf=$(tshark -r "$cap" -Y "tcp.len > 0" -T fields -e tcp.window_size_scalefactor 2>/dev/null | sort -u | tr '\n' ' ')
	n_ws=$(q "$db" "SELECT group_concat(wscale_ok) FROM connections")
	# Retransmissions (data, SYN, FIN) as tshark flags them. tshark calls a segment below the highest
	# seq "out-of-order" when it comes within the handshake RTT (else 3 ms) of the highest one; nettape
	# counts every such segment as a retransmission (one sender never reorders its own segments, and on
	# this path nothing else reorders them), so out-of-order segments are part of the oracle.
	t_rt=$(tshark -r "$cap" -Y "tcp.analysis.retransmission || tcp.analysis.fast_retransmission || tcp.analysis.spurious_retransmission || tcp.analysis.out_of_order" 2>/dev/null | wc -l)
	n_rt=$(q "$db" "SELECT count(*) FROM retransmits")
	# Keep-alives / zero-window probes (tshark 4.0 labels Linux persist probes keep-alives), duplicate ACKs.
	local t_ka n_ka t_da n_da
	t_ka=$(tshark -r "$cap" -Y tcp.analysis.keep_alive 2>/dev/null | wc -l)
	n_ka=$(q "$db" "SELECT count(*) FROM packets WHERE analysis & 8")
	t_da=$(tshark -r "$cap" -Y tcp.analysis.duplicate_ack 2>/dev/null | wc -l)
	n_da=$(q "$db" "SELECT count(*) FROM packets WHERE analysis & 4")
	echo "$name: zero-window segments tshark=$t_zw nettape=$n_zw; episodes tshark-decode=$t_ep nettape=$n_ep;" \
	     "scale factor tshark=[$t_sf] nettape wscale_ok=$n_ws; retransmissions tshark=$t_rt nettape=$n_rt;" \
	     "keep-alives tshark=$t_ka nettape=$n_ka; duplicate ACKs tshark=$t_da nettape=$n_da"
	[ "$t_ka" = "$n_ka" ] || { echo "FAIL: $name: keep-alive counts differ"; fail=1; }
	[ "$t_da" = "$n_da" ] || { echo "FAIL: $name: duplicate-ACK counts differ"; fail=1; }
	[ "$t_zw" = "$n_zw" ] || { echo "FAIL: $name: zero-window segments differ"; fail=1; }
	[ "$t_ep" = "$n_ep" ] || { echo "FAIL: $name: zero-window episodes differ"; fail=1; }
	if [ "$want_ws" = 0 ]; then
		[ "$t_sf" = "-2 " ] || { echo "FAIL: $name: tshark does not see scaling off: $t_sf"; fail=1; }
	else
		case "$t_sf" in -1*|-2*|"") echo "FAIL: $name: tshark does not see scaling on: $t_sf"; fail=1;; esac
	fi
	[ "$n_ws" = "$want_ws" ] || { echo "FAIL: $name: wscale_ok=$n_ws, want $want_ws"; fail=1; }
	[ "$t_rt" = "$n_rt" ] || { echo "FAIL: $name: retransmission counts differ"; fail=1; }
	# Idempotent: a second import adds nothing.
	local before after
	before=$(q "$db" "SELECT (SELECT count(*) FROM packets) || '/' || (SELECT count(*) FROM connections) || '/' || (SELECT count(*) FROM samples)")
	"$NETTAPE" import -q "$cap" -o "$db" || { echo "FAIL: $name: second import failed"; fail=1; }
	after=$(q "$db" "SELECT (SELECT count(*) FROM packets) || '/' || (SELECT count(*) FROM connections) || '/' || (SELECT count(*) FROM samples)")
	[ "$before" = "$after" ] || { echo "FAIL: $name: second import changed $before -> $after"; fail=1; }
}

run noscale 0 10 3 pcapng $VB
check noscale "$WORK/noscale.pcapng" 0
"$NETTAPE" report "$WORK/noscale.db" > "$WORK/noscale.report" 2>&1
cat "$WORK/noscale.report" | head -20
grep -q "^#1 zero-window stalls on 198.18.0.2:$PORT -> 198.18.0.1:" "$WORK/noscale.report" || { echo "FAIL: report does not name the zero-window incident first"; fail=1; }
[ "$(q "$WORK/noscale.db" "SELECT rtt_samples > 0 AND rtt_min_us > 0 FROM connections")" = 1 ] || { echo "FAIL: no RTT samples"; fail=1; }
grep -qi "window scaling" "$WORK/noscale.report" || { echo "FAIL: report does not name missing window scaling"; fail=1; }
nret=$(q "$WORK/noscale.db" "SELECT count(*) FROM retransmits")
[ "$nret" -gt 0 ] || { echo "FAIL: no retransmissions with 1 in 10 segments dropped"; fail=1; }

run scaled 1 0 2 pcap any
check scaled "$WORK/scaled.pcap" 1
lt=$(q "$WORK/scaled.db" "SELECT group_concat(DISTINCT linktype) FROM packets")
echo "scaled: captured on 'any', link type $lt"
case "$lt" in 113|276) ;; *) echo "FAIL: scaled: expected a Linux cooked capture, got link type $lt"; fail=1;; esac

[ $fail = 0 ] && echo "PASS" || echo "FAILED"
exit $fail
