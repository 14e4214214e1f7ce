#!/bin/bash
# window-scaling.sh: scenario: window scaling disabled on a client host behind a path whose RTT grows (a full tbf queue); its response times go from milliseconds to seconds.
#
# Topology (routes, no default route):
#   cli 198.18.1.2 --+
#                    rtr --(tbf 10 Mbit/s, 300 KB queue toward srv)-- srv 198.18.0.1
#   peer 198.18.2.2 -+
# cli has net.ipv4.tcp_window_scaling=0 (the misconfiguration; SC_WSCALE=1
# runs the control case). srv keeps cwnd across idle periods
# (tcp_slow_start_after_idle=0), as tuned servers do.
# Phase "quiet" (3 s): cli fetches a 1 MB response every 300 ms over an
# empty path: about a millisecond each. Phase "busy" (8 s): peer uploads to srv and
# keeps the 10 Mbit/s queue toward srv full: every packet from the clients
# to srv, ACKs included, waits ~200 ms there, so the RTT is ~200 ms. cli
# cannot advertise more than 64 KB: 1 MB takes 16 RTTs, seconds. (With
# scaling, the window opens to the whole response: ~2 RTTs.)
# Oracle: ss -ti in cli shows no "wscale:" (ss.cli_wscale_conns=0 of
# ss.cli_conns), srv shows rwnd_limited; quiet.p50_ms vs busy.p50_ms.
SC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$SC_HERE/lib.sh"

SC_SRV_ADDR=198.18.0.1
SC_CLI_ADDR=198.18.1.2
SC_PEER_ADDR=198.18.2.2
SC_PORT=${SC_PORT:-5009}
SC_UP_PORT=${SC_UP_PORT:-5010}
SC_WSCALE=${SC_WSCALE:-0}
SC_RESP=${SC_RESP:-1000000}

scenario_setup() {
	nt_init window-scaling || return $?
	nt_ns srv && nt_ns rtr && nt_ns cli && nt_ns peer || return 1
	nt_link srv $SC_SRV_ADDR/24 rtr 198.18.0.254/24 || return 1
	nt_link cli $SC_CLI_ADDR/24 rtr 198.18.1.254/24 || return 1
	nt_link peer $SC_PEER_ADDR/24 rtr 198.18.2.254/24 || return 1
	nt_router rtr || return 1
	nt_route srv 198.18.1.0/24 198.18.0.254 && nt_route srv 198.18.2.0/24 198.18.0.254 || return 1
	nt_route cli 198.18.0.0/24 198.18.1.254 && nt_route peer 198.18.0.0/24 198.18.2.254 || return 1
	nt_sysctl cli net.ipv4.tcp_window_scaling=$SC_WSCALE || return 1
	nt_sysctl srv net.ipv4.tcp_slow_start_after_idle=0 || return 1
	nt_tbf rtr eth-srv 10mbit 16kb 300kb || return 1
	nt_bg srv server "$NT_TRAFFIC" server --listen $SC_SRV_ADDR:$SC_PORT --respond "$SC_RESP" --duration 40
	nt_bg srv upsrv "$NT_TRAFFIC" server --listen $SC_SRV_ADDR:$SC_UP_PORT --duration 40
	nt_wait_listen srv $SC_PORT && nt_wait_listen srv $SC_UP_PORT || return 1
	nt_snapshot srv
	nt_snapshot cli
}

# Counts the established connections to/from SC_PORT in HOST, those with a wscale field, rwnd_limited.
sc_ss_wscale() {
	local out
	out=$(nt_exec "$1" ss -Hti state established "( sport = :$SC_PORT or dport = :$SC_PORT )" 2>/dev/null)
	echo "ss.$1_conns=$(grep -c 'cubic\|reno\|bbr' <<<"$out")"
	echo "ss.$1_wscale_conns=$(grep -c 'wscale:' <<<"$out")"
	echo "ss.$1_rwnd_limited_conns=$(grep -c 'rwnd_limited' <<<"$out")"
	echo "ss.$1_rtt_ms=$(grep -o ' rtt:[0-9.]*' <<<"$out" | head -1 | cut -d: -f2)"
	# The kernel's send-time accounting of the first such connection (ms).
	echo "ss.$1_busy_ms=$(grep -o ' busy:[0-9]*ms' <<<"$out" | head -1 | tr -dc 0-9)"
	echo "ss.$1_rwnd_limited_ms=$(grep -o 'rwnd_limited:[0-9]*ms' <<<"$out" | head -1 | tr -dc 0-9)"
}

scenario_traffic() {
	nt_log "window-scaling: wscale=$SC_WSCALE on cli; quiet 3 s: one 1 MB response per 300 ms"
	nt_bg cli client "$NT_TRAFFIC" client --connect $SC_SRV_ADDR:$SC_PORT --requests 1000 --req-bytes 100 \
		--resp-bytes "$SC_RESP" --interval-ms 300 --duration 3
	nt_wait client 10
	mv "$NT_TMP/client.out" "$NT_TMP/quiet.out"
	nt_log "window-scaling: busy 8 s: peer uploads fill the queue toward srv (RTT ~200 ms)"
	nt_bg peer upload "$NT_TRAFFIC" client --connect $SC_SRV_ADDR:$SC_UP_PORT --conns 4 --bulk 0 --duration 9.5
	sleep 1
	nt_bg cli busy "$NT_TRAFFIC" client --connect $SC_SRV_ADDR:$SC_PORT --requests 1000 --req-bytes 100 \
		--resp-bytes "$SC_RESP" --interval-ms 300 --duration 8
	sleep 4
	sc_ss_wscale cli >"$NT_TMP/ss.txt"
	sc_ss_wscale srv >>"$NT_TMP/ss.txt"
	nt_wait busy 15
	nt_wait upload 10
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
