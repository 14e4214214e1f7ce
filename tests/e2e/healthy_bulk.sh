#!/bin/bash
# healthy_bulk.sh: e2e: a plain bulk transfer with nothing wrong; the recorder must not invent trouble (no drops, no zero windows, no spikes, retransmits only as the kernel counts them).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib_e2e.sh"
e2e_require
export NT_PREFIX=nte2e-hb-
source "$NT_SCENARIOS/healthy-bulk.sh"
scenario_setup || exit $?
e2e_start_recorder "$NT_TMP/tape" --port "$SC_PORT"
scenario_traffic
sleep 1.5
e2e_stop_recorder || e2e_fail "recorder exit status $? (want 0)"
scenario_oracle >"$NT_TMP/oracle"; cat "$NT_TMP/oracle" >&2
e2e_replay "$NT_TMP/tape" "$NT_TMP/r.json" || e2e_finish
e2e_summary "$NT_TMP/r.json"
O=$NT_TMP/oracle R=$NT_TMP/r.json
rsegs=$(e2e_oracle "$O" cli.TcpRetransSegs)
e2e_check "the connection was recorded: handshake on both sides, scaling negotiated" test \
	"$(e2e_count "$R" "r['type']=='state' and r['new_state']=='ESTABLISHED' and r.get('wscale_ok')==1")" -eq 2
e2e_check "periodic samples while the data flows" test \
	"$(e2e_count "$R" "r['type']=='sample' and r['kind']=='periodic'")" -ge 3
# A noisy VM makes the sender retransmit now and then (a late ACK, TLP/RACK);
# the receiver then drops the duplicate as TCP_OLD_DATA. Nothing else may show up.
ndrop=$(e2e_count "$R" "r['type']=='drop'")
nold=$(e2e_count "$R" "r['type']=='drop' and r['reason']=='TCP_OLD_DATA'")
e2e_check "drops ($ndrop): only duplicates of retransmitted data (TCP_OLD_DATA: $nold), no other reason" \
	test "$ndrop" -eq "$nold"
e2e_check "no zero-window edges" test "$(e2e_count "$R" "r['type']=='sample' and 'zero' in r['kind']")" -eq 0
e2e_check "no resets" test "$(e2e_count "$R" "r['type']=='reset'")" -eq 0
tmo=$(e2e_oracle "$O" cli.TcpExtTCPTimeouts)
e2e_check "Loss episodes only as many as the kernel's timeouts (TCPTimeouts=$tmo; 0 unless the VM stalled)" \
	test "$(e2e_count "$R" "r['type']=='cong' and r['new_ca']=='Loss'")" -le "$tmo"
for h in cli srv; do
	segs=$(e2e_oracle "$O" $h.TcpRetransSegs)
	rtx=$(e2e_count "$R" "r['type']=='retrans' and r['netns_name']=='$NT_PREFIX$h'")
	# One event per retransmitted skb; the counter counts segments (a GSO skb carries several).
	e2e_check "$h: retransmits recorded ($rtx) vs TcpRetransSegs ($segs): none iff none, never more" \
		test "$rtx" -le "$segs" -a \( "$rtx" -gt 0 -o "$segs" -eq 0 \)
done
e2e_check "duplicates dropped ($nold) <= retransmits recorded" test "$nold" -le "$(e2e_count "$R" "r['type']=='retrans'")"
e2e_check "no data lost in the recorder (no loss records)" test "$(e2e_count "$R" "r['type']=='loss'")" -eq 0
# Totals at CLOSE agree with what the client sent (the kernel's bytes_received
# counts sequence space, so a received FIN adds 1, as in ss -ti).
sent=$(e2e_oracle "$O" client.bytes_sent)
e2e_check "bytes received at CLOSE on the server = bytes the client sent ($sent, +1 for the FIN)" e2e_py "$R" "
c = [r for r in rows if r['type'] == 'state' and r['new_state'] == 'CLOSE' and 'rx_bytes' in r and r['sport'] == $SC_PORT]
assert c, 'no CLOSE event with totals on the server side'
assert max(r['rx_bytes'] for r in c) in ($sent, $sent + 1), [(r['rx_bytes'], r['netns_name']) for r in c]"
e2e_finish
