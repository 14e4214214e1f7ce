#!/bin/bash
# smoke.sh: end-to-end smoke test of nettape-record: two namespaces, real TCP traffic, assert the tape holds each basic event class.
# Usage: smoke.sh NETTAPE_RECORD TAPE_DUMP     (exit 77 = skipped: not root / no BTF / no tools)
set -u
REC=$1
DUMP=$2
NS_A=ntrec-smoke-a
NS_B=ntrec-smoke-b
WORK=$(mktemp -d /tmp/ntrec-smoke.XXXXXX)
PIDS=()

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; [ -f "$WORK/rec.log" ] && sed 's/^/  rec: /' "$WORK/rec.log"; exit 1; }

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || skip "needs root (BPF and network namespaces)"
[ -r /sys/kernel/btf/vmlinux ] || skip "kernel without BTF"
for t in ip iperf3 nft; do command -v $t >/dev/null || skip "missing $t"; done

ip netns del "$NS_A" 2>/dev/null; ip netns del "$NS_B" 2>/dev/null
ip netns add "$NS_A" && ip netns add "$NS_B" || skip "cannot create network namespaces"
ip link add ntrec-sa type veth peer name ntrec-sb || fail "veth"
ip link set ntrec-sa netns "$NS_A"
ip link set ntrec-sb netns "$NS_B"
ip -n "$NS_A" addr add 198.18.0.1/30 dev ntrec-sa
ip -n "$NS_B" addr add 198.18.0.2/30 dev ntrec-sb
ip -n "$NS_A" link set ntrec-sa up; ip -n "$NS_A" link set lo up
ip -n "$NS_B" link set ntrec-sb up; ip -n "$NS_B" link set lo up

# A listener that exists before the recorder starts: must show up as an open socket.
ip netns exec "$NS_B" iperf3 -s -p 5201 >/dev/null 2>&1 &
PIDS+=($!)
IPERF_PID=$!
# And one in the recorder's own namespace, on a free loopback port (on
# kernels that reject the task_file dump, the two are found by different
# iterator runs).
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1]); time.sleep(60)' "$WORK/py.port" &
PIDS+=($!)
PY_PID=$!
for _ in $(seq 100); do [ -s "$WORK/py.port" ] && break; sleep 0.05; done
sleep 0.2
PY_PORT=$(cat "$WORK/py.port" 2>/dev/null)
[ -n "$PY_PORT" ] || fail "the loopback listener did not start"

TAPE=$WORK/tape
"$REC" -o "$TAPE" --max-disk 64M --chunk-size 4M --status-interval 1 >"$WORK/rec.log" 2>&1 &
REC_PID=$!
PIDS+=($REC_PID)
for _ in $(seq 50); do grep -q "recording to" "$WORK/rec.log" && break; sleep 0.1; done
grep -q "recording to" "$WORK/rec.log" || fail "recorder did not start"

# Loss on the path: every 10th packet from A to B dropped -> retransmits, congestion.
ip netns exec "$NS_B" nft -f - <<'EOF' || fail "nft"
table inet ntrec_smoke {
	chain input {
		type filter hook input priority 0;
		tcp dport 5201 numgen inc mod 10 0 drop
	}
}
EOF
ip netns exec "$NS_A" iperf3 -c 198.18.0.2 -p 5201 -t 2 >/dev/null 2>&1 || fail "iperf3 client"
kill -HUP $REC_PID                       # rotation
ip netns exec "$NS_B" nft delete table inet ntrec_smoke
# A connection to a closed port: RST sent (no socket) and a NO_SOCKET drop.
ip netns exec "$NS_A" bash -c 'exec 3<>/dev/tcp/198.18.0.2/5999' 2>/dev/null
kill -USR1 $REC_PID
sleep 1.5
kill -INT $REC_PID
wait $REC_PID
RC=$?
PIDS=("${PIDS[@]/$REC_PID}")
[ $RC = 0 ] || fail "recorder exit status $RC"

