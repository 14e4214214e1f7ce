#!/bin/bash
# rtt_spike.sh: e2e: a bulk download fills a 1.6 MB tbf queue; RTT-spike samples of the request/response connection must fall in the bulk window and agree with ss -ti.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib_e2e.sh"
e2e_require
export NT_PREFIX=nte2e-rtt-
source "$NT_SCENARIOS/queue-jitter.sh"
scenario_setup || exit $?
e2e_start_recorder "$NT_TMP/tape" --port "$SC_PORT"
scenario_traffic
sleep 1.5
e2e_stop_recorder || e2e_fail "recorder exit status $? (want 0)"
scenario_oracle >"$NT_TMP/oracle"; cat "$NT_TMP/oracle" >&2
e2e_replay "$NT_TMP/tape" "$NT_TMP/r.json" || e2e_finish
e2e_summary "$NT_TMP/r.json"
O=$NT_TMP/oracle R=$NT_TMP/r.json
bs=$(e2e_oracle "$O" bulk.start) be=$(e2e_oracle "$O" bulk.end)
ssmax=$(e2e_oracle "$O" ss.rtt_max_ms) ssbefore=$(e2e_oracle "$O" ss.rtt_before_ms)
srvns=${NT_PREFIX}srv
e2e_check "oracle: ss rtt rose under the bulk (before ${ssbefore} ms, max ${ssmax} ms)" \
	awk -v a="$ssbefore" -v b="$ssmax" 'BEGIN { exit !(b >= 100 && b >= 5 * a) }'
e2e_check "oracle: request latency spiked (p50 $(e2e_oracle "$O" client.p50_ms) ms, max $(e2e_oracle "$O" client.max_ms) ms)" \
	awk -v m="$(e2e_oracle "$O" client.max_ms)" 'BEGIN { exit !(m >= 300) }'
# The server sends the responses: its srtt is the one that grows.
e2e_check "RTT spikes of the server's connection: in the bulk window, none large outside, magnitude like ss" e2e_py "$R" "
bs, be = int(float('$bs') * 1e9), int(float('$be') * 1e9) + 2000000000
sp = [r for r in rows if r['type'] == 'sample' and r['kind'] == 'rtt_spike' and r['netns_name'] == '$srvns' and r['sport'] == $SC_PORT]
inside = [r for r in sp if bs <= r['time_ns'] <= be]
outside = [r for r in sp if not (bs <= r['time_ns'] <= be)]
print('spikes: %d inside the bulk window, %d outside; srtt inside max %.1f ms; ss max $ssmax ms' % (
    len(inside), len(outside), max([r['srtt_us'] for r in inside] or [0]) / 1000.0))
per = [r for r in rows if r['type'] == 'sample' and r['netns_name'] == '$srvns' and r['sport'] == $SC_PORT and bs <= r['time_ns'] <= be]
assert inside, ('no rtt_spike sample of the request/response connection during the bulk; '
    'spikes outside the window: %s; periodic samples in the window show srtt up to %.1f ms' % (
    ['%.1f s before the bulk: srtt %.1f ms vs min_rtt %.3f ms' % ((bs - r['time_ns']) / 1e9, r['srtt_us'] / 1e3, r['min_rtt_us'] / 1e3) for r in outside],
    max([r['srtt_us'] for r in per] or [0]) / 1e3))
big_out = [r['srtt_us'] for r in outside if r['srtt_us'] >= 100000]
assert not big_out, 'spikes >= 100 ms outside the bulk window: %s' % big_out[:5]
# The spike record marks the edge; the peak shows in the connection's samples
# (spike + periodic) during the bulk window. ss sampled the same srtt.
allin = [r['srtt_us'] for r in rows if r['type'] == 'sample' and r['netns_name'] == '$srvns'
         and r['sport'] == $SC_PORT and bs <= r['time_ns'] <= be]
mx = max(allin) / 1000.0
ss = float('$ssmax')
print('recorded srtt peak in the window %.1f ms (spike edge at %.1f ms)' % (mx, min(r['srtt_us'] for r in inside) / 1000.0))
assert ss / 3 <= mx <= ss * 3, 'recorded srtt max %.1f ms vs ss rtt max %.1f ms' % (mx, ss)
assert all(r['srtt_us'] >= 4 * r['min_rtt_us'] for r in inside), 'a spike below 4 x min_rtt'
assert all(r['pid'] == $NT_PID_server for r in inside), 'spikes not attributed to the server'
"
e2e_trigger_fired "$NT_TMP/r.json" rtt_spike "$SC_PORT"
e2e_finish
