#!/bin/bash
# listen_overflow.sh: e2e: 300 clients against listen(4); overflow drops and SYN retransmits recorded and attributed to the right processes, compared with ListenOverflows and TCPSynRetrans.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib_e2e.sh"
e2e_require
export NT_PREFIX=nte2e-lo-
source "$NT_SCENARIOS/listen-overflow.sh"
scenario_setup || exit $?
e2e_start_recorder "$NT_TMP/tape" --port "$SC_PORT"
scenario_traffic
sleep 1.5
e2e_stop_recorder || e2e_fail "recorder exit status $? (want 0)"
scenario_oracle >"$NT_TMP/oracle"; cat "$NT_TMP/oracle" >&2
e2e_replay "$NT_TMP/tape" "$NT_TMP/r.json" || e2e_finish
e2e_summary "$NT_TMP/r.json"
O=$NT_TMP/oracle R=$NT_TMP/r.json
ovf=$(e2e_oracle "$O" srv.TcpExtListenOverflows)
synr=$(e2e_oracle "$O" cli.TcpExtTCPSynRetrans)
synackr=$(e2e_oracle "$O" srv.TcpExtTCPSynRetrans)
srvns=${NT_PREFIX}srv clins=${NT_PREFIX}cli
srvpid=$NT_PID_server
e2e_check "oracle: the accept queue overflowed (ListenOverflows=$ovf)" test "${ovf:-0}" -ge 10
# Drops in the server's namespace (LISTEN_OVERFLOW covers the final ACK since 6.15).
lo_drops=$(e2e_count "$R" "r['type']=='drop' and r['reason']=='TCP_LISTEN_OVERFLOW'")
e2e_check "TCP_LISTEN_OVERFLOW drops recorded ($lo_drops), at most ListenOverflows ($ovf)" \
	test "$lo_drops" -ge 1 -a "$lo_drops" -le "$ovf"
e2e_check "overflow drops attributed to the LISTENING process (pid $srvpid, comm nt-traffic), not the client" test \
	"$(e2e_count "$R" "r['type']=='drop' and r['reason']=='TCP_LISTEN_OVERFLOW' and r['pid']==$srvpid and r['comm']=='nt-traffic' and r['netns_name']=='$srvns'")" -eq "$lo_drops"
# Client SYN retransmits: every one, exactly.
syn=$(e2e_count "$R" "r['type']=='retrans' and r['kind']=='syn' and r['netns_name']=='$clins'")
e2e_exact "client SYN retransmits vs client TCPSynRetrans" "$syn" "$synr" "$(e2e_lost "$R" retrans)"
e2e_check "SYN retransmits are in SYN_SENT and owned by the client, not the listener" test \
	"$(e2e_count "$R" "r['type']=='retrans' and r['kind']=='syn' and r['state']=='SYN_SENT' and r['pid']!=$srvpid and r['pid']!=0")" -eq "$syn"
synack=$(e2e_count "$R" "r['type']=='retrans' and r['kind']=='synack'")
e2e_exact "SYN-ACK retransmits vs server TCPSynRetrans" "$synack" "$synackr" "$(e2e_lost "$R" retrans)"
if ((synack > 0)); then
	e2e_check "SYN-ACK retransmits attributed to the listener (pid $srvpid)" test \
		"$(e2e_count "$R" "r['type']=='retrans' and r['kind']=='synack' and r['pid']==$srvpid")" -eq "$synack"
fi
# Listener sampling (NT_REC_LISTEN): the SYNs dropped by a full queue leave no
# kfree_skb, so only sampling the listener accounts for ListenOverflows.
nlisten=$(e2e_count "$R" "r['type']=='listen'")
if ((nlisten == 0)); then
	e2e_fail "no 'listen' records (NT_REC_LISTEN): the recorder does not sample listeners (sk_ack_backlog, max, overflows), so ListenOverflows=$ovf cannot be accounted for from the tape"
else
	# The only per-listener counter the kernel keeps is sk_drops, bumped by
	# tcp_listendrop() together with TcpExtListenDrops (overflows plus the
	# listener's other drops): that is what the record's field carries.
	ldrops=$(e2e_oracle "$O" srv.TcpExtListenDrops)
	sum=$(e2e_py "$R" "print(sum(r['overflows'] for r in rows if r['type']=='listen'))")
	e2e_check "listen records: listener drops summed ($sum) within 10% of ListenDrops ($ldrops) and >= ListenOverflows ($ovf)" \
		test $((sum * 10)) -ge $((ldrops * 9)) -a $((sum * 10)) -le $((ldrops * 11)) -a "$sum" -ge "$ovf"
	e2e_check "listen records attributed to the listener (pid $srvpid) with max_backlog=$SC_BACKLOG" test \
		"$(e2e_count "$R" "r['type']=='listen' and r['pid']==$srvpid and r['max_backlog']==$SC_BACKLOG")" -eq "$nlisten"
fi
e2e_trigger_fired "$NT_TMP/r.json" listen_overflow "$SC_PORT"
e2e_finish