"$DUMP" -v "$TAPE" >"$WORK/dump.txt" 2>&1 || fail "tape does not read back: $(tail -3 "$WORK/dump.txt")"
count() { awk -v t="$1" '$1=="count" && $2==t {print $3}' "$WORK/dump.txt" | head -1; }
need() { # need CLASS MIN
	local n
	n=$(count "$1"); n=${n:-0}
	echo "  $1: $n"
	[ "$n" -ge "$2" ] || fail "expected at least $2 '$1' records, got $n"
}
echo "events recorded:"
need state 6
need sample 2
need retrans 1
need cong 1
need reset 1
need drop 1
need socket 1
need listen 1
need process 1
grep -q "^damage 0" "$WORK/dump.txt" || fail "tape has damage"
nchunks=$(ls "$TAPE"/chunk-*.ntc | wc -l)
[ "$nchunks" -ge 2 ] || fail "SIGHUP did not rotate ($nchunks chunks)"
ls "$TAPE"/*.partial >/dev/null 2>&1 && fail "a .partial chunk was left after a clean stop"
grep -Eq " netns +- +inode=[0-9]+ name=$NS_B$" "$WORK/dump.txt" || fail "netns $NS_B not named"
grep -Eq " process +- +pid=$IPERF_PID .*comm=iperf3 " "$WORK/dump.txt" || fail "iperf3 server not recorded as a process"
grep -Eq " socket +$IPERF_PID/[^ ]* +(0\.0\.0\.0|\[::\]):5201 " "$WORK/dump.txt" ||
	fail "pre-existing listener not listed with its owner"
grep -Eq " socket +$PY_PID/[^ ]* +127\.0\.0\.1:$PY_PORT " "$WORK/dump.txt" ||
	fail "pre-existing loopback listener of the recorder's namespace not listed with its owner"
grep -Eq " state +[0-9]+/[^ ]* +198\.18\.0\.1:[0-9]+ (<->|>) 198\.18\.0\.2:5201 SYN_SENT -> ESTABLISHED .*wscale_ok=1" "$WORK/dump.txt" ||
	fail "no ESTABLISHED with window scaling for the client"
grep -q "reason=NO_SOCKET" "$WORK/dump.txt" || fail "no NO_SOCKET drop"
grep -q "ev/s (drop" "$WORK/rec.log" || fail "no status line"
grep -q "lost 0," "$WORK/rec.log" || fail "events were lost"

# With the systemd unit's capabilities (no CAP_SYS_ADMIN) the recorder still
# starts and lists its own namespace's sockets; where the dump has to enter
# other namespaces (iter/tcp) it says what it cannot list instead.
if command -v setpriv >/dev/null; then
	setpriv --bounding-set -sys_admin -- "$REC" -o "$WORK/tape2" --duration 1 >"$WORK/rec2.log" 2>&1 ||
		fail "recorder without CAP_SYS_ADMIN: $(tail -1 "$WORK/rec2.log")"
	"$DUMP" -v "$WORK/tape2" >"$WORK/dump2.txt" 2>&1 || fail "tape2 does not read back"
	grep -Eq " socket +$PY_PID/[^ ]* +127\.0\.0\.1:$PY_PORT " "$WORK/dump2.txt" ||
		fail "without CAP_SYS_ADMIN: the loopback listener of the recorder's namespace not listed"
	if grep -q "per network namespace" "$WORK/rec2.log"; then
		grep -q "cannot enter a network namespace.*CAP_SYS_ADMIN" "$WORK/rec2.log" ||
			fail "without CAP_SYS_ADMIN: no warning about the namespaces the dump cannot enter"
		echo "  without CAP_SYS_ADMIN: own namespace listed, the others named in a warning"
	else
		grep -Eq " socket +$IPERF_PID/[^ ]* +(0\.0\.0\.0|\[::\]):5201 " "$WORK/dump2.txt" ||
			fail "without CAP_SYS_ADMIN: the listener of $NS_B not listed"
		echo "  without CAP_SYS_ADMIN: every namespace listed (task_file dump)"
	fi
fi
echo "PASS"
exit 0
