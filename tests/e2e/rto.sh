#!/bin/bash
# rto.sh: e2e: nft drops everything for 1.5 s; a Loss episode (RTO) must be recorded inside the blackout, matching TCPTimeouts.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib_e2e.sh"
e2e_require
command -v nft >/dev/null || e2e_skip "no nft"
export NT_PREFIX=nte2e-rto-
source "$NT_SCENARIOS/rto.sh"
scenario_setup || exit $?
e2e_start_recorder "$NT_TMP/tape" --port "$SC_PORT"
scenario_traffic
sleep 1.5
e2e_stop_recorder || e2e_fail "recorder exit status $? (want 0)"
scenario_oracle >"$NT_TMP/oracle"; cat "$NT_TMP/oracle" >&2
e2e_replay "$NT_TMP/tape" "$NT_TMP/r.json" || e2e_finish
e2e_summary "$NT_TMP/r.json"
O=$NT_TMP/oracle R=$NT_TMP/r.json
tmo=$(e2e_oracle "$O" cli.TcpExtTCPTimeouts)
bstart=$(e2e_oracle "$O" blackout.start) bend=$(e2e_oracle "$O" blackout.end)
clins=${NT_PREFIX}cli
e2e_check "oracle: the retransmission timer fired (TCPTimeouts=$tmo)" test "${tmo:-0}" -ge 1
loss=$(e2e_count "$R" "r['type']=='cong' and r['new_ca']=='Loss' and r['netns_name']=='$clins'")
e2e_check "Loss episode recorded ($loss), at most one per timeout ($tmo)" test "$loss" -ge 1 -a "$loss" -le "$tmo"
e2e_check "the Loss episode starts inside the blackout [$bstart, $bend]" e2e_py "$R" "
s, e = int(float('$bstart') * 1e9), int(float('$bend') * 1e9)
t = [r['time_ns'] for r in rows if r['type'] == 'cong' and r['new_ca'] == 'Loss']
assert t and all(s <= x <= e for x in t), (s, e, t)"
e2e_check "the connection leaves Loss after the blackout" test \
	"$(e2e_count "$R" "r['type']=='cong' and r['old_ca']=='Loss' and r['time_ns'] > int(float('$bend') * 1e9) - 200000000")" -ge 1
# Each timeout retransmits the head with a growing backoff: 0, 1, 2, ...
maxb=$(e2e_py "$R" "print(max([r['backoff'] for r in rows if r['type']=='retrans' and r['ca']=='Loss'] or [-1]))")
e2e_check "retransmits in Loss with backoff 0..$maxb: $((maxb + 1)) timeouts = TCPTimeouts ($tmo) +-1" \
	test $((maxb + 1)) -ge $((tmo - 1)) -a $((maxb + 1)) -le $((tmo + 1))
e2e_trigger_fired "$NT_TMP/r.json" rto "$SC_PORT"
e2e_finish
