#!/bin/bash
# netfilter_loss.sh: e2e: an nft numgen rule drops 1 in 40 data packets; NETFILTER_DROP events must equal the nft counter, fast recoveries TCPSackRecovery.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib_e2e.sh"
e2e_require
command -v nft >/dev/null || e2e_skip "no nft"
export NT_PREFIX=nte2e-nf-
source "$NT_SCENARIOS/firewall-loss.sh"
scenario_setup || exit $?
e2e_start_recorder "$NT_TMP/tape" --port "$SC_PORT"
scenario_traffic
sleep 1.5
e2e_stop_recorder || e2e_fail "recorder exit status $? (want 0)"
scenario_oracle >"$NT_TMP/oracle"; cat "$NT_TMP/oracle" >&2
e2e_replay "$NT_TMP/tape" "$NT_TMP/r.json" || e2e_finish
e2e_summary "$NT_TMP/r.json"
O=$NT_TMP/oracle R=$NT_TMP/r.json
nft=$(e2e_oracle "$O" nft.lossdrops)
rsegs=$(e2e_oracle "$O" cli.TcpRetransSegs)
sackrec=$(e2e_oracle "$O" cli.TcpExtTCPSackRecovery)
srvns=${NT_PREFIX}srv clins=${NT_PREFIX}cli
e2e_check "oracle: nft dropped packets ($nft)" test "${nft:-0}" -ge 10
nfd=$(e2e_count "$R" "r['type']=='drop' and r['reason']=='NETFILTER_DROP'")
e2e_exact "NETFILTER_DROP events vs the nft rule counter, exactly" "$nfd" "$nft" "$(e2e_lost "$R" drop)"
e2e_check "drops are in the server namespace, located in netfilter (nft_*/nf_*)" test \
	"$(e2e_count "$R" "r['type']=='drop' and r['reason']=='NETFILTER_DROP' and r['netns_name']=='$srvns' and r['location'].startswith(('nft_','nf_'))")" -eq "$nfd"
e2e_check "drops carry the flow's tuple (dport $SC_PORT) and payload" test \
	"$(e2e_count "$R" "r['type']=='drop' and r['reason']=='NETFILTER_DROP' and (r['dport']==$SC_PORT or r['sport']==$SC_PORT) and r['len']>200")" -eq "$nfd"
# Retransmits: the tracepoint fires per retransmitted skb (a GSO skb may carry
# several segments), the MIB counts segments.
rtx=$(e2e_count "$R" "r['type']=='retrans' and r['kind']=='data' and r['netns_name']=='$clins'")
e2e_check "retransmits recorded ($rtx): at least one per drop ($nfd), at most TcpRetransSegs ($rsegs)" \
	test "$rtx" -ge "$nfd" -a "$rtx" -le "$rsegs"
segs=$(e2e_py "$R" "print(sum(1 for r in rows if r['type']=='retrans'))")
: "$segs"
rec=$(e2e_count "$R" "r['type']=='cong' and r['new_ca']=='Recovery' and r['netns_name']=='$clins'")
e2e_check "fast-recovery episodes (CA -> Recovery: $rec) = TCPSackRecovery ($sackrec) +-2" \
	test "$rec" -ge 1 -a "$rec" -ge $((sackrec - 2)) -a "$rec" -le $((sackrec + 2))
e2e_check "retransmits attributed to the sender (client pid, not 0)" test \
	"$(e2e_count "$R" "r['type']=='retrans' and r['pid']!=0 and r['comm']=='nt-traffic'")" -eq "$rtx"
e2e_trigger_fired "$NT_TMP/r.json" drop_burst "$SC_PORT"
e2e_finish
