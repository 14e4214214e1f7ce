#!/bin/bash
# queue-jitter.sh: scenario: a ~30 ms request/response service spikes to ~800 ms while a bulk download fills a long tbf queue on the same path.
#
# Hosts: srv 198.18.0.1 (request/response server, 40 KB responses; also the
# bulk source), cli 198.18.0.2. srv's egress: tbf rate 8 Mbit/s, 1 MB queue
# (~1 s when full). Timeline: the request/response client runs for
# SC_SECONDS (12) with one request per 100 ms; from t=3 s to t=8 s a
# six bulk downloads fill the queue and every response waits behind it.
# Oracle: client.p50_ms (tens of ms), client.max_ms (hundreds of ms),
# the bulk window (bulk.start/bulk.end, realtime), and srv's "ss -ti" rtt of
# the request/response connection sampled during the bulk (ss.rtt_max_ms).
SC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$SC_HERE/lib.sh"

SC_SRV_ADDR=198.18.0.1
SC_CLI_ADDR=198.18.0.2
SC_PORT=${SC_PORT:-5007}
SC_BULK_PORT=${SC_BULK_PORT:-5008}
SC_SECONDS=${SC_SECONDS:-12}

scenario_setup() {
	nt_init queue-jitter || return $?
	nt_ns srv && nt_ns cli || return 1
	nt_link srv $SC_SRV_ADDR/24 cli $SC_CLI_ADDR/24 || return 1
	nt_tbf srv eth-cli 8mbit 16kb 1000kb || return 1
	nt_bg srv server "$NT_TRAFFIC" server --listen $SC_SRV_ADDR:$SC_PORT --respond 40000 \
		--duration $((SC_SECONDS + 20))
	nt_bg srv bulksrv "$NT_TRAFFIC" server --listen $SC_SRV_ADDR:$SC_BULK_PORT --rr \
		--duration $((SC_SECONDS + 20))
	nt_wait_listen srv $SC_PORT && nt_wait_listen srv $SC_BULK_PORT || return 1
	nt_snapshot srv
	nt_snapshot cli
}

# Samples the rtt (ms) that srv's ss reports for the request/response connection.
sc_ss_rtt() {
	nt_exec srv ss -Hti "sport = :$SC_PORT" 2>/dev/null |
		grep -o ' rtt:[0-9.]*' | head -1 | cut -d: -f2
}

scenario_traffic() {
	nt_log "queue-jitter: request/response every 100 ms for ${SC_SECONDS}s; bulk download fills the tbf queue from t=3s to t=8s"
	nt_bg cli client "$NT_TRAFFIC" client --connect $SC_SRV_ADDR:$SC_PORT --requests 100000 \
		--req-bytes 100 --resp-bytes 40000 --interval-ms 100 --duration "$SC_SECONDS"
	sleep 3
	SC_BULK_START=$(date +%s.%N)
	SC_SS_RTT_BEFORE=$(sc_ss_rtt)
	nt_bg cli bulk "$NT_TRAFFIC" client --connect $SC_SRV_ADDR:$SC_BULK_PORT --conns 6 --requests 1 \
		--resp-bytes 1000000000 --duration 5
	local i r max=0
	for ((i = 0; i < 9; i++)); do
		sleep 0.5
		r=$(sc_ss_rtt)
		if [[ -n $r ]] && awk -v a="$r" -v b="$max" 'BEGIN { exit !(a > b) }'; then max=$r; fi
	done
	SC_SS_RTT_MAX=$max
	nt_wait bulk 10
	SC_BULK_END=$(date +%s.%N)
	nt_wait client $((SC_SECONDS + 10))
	nt_out client >&2
}

scenario_oracle() {
	local line
	line=$(nt_out client)
	echo "client.requests=$(nt_field "$line" requests)"
	echo "client.p50_ms=$(nt_field "$line" p50_ms)"
	echo "client.p99_ms=$(nt_field "$line" p99_ms)"
	echo "client.max_ms=$(nt_field "$line" max_ms)"
	echo "bulk.start=${SC_BULK_START:-0}"
	echo "bulk.end=${SC_BULK_END:-0}"
	echo "ss.rtt_before_ms=${SC_SS_RTT_BEFORE:-0}"
	echo "ss.rtt_max_ms=${SC_SS_RTT_MAX:-0}"
	nt_delta srv TcpRetransSegs
}

scenario_teardown() { nt_cleanup; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then nt_main "$@"; fi
