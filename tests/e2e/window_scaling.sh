#!/bin/bash
# window_scaling.sh: e2e: window scaling disabled in the client namespace; every recorded handshake must say whether scaling was negotiated exactly as ss -ti does.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib_e2e.sh"
e2e_require
export NT_PREFIX=nte2e-ws-
source "$NT_SCENARIOS/window-scaling.sh"
scenario_setup || exit $?
e2e_start_recorder "$NT_TMP/tape" --port "$SC_PORT"
scenario_traffic

# Held connections, listed by ss while open: first with scaling off (the
# scenario's setting), then with scaling on, so both answers are tested.
ss_hold() { # ss_hold TAG: 3 connections held 2.5 s; "port wscale" lines into $NT_TMP/ss.TAG
	nt_bg cli "hold$1" "$NT_TRAFFIC" client --connect "$SC_SRV_ADDR:$SC_PORT" --conns 3 --hold-ms 2500 --duration 6
	sleep 1
	nt_exec cli ss -Hti state established "( dport = :$SC_PORT )" | awk '
		/^[0-9]/ || /:[0-9]+ +[0-9]/ { n = split($0, f, " "); for (i = 1; i <= n; i++) if (f[i] ~ /^198\.18\./) { split(f[i], a, ":"); port = a[2]; break } ; next }
		{ w = "none"; if (match($0, /wscale:[0-9]+,[0-9]+/)) w = substr($0, RSTART + 7, RLENGTH - 7); print port, w }' >"$NT_TMP/ss.$1"
	nt_wait "hold$1" 10
}
ss_hold off
nt_sysctl cli net.ipv4.tcp_window_scaling=1
ss_hold on
sleep 1.5
e2e_stop_recorder || e2e_fail "recorder exit status $? (want 0)"
scenario_oracle >"$NT_TMP/oracle"; cat "$NT_TMP/oracle" "$NT_TMP/ss.off" "$NT_TMP/ss.on" >&2
e2e_replay "$NT_TMP/tape" "$NT_TMP/r.json" || e2e_finish
e2e_summary "$NT_TMP/r.json"
O=$NT_TMP/oracle R=$NT_TMP/r.json
clins=${NT_PREFIX}cli srvns=${NT_PREFIX}srv
e2e_check "oracle: ss listed 3 held connections without wscale" test "$(grep -c ' none$' "$NT_TMP/ss.off")" -eq 3
e2e_check "oracle: ss listed 3 held connections with wscale" test "$(grep -c ' [0-9]*,[0-9]*$' "$NT_TMP/ss.on")" -eq 3
e2e_check "oracle: the busy phase had connections without wscale (ss.cli_conns=$(e2e_oracle "$O" ss.cli_conns), with wscale: $(e2e_oracle "$O" ss.cli_wscale_conns))" \
	test "$(e2e_oracle "$O" ss.cli_conns)" -ge 1 -a "$(e2e_oracle "$O" ss.cli_wscale_conns)" -eq 0
# Per connection: the client-side ESTABLISHED event vs ss.
e2e_check "each held connection's ESTABLISHED event agrees with ss (wscale_ok, snd_wscale, rcv_wscale)" \
	e2e_py "$R" "
ss = {}
for tag in ('off', 'on'):
    for line in open('$NT_TMP/ss.' + tag):
        port, w = line.split()
        ss[int(port)] = w
est = {}
for r in rows:
    if r['type'] == 'state' and r['new_state'] == 'ESTABLISHED' and r['netns_name'] == '$clins':
        est[r['sport']] = r
bad = []
for port, w in ss.items():
    r = est.get(port)
    if r is None:
        bad.append('port %d: no ESTABLISHED event recorded' % port); continue
    if 'wscale_ok' not in r:
        bad.append('port %d: ESTABLISHED event without handshake fields' % port); continue
    if w == 'none':
        if r['wscale_ok'] != 0: bad.append('port %d: ss says no wscale, recorded wscale_ok=%d' % (port, r['wscale_ok']))
    else:
        s, v = map(int, w.split(','))
        got = (r['wscale_ok'], r['snd_wscale'], r['rcv_wscale'])
        if got != (1, s, v): bad.append('port %d: ss wscale:%d,%d, recorded ok/snd/rcv=%s' % (port, s, v, got))
assert not bad, '; '.join(bad)
assert len(ss) == 6, ss"
# All connections of the scenario (quiet + busy phases): not negotiated, on both sides.
n_off=$(e2e_count "$R" "r['type']=='state' and r['new_state']=='ESTABLISHED' and r.get('wscale_ok')==0")
n_est=$(e2e_count "$R" "r['type']=='state' and r['new_state']=='ESTABLISHED'")
# quiet 1 + busy 1 + held 3 (off) on each side; held 3 (on) negotiated on each side
e2e_check "ESTABLISHED events with wscale_ok=0: $n_off of $n_est (want all but the 6 negotiated ones)" \
	test "$n_off" -ge 10 -a "$n_off" -eq $((n_est - 6))
e2e_check "server side also records 'not negotiated'" test \
	"$(e2e_count "$R" "r['type']=='state' and r['new_state']=='ESTABLISHED' and r['netns_name']=='$srvns' and r.get('wscale_ok')==0")" -ge 5
# The incident itself: response times from tens of ms to seconds.
q=$(e2e_oracle "$O" quiet.p50_ms) b=$(e2e_oracle "$O" busy.p50_ms)
e2e_check "scenario: quiet p50 ${q} ms, busy p50 ${b} ms (>= 10x)" awk -v q="$q" -v b="$b" 'BEGIN { exit !(b >= 10 * q) }'
e2e_finish
