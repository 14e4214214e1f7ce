#!/bin/bash
# zero_window.sh: e2e: a slow reader with a 4 KiB receive buffer; the recorder's zero-window edges must match the receiver's TcpExt counters.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib_e2e.sh"
e2e_require
export NT_PREFIX=nte2e-zw-
source "$NT_SCENARIOS/zero-window.sh"
scenario_setup || exit $?
e2e_start_recorder "$NT_TMP/tape" --port "$SC_PORT"
scenario_traffic
sleep 1.5
e2e_stop_recorder || e2e_fail "recorder exit status $? (want 0)"
scenario_oracle >"$NT_TMP/oracle"; cat "$NT_TMP/oracle" >&2
e2e_replay "$NT_TMP/tape" "$NT_TMP/r.json" || e2e_finish
e2e_summary "$NT_TMP/r.json"
O=$NT_TMP/oracle R=$NT_TMP/r.json
to=$(e2e_oracle "$O" srv.TcpExtTCPToZeroWindowAdv)
from=$(e2e_oracle "$O" srv.TcpExtTCPFromZeroWindowAdv)
probes=$(e2e_oracle "$O" cli.TcpExtTCPWinProbe)
srvns=${NT_PREFIX}srv
# Zero-window edges of the receiver's connection (server side, port SC_PORT, its namespace).
rz_start=$(e2e_count "$R" "r['type']=='sample' and r['kind']=='rcv_zero_start' and r['netns_name']=='$srvns' and r['sport']==$SC_PORT")
rz_end=$(e2e_count "$R" "r['type']=='sample' and r['kind']=='rcv_zero_end' and r['netns_name']=='$srvns' and r['sport']==$SC_PORT")
rz_other=$(e2e_count "$R" "r['type']=='sample' and r['kind'] in ('rcv_zero_start','rcv_zero_end') and not (r['netns_name']=='$srvns' and r['sport']==$SC_PORT)")
e2e_check "oracle: the receiver advertised a zero window (TCPToZeroWindowAdv=$to)" test "${to:-0}" -ge 1
e2e_check "rcv_zero_start recorded ($rz_start) = TCPToZeroWindowAdv ($to) +-1" \
	test "$rz_start" -ge 1 -a "$rz_start" -ge $((to - 1)) -a "$rz_start" -le $((to + 1))
e2e_check "rcv_zero_end recorded ($rz_end) = TCPFromZeroWindowAdv ($from) +-1" \
	test "$rz_end" -ge $((from - 1)) -a "$rz_end" -le $((from + 1))
e2e_check "no receive-side zero-window edges on other sockets ($rz_other)" test "$rz_other" -eq 0
# The edges belong to the reading process (the server), not to whoever ran the softirq.
e2e_check "edges attributed to the server (pid $NT_PID_server)" test \
	"$(e2e_count "$R" "r['type']=='sample' and r['kind']=='rcv_zero_start' and r['pid']==$NT_PID_server and r['comm']=='nt-traffic'")" -eq "$rz_start"
# The sender sees the same episodes as the peer's zero window.
sz_start=$(e2e_count "$R" "r['type']=='sample' and r['kind']=='snd_zero_start' and r['netns_name']=='${NT_PREFIX}cli'")
e2e_check "sender side: snd_zero_start recorded ($sz_start) close to rcv_zero_start ($rz_start)" \
	test "$sz_start" -ge 1 -a "$sz_start" -le $((rz_start + 1))
# Persist probes arrive at the receiver as TCP_OLD_SEQUENCE drops.
old=$(e2e_count "$R" "r['type']=='drop' and r['reason']=='TCP_OLD_SEQUENCE' and r['netns_name']=='$srvns'")
e2e_check "zero-window probes recorded as TCP_OLD_SEQUENCE drops ($old) vs TCPWinProbe ($probes) +-2" \
	test "$old" -ge 1 -a "$old" -ge $((probes - 2)) -a "$old" -le $((probes + 2))
# The zero-window sample must show a zero advertised window.
e2e_check "rcv_zero_start samples carry rcv_wnd=0" test \
	"$(e2e_count "$R" "r['type']=='sample' and r['kind']=='rcv_zero_start' and r['rcv_wnd']!=0")" -eq 0
e2e_finish
