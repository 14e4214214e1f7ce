#!/bin/bash
# kill9.sh: e2e: kill -9 the recorder under load; the tape must verify up to its last frame, grow monotonically, and hold every event older than the flush interval.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib_e2e.sh"
e2e_require
export NT_PREFIX=nte2e-k9-
source "$NT_SCENARIOS/lib.sh"
SRV=198.18.0.1 CLI=198.18.0.2 PB=5011 PC=5012
nt_init kill9 || exit $?
nt_ns srv && nt_ns cli || exit 1
nt_link srv $SRV/24 cli $CLI/24 || exit 1
nt_bg srv bulksrv "$NT_TRAFFIC" server --listen $SRV:$PB --duration 40
nt_bg srv churnsrv "$NT_TRAFFIC" server --listen $SRV:$PC --duration 40
nt_wait_listen srv $PB && nt_wait_listen srv $PC || exit 1
TAPE=$NT_TMP/tape
e2e_start_recorder "$TAPE" --port $PB --port $PC --sample-interval 10ms --flush-interval 1s --status-interval 1s
# Load: 20 bulk connections (periodic samples every 10 ms each) + a churn of
# short connections; each churn client logs its completion time (realtime ns).
nt_bg cli bulk "$NT_TRAFFIC" client --connect $SRV:$PB --conns 20 --bulk 0 --rate 2M --duration 14
churn() {
	local end=$((SECONDS + 13))
	while ((SECONDS < end)); do
		ip netns exec "${NT_PREFIX}cli" "$NT_TRAFFIC" client --connect $SRV:$PC --hold-ms 1 --duration 2 >/dev/null 2>&1 &&
			date +%s%N >>"$NT_TMP/churn.log"
		sleep 0.05
	done
}
churn &
NT_PIDS+=($!)
churn_pid=$!
sleep 5
cp -r "$TAPE" "$NT_TMP/snapA"
sleep 2
cp -r "$TAPE" "$NT_TMP/snapB"
sleep 2
T_KILL=$(date +%s%N)
kill -KILL "$E2E_REC_PID"
wait "$E2E_REC_PID" 2>/dev/null
E2E_REC_PID=
nt_stop bulk
kill "$churn_pid" 2>/dev/null; wait "$churn_pid" 2>/dev/null
grep -v 'recording to' "$NT_TMP/recorder.err" | tail -2 >&2
ls -l "$TAPE" >&2

# 1. verify: clean up to the last complete frame, the unclosed chunk reported.
"$NETTAPE" verify "$TAPE" >"$NT_TMP/verify.out" 2>&1; vrc=$?
cat "$NT_TMP/verify.out" >&2
partial=$(ls "$TAPE" | grep '\.partial$' | head -1)
if grep -q 'not implemented' "$NT_TMP/verify.out"; then
	e2e_fail "'nettape verify' is not implemented yet (needed: verify a tape after kill -9)"
else
	e2e_check "the killed recording left one .partial chunk ($partial)" test -n "$partial"
	if ((vrc == 0)); then
		e2e_check "verify: clean up to the last frame ('OK: ...')" grep -q '^OK: ' "$NT_TMP/verify.out"
		e2e_check "verify: mentions the unclosed (.partial) chunk" grep -q '\.partial' "$NT_TMP/verify.out"
	else
		# A frame torn by the kill: every complaint names the partial chunk and an offset.
		e2e_check "verify ($vrc): damage only in the .partial chunk, with offsets" \
			awk -v p="$partial" '/^OK:|^note:/ { next } index($0, p) && /offset/ { ok++; next } { bad++ } END { exit !(ok > 0 && !bad) }' "$NT_TMP/verify.out"
	fi
	# A torn last frame (truncate the partial chunk by 50 bytes): verify must
	# say exactly which file and where, and replay must keep everything before.
	cp -r "$TAPE" "$NT_TMP/torn"
	truncate -s -50 "$NT_TMP/torn/$partial"
	"$NETTAPE" verify "$NT_TMP/torn" >"$NT_TMP/verify.torn" 2>&1; trc=$?
	cat "$NT_TMP/verify.torn" >&2
	e2e_check "torn tail: verify exit 1 ($trc)" test $trc -eq 1
	e2e_check "torn tail: a damage line names $partial and an offset" \
		grep -E "$partial.*offset [0-9]+|offset [0-9]+.*$partial" "$NT_TMP/verify.torn"
fi
# 2. The tape and the two snapshots replay; each snapshot is a prefix of the final tape.
e2e_replay "$TAPE" "$NT_TMP/final.json" || e2e_finish
e2e_replay "$NT_TMP/snapA" "$NT_TMP/a.json" || e2e_finish
e2e_replay "$NT_TMP/snapB" "$NT_TMP/b.json" || e2e_finish
if [[ -d $NT_TMP/torn ]]; then
	"$NETTAPE" replay "$NT_TMP/torn" --json >"$NT_TMP/torn.json" 2>"$NT_TMP/torn.err"
	e2e_check "torn tail: replay warns once, naming the chunk" grep -q "$partial" "$NT_TMP/torn.err"
	e2e_check "torn tail: replay keeps all but the last frame ($(wc -l <"$NT_TMP/torn.json") events)" \
		test "$(wc -l <"$NT_TMP/torn.json")" -gt 0
fi
e2e_summary "$NT_TMP/final.json"
na=$(wc -l <"$NT_TMP/a.json") nb=$(wc -l <"$NT_TMP/b.json") nf=$(wc -l <"$NT_TMP/final.json")
e2e_check "event counts grow: snapshot A $na <= snapshot B $nb <= final $nf (A > 0)" \
	test "$na" -gt 0 -a "$na" -le "$nb" -a "$nb" -le "$nf"
is_prefix() { # is_prefix SNAP FINAL: same events (type, boot time, cookie, kind) in the same order
	python3 - "$1" "$2" <<'PY'
import json, sys
key = lambda r: (r["type"], r["boot_ns"], r.get("cookie"), r.get("kind"))
a = [key(json.loads(l)) for l in open(sys.argv[1])]
f = [key(json.loads(l)) for l in open(sys.argv[2])]
sys.exit(0 if f[:len(a)] == a else 1)
PY
}
e2e_check "snapshot A is a prefix of the final tape (same events, same order)" \
	is_prefix "$NT_TMP/a.json" "$NT_TMP/final.json"
e2e_check "snapshot B is a prefix of the final tape" is_prefix "$NT_TMP/b.json" "$NT_TMP/final.json"
# 3. Little is lost: the last event is at most flush interval + 1.5 s before the kill.
last=$(e2e_py "$NT_TMP/final.json" "print(max(r['time_ns'] for r in rows))")
lag=$(((T_KILL - last) / 1000000))
e2e_check "last recorded event ${lag} ms before the kill (<= 2500 ms)" test "$lag" -le 2500
# 4. Every churn connection completed more than 2.5 s before the kill has its
# client-side ESTABLISHED event in the tape.
T=$((T_KILL - 2500000000))
done_before=$(awk -v t=$T '$1 < t' "$NT_TMP/churn.log" | wc -l)
est_before=$(e2e_count "$NT_TMP/final.json" "r['type']=='state' and r['new_state']=='ESTABLISHED' and r['netns_name']=='${NT_PREFIX}cli' and r['dport']==$PC and r['time_ns'] < $T")
e2e_check "churn: $done_before connections completed before kill-2.5s, $est_before ESTABLISHED recorded before then (>=)" \
	test "$done_before" -ge 10 -a "$est_before" -ge "$done_before"
e2e_finish
