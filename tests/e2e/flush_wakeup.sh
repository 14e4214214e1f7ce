#!/bin/bash
# flush_wakeup.sh: e2e: a recorder with no deadline for 10 s (no status line, no listener sampling) is woken by the first event after a quiet spell: a lone connection, and another once it went idle again, are on disk within the flush interval (kill -9 1.7 s after each, flush 1 s).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib_e2e.sh"
e2e_require
export NT_PREFIX=nte2e-fw-
source "$NT_SCENARIOS/lib.sh"
SRV=198.18.0.1 CLI=198.18.0.2 P=5021
nt_init flush_wakeup || exit $?
nt_ns srv && nt_ns cli || exit 1
nt_link srv $SRV/24 cli $CLI/24 || exit 1
nt_bg srv srv "$NT_TRAFFIC" server --listen $SRV:$P --duration 40
nt_wait_listen srv $P || exit 1
TAPE=$NT_TMP/tape
# The recorder's own deadlines: the open frame's flush (1 s) and its 10 s
# upkeep; nothing else would make it read the ring before the kill.
e2e_start_recorder "$TAPE" --port $P --flush-interval 1s --status-interval 0 --listen-interval 0

# One short connection; prints the realtime ns when it is done.
conn() {
	ip netns exec "${NT_PREFIX}cli" "$NT_TRAFFIC" client --connect $SRV:$P --hold-ms 1 \
		--duration 2 >/dev/null 2>&1
	date +%s%N
}
sleep 2.5
T1=$(conn)
sleep 1.7
cp -r "$TAPE" "$NT_TMP/snap1"   # a copy is what kill -9 would leave
sleep 1.5                       # the first frame long flushed: idle again
T2=$(conn)
sleep 1.7
T_KILL=$(date +%s%N)
kill -KILL "$E2E_REC_PID"
wait "$E2E_REC_PID" 2>/dev/null
E2E_REC_PID=
e2e_log "connections done at +0 and +$(((T2 - T1) / 1000000)) ms; kill at +$(((T_KILL - T1) / 1000000)) ms"

est() { # est FILE FROM TO: client-side ESTABLISHED events of port P in [FROM, TO]
	e2e_count "$1" "r['type']=='state' and r['new_state']=='ESTABLISHED' and r['netns_name']=='${NT_PREFIX}cli' and r['dport']==$P and $2 <= r['time_ns'] <= $3"
}
e2e_replay "$NT_TMP/snap1" "$NT_TMP/snap1.json" || e2e_finish
e2e_replay "$TAPE" "$NT_TMP/final.json" || e2e_finish
e2e_summary "$NT_TMP/final.json"
W=3000000000  # a connection's events lie within 3 s before its end
e2e_check "first connection on disk 1.7 s after it (copy of the tape)" \
	test "$(est "$NT_TMP/snap1.json" $((T1 - W)) "$T1")" -ge 1
e2e_check "second connection, after an idle spell, on disk 1.7 s after it (kill -9)" \
	test "$(est "$NT_TMP/final.json" $((T1 + 1)) "$T2")" -ge 1
e2e_finish
