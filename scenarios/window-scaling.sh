#!/bin/bash
# window-scaling.sh: scenario: window scaling disabled on the client host behind a rate-limited path; response times go from milliseconds to seconds under load.
#
# Hosts: srv 198.18.0.1 (request/response server), cli 198.18.0.2 with
# net.ipv4.tcp_window_scaling=0 (the misconfiguration; SC_WSCALE=1 runs the
# control case). srv's egress: tbf 20 Mbit/s with a 2 MB queue.
# Phase "quiet" (3 s): one client fetches 100 KB responses every 100 ms:
# tens of ms each. Phase "busy" (8 s): SC_LOAD_CONNS (6) more connections of the same host
# fetch 1 MB responses in a loop; the queue holds up to 6 x 64 KB, the RTT
# grows to hundreds of ms, and every connection, limited to a 64 KB receive
# window per RTT, needs several RTTs per response: seconds.
# Oracle: ss -ti in cli shows no "wscale:" on the connections (scaling not
# negotiated: ss.cli_wscale_conns=0 of ss.cli_conns), srv's ss shows
# rwnd_limited; quiet.p50_ms << busy.p50_ms (seconds).
SC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$SC_HERE/lib.sh"

SC_SRV_ADDR=198.18.0.1
SC_CLI_ADDR=198.18.0.2
SC_PORT=${SC_PORT:-5009}
SC_WSCALE=${SC_WSCALE:-0}

scenario_setup() {
	nt_init window-scaling || return $?
	nt_ns srv && nt_ns cli || return 1
	nt_link srv $SC_SRV_ADDR/24 cli $SC_CLI_ADDR/24 || return 1
	nt_sysctl cli net.ipv4.tcp_window_scaling=$SC_WSCALE || return 1
	nt_tbf srv eth-cli 20mbit 32kb 2mb || return 1
	nt_bg srv server "$NT_TRAFFIC" server --listen $SC_SRV_ADDR:$SC_PORT --respond 100000 --duration 40
	nt_wait_listen srv $SC_PORT || return 1
	nt_snapshot srv
	nt_snapshot cli
}

# Counts the connections to PORT in HOST, and those that show a wscale field.
sc_ss_wscale() {
	local out
	out=$(nt_exec "$1" ss -Hti state established "( sport = :$SC_PORT or dport = :$SC_PORT )" 2>/dev/null)
	echo "ss.$1_conns=$(grep -c 'cubic\|reno\|bbr' <<<"$out")"
	echo "ss.$1_wscale_conns=$(grep -c 'wscale:' <<<"$out")"
	echo "ss.$1_rwnd_limited_conns=$(grep -c 'rwnd_limited' <<<"$out")"
}

scenario_traffic() {
	nt_log "window-scaling: wscale=$SC_WSCALE on cli; quiet phase 3 s (1 client, 100 KB responses)"
	nt_exec cli "$NT_TRAFFIC" client --connect $SC_SRV_ADDR:$SC_PORT --requests 1000 --req-bytes 100 \
		--resp-bytes 100000 --interval-ms 100 --duration 3 >"$NT_TMP/quiet.out"
	nt_log "window-scaling: busy phase 8 s (${SC_LOAD_CONNS:-6} connections fetching 1 MB responses in a loop)"
	nt_bg cli load "$NT_TRAFFIC" client --connect $SC_SRV_ADDR:$SC_PORT --conns ${SC_LOAD_CONNS:-6} --requests 1000 \
		--req-bytes 100 --resp-bytes 1000000 --duration 9
	sleep 0.5
	nt_bg cli busy "$NT_TRAFFIC" client --connect $SC_SRV_ADDR:$SC_PORT --requests 1000 --req-bytes 100 \
		--resp-bytes 100000 --interval-ms 100 --duration 8
	sleep 4
	sc_ss_wscale cli >"$NT_TMP/ss.txt"
	sc_ss_wscale srv >>"$NT_TMP/ss.txt"
	nt_wait busy 15
	nt_wait load 15
	cat "$NT_TMP/quiet.out" "$NT_TMP/busy.out" >&2
}

scenario_oracle() {
	local q b
	q=$(cat "$NT_TMP/quiet.out")
	b=$(nt_out busy)
	echo "cli.net.ipv4.tcp_window_scaling=$SC_WSCALE"
	cat "$NT_TMP/ss.txt"
	echo "quiet.requests=$(nt_field "$q" requests)"
	echo "quiet.p50_ms=$(nt_field "$q" p50_ms)"
	echo "quiet.max_ms=$(nt_field "$q" max_ms)"
	echo "busy.requests=$(nt_field "$b" requests)"
	echo "busy.p50_ms=$(nt_field "$b" p50_ms)"
	echo "busy.max_ms=$(nt_field "$b" max_ms)"
	nt_delta srv TcpRetransSegs
}

scenario_teardown() { nt_cleanup; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then nt_main "$@"; fi
