#!/bin/bash
# queue-jitter.sh: scenario: a ~30 ms request/response service spikes to ~800 ms while bulk downloads fill a long tbf queue on a router on the same path.
#
# Topology (routes, no default route):
#   srv 198.18.0.1 -- rtr (198.18.0.254 | 198.18.1.254) --(tbf 10 Mbit/s toward cli)-- cli 198.18.1.2
# srv runs the request/response server (40 KB responses, ~20 ms at
# 10 Mbit/s) and the bulk source. The queue sits on the forwarding router: on
# the sender's own egress TCP small queues keep it nearly empty (a fresh-clone
# run got 80 ms instead of 800 ms); a forwarded skb is orphaned and queues.
# Timeline: the request/response client runs for SC_SECONDS (12) with one
# request per 100 ms; from t=3 s to t=8 s seven bulk downloads fill the
# router queue and every response waits behind it.
# How full the queue gets is set by the bulk receivers' windows, not by luck:
# each downloader has SO_RCVBUF 100000 (window scale 1: 131070 bytes at most),
# seven of them keep ~1 MB queued = ~0.8 s at 10 Mbit/s, below the 1.5 MB
# limit (no tail drop, so the service sees queueing delay and no RTO). The
# bulk server uses reno: with cubic, HyStart left slow start early in 2 of 6
# runs (the flows started together) and the queue stayed at 200-300 KB.
# Oracle: client.p50_ms (tens of ms), client.max_ms (~800 ms), the bulk
# window (bulk.start/bulk.end, realtime), srv's "ss -ti" rtt of the
# request/response connection before and during the bulk (ss.rtt_before_ms,
# ss.rtt_max_ms), the router queue (tc.backlog_max_bytes, tc.drops) and the
# servers' pids (pid.server, pid.bulksrv). SC_DEBUG=1 logs the samples.
SC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$SC_HERE/lib.sh"

SC_SRV_ADDR=198.18.0.1
SC_CLI_ADDR=198.18.1.2
SC_PORT=${SC_PORT:-5007}
SC_BULK_PORT=${SC_BULK_PORT:-5008}
SC_SECONDS=${SC_SECONDS:-12}

scenario_setup() {
	nt_init queue-jitter || return $?
	nt_ns srv && nt_ns rtr && nt_ns cli || return 1
	nt_link srv $SC_SRV_ADDR/24 rtr 198.18.0.254/24 || return 1
	nt_link cli $SC_CLI_ADDR/24 rtr 198.18.1.254/24 || return 1
	nt_router rtr || return 1
	nt_route srv 198.18.1.0/24 198.18.0.254 && nt_route cli 198.18.0.0/24 198.18.1.254 || return 1
	nt_tbf rtr eth-cli 10mbit 16kb 1500kb || return 1
	nt_bg srv server "$NT_TRAFFIC" server --listen $SC_SRV_ADDR:$SC_PORT --respond 40000 \
		--duration $((SC_SECONDS + 20))
	nt_bg srv bulksrv "$NT_TRAFFIC" server --listen $SC_SRV_ADDR:$SC_BULK_PORT --rr --cc reno \
		--duration $((SC_SECONDS + 20))
	nt_wait_listen srv $SC_PORT && nt_wait_listen srv $SC_BULK_PORT || return 1
	nt_snapshot srv
	nt_snapshot cli
	nt_qdisc_snapshot rtr eth-cli
}

# Samples the rtt (ms) that srv's ss reports for the request/response connection.
sc_ss_rtt() {
	nt_exec srv ss -Hti state established "sport = :$SC_PORT" 2>/dev/null |
		grep -o ' rtt:[0-9.]*' | head -1 | cut -d: -f2
}

scenario_traffic() {
	nt_log "queue-jitter: request/response every 100 ms for ${SC_SECONDS}s; bulk downloads fill the router queue from t=3s to t=8s"
	nt_bg cli client "$NT_TRAFFIC" client --connect $SC_SRV_ADDR:$SC_PORT --requests 100000 \
		--req-bytes 100 --resp-bytes 40000 --interval-ms 100 --duration "$SC_SECONDS"
	sleep 3
	SC_BULK_START=$(date +%s.%N)
	SC_SS_RTT_BEFORE=$(sc_ss_rtt)
	nt_bg cli bulk "$NT_TRAFFIC" client --connect $SC_SRV_ADDR:$SC_BULK_PORT --conns 7 --rcvbuf 100000 --requests 1 \
		--resp-bytes 1000000000 --duration 5
	local i r max=0 b bmax=0
	for ((i = 0; i < 9; i++)); do
		sleep 0.5
		r=$(sc_ss_rtt)
		if [[ -n $r ]] && awk -v a="$r" -v b="$max" 'BEGIN { exit !(a > b) }'; then max=$r; fi
		b=$(nt_qdisc_backlog rtr eth-cli)
		((b > bmax)) && bmax=$b
		[[ -n ${SC_DEBUG:-} ]] && nt_log "t+$((i / 2)).$((i % 2 * 5))s rtt=$r backlog=$b"
	done
	SC_SS_RTT_MAX=$max
	SC_BACKLOG_MAX=$bmax
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
	echo "tc.backlog_max_bytes=${SC_BACKLOG_MAX:-0}"
	echo "tc.drops=$(nt_qdisc_delta rtr eth-cli drops)"
	echo "tc.sent_bytes=$(nt_qdisc_delta rtr eth-cli bytes)"
	echo "pid.server=${NT_PID_server:-0}"
	echo "pid.bulksrv=${NT_PID_bulksrv:-0}"
	nt_delta srv TcpRetransSegs TcpExtTCPTimeouts TcpExtTCPSpuriousRTOs TcpExtTCPLossUndo
}

scenario_teardown() { nt_cleanup; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then nt_main "$@"; fi
