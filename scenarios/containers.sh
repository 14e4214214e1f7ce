#!/bin/bash
# containers.sh: scenario: a ~30 ms API in container A spikes to ~800 ms while container B, on the same docker host, bulk-sends through the same router queue.
#
# Topology (routes, no default route):
#   srv 198.18.0.1 (the docker host: containers A and B, host networking)
#     -- rtr (198.18.0.254 | 198.18.1.254) --(tbf 10 Mbit/s toward cli)-- cli 198.18.1.2
# The containers are cgroup v2 directories named like docker's
# (<cgroup2>/system.slice/docker-<64 hex>.scope, created here, removed at
# cleanup); each process is moved into its container's cgroup.procs before it
# execs, so its sockets are born in the container.
#   A: the API, nt-traffic server 198.18.0.1:5007, 40 KB responses; its client
#      on cli asks every 100 ms for SC_SECONDS (12).
#   B: a batch job, nt-traffic client with seven reno connections sending to a
#      sink on cli 198.18.1.2:5011 from t=3 s to t=8 s. The sink's SO_RCVBUF
#      (100000: window scale 1, 131070 bytes) keeps ~1 MB queued on the router,
#      ~0.8 s at 10 Mbit/s and below the 1.5 MB limit (see queue-jitter.sh).
# Oracle: the containers' ids (cid.a/cid.b, 64 hex; short.a/short.b, 12, as
# docker ps shows them) and cgroup paths, A's client latency (client.p50_ms,
# client.max_ms), the router queue (tc.backlog_max_bytes, tc.drops,
# tc.sent_bytes), srv's ss rtt of A's connection before and during B's bulk,
# B's bytes sent, the pids (pid.api in A, pid.filler in B, pid.sink on cli),
# and the time window of B's bulk.
SC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$SC_HERE/lib.sh"

SC_SRV_ADDR=198.18.0.1
SC_CLI_ADDR=198.18.1.2
SC_PORT=${SC_PORT:-5007}
SC_SINK_PORT=${SC_SINK_PORT:-5011}
SC_SECONDS=${SC_SECONDS:-12}

scenario_setup() {
	nt_init containers || return $?
	nt_ns srv && nt_ns rtr && nt_ns cli || return 1
	nt_link srv $SC_SRV_ADDR/24 rtr 198.18.0.254/24 || return 1
	nt_link cli $SC_CLI_ADDR/24 rtr 198.18.1.254/24 || return 1
	nt_router rtr || return 1
	nt_route srv 198.18.1.0/24 198.18.0.254 && nt_route cli 198.18.0.0/24 198.18.1.254 || return 1
	nt_tbf rtr eth-cli 10mbit 16kb 1500kb || return 1
	nt_container a && nt_container b || return 1
	nt_bg_in a srv api "$NT_TRAFFIC" server --listen $SC_SRV_ADDR:$SC_PORT --respond 40000 \
		--duration $((SC_SECONDS + 20))
	nt_bg cli sink "$NT_TRAFFIC" server --listen $SC_CLI_ADDR:$SC_SINK_PORT --rcvbuf 100000 \
		--duration $((SC_SECONDS + 20))
	nt_wait_listen srv $SC_PORT && nt_wait_listen cli $SC_SINK_PORT || return 1
	nt_snapshot srv
	nt_snapshot cli
	nt_qdisc_snapshot rtr eth-cli
}

# The rtt (ms) srv's ss reports for A's request/response connection.
sc_ss_rtt() {
	nt_exec srv ss -Hti state established "sport = :$SC_PORT" 2>/dev/null |
		grep -o ' rtt:[0-9.]*' | head -1 | cut -d: -f2
}

scenario_traffic() {
	nt_log "containers: A's API (${NT_SHORT_a}) every 100 ms for ${SC_SECONDS}s; B (${NT_SHORT_b}) bulk-sends from t=3s to t=8s"
	nt_bg cli client "$NT_TRAFFIC" client --connect $SC_SRV_ADDR:$SC_PORT --requests 100000 \
		--req-bytes 100 --resp-bytes 40000 --interval-ms 100 --duration "$SC_SECONDS"
	sleep 3
	SC_BULK_START=$(date +%s.%N)
	SC_SS_RTT_BEFORE=$(sc_ss_rtt)
	nt_bg_in b srv filler "$NT_TRAFFIC" client --connect $SC_CLI_ADDR:$SC_SINK_PORT --conns 7 --cc reno --sndbuf ${SC_FILLER_SNDBUF:-150000} \
		--bulk 0 --duration 5
	local i r max=0 b bmax=0
	for ((i = 0; i < 9; i++)); do
		sleep 0.5
		((i == 1)) && SC_CG_API=$(sc_cgroup_of "$NT_PID_api") SC_CG_FILLER=$(sc_cgroup_of "$NT_PID_filler")
		r=$(sc_ss_rtt)
		if [[ -n $r ]] && awk -v a="$r" -v b="$max" 'BEGIN { exit !(a > b) }'; then max=$r; fi
		b=$(nt_qdisc_backlog rtr eth-cli)
		((b > bmax)) && bmax=$b
		[[ -n ${SC_DEBUG:-} ]] && nt_log "t+$((i / 2)).$((i % 2 * 5))s rtt=$r backlog=$b"
	done
	SC_SS_RTT_MAX=$max
	SC_BACKLOG_MAX=$bmax
	nt_wait filler 10
	SC_BULK_END=$(date +%s.%N)
	nt_wait client $((SC_SECONDS + 10))
	nt_out client >&2
}

# sc_cgroup_of PID: the process's cgroup v2 path ("0::" line of /proc/PID/cgroup).
sc_cgroup_of() { awk -F: '$1 == "0" { print $3 }' "/proc/$1/cgroup" 2>/dev/null; }

scenario_oracle() {
	local line
	line=$(nt_out client)
	echo "cid.a=$NT_CID_a"
	echo "short.a=$NT_SHORT_a"
	echo "cid.b=$NT_CID_b"
	echo "short.b=$NT_SHORT_b"
	echo "cgroup.api=${SC_CG_API:-}"
	echo "cgroup.filler=${SC_CG_FILLER:-}"
	echo "client.requests=$(nt_field "$line" requests)"
	echo "client.p50_ms=$(nt_field "$line" p50_ms)"
	echo "client.p99_ms=$(nt_field "$line" p99_ms)"
	echo "client.max_ms=$(nt_field "$line" max_ms)"
	echo "bulk.start=${SC_BULK_START:-0}"
	echo "bulk.end=${SC_BULK_END:-0}"
	echo "filler.bytes_sent=$(nt_field "$(nt_out filler)" bytes_sent)"
	echo "filler.conns=7"
	echo "ss.rtt_before_ms=${SC_SS_RTT_BEFORE:-0}"
	echo "ss.rtt_max_ms=${SC_SS_RTT_MAX:-0}"
	echo "tc.backlog_max_bytes=${SC_BACKLOG_MAX:-0}"
	echo "tc.drops=$(nt_qdisc_delta rtr eth-cli drops)"
	echo "tc.sent_bytes=$(nt_qdisc_delta rtr eth-cli bytes)"
	echo "api.addr=$SC_SRV_ADDR:$SC_PORT"
	echo "sink.addr=$SC_CLI_ADDR:$SC_SINK_PORT"
	echo "pid.api=${NT_PID_api:-0}"
	echo "pid.filler=${NT_PID_filler:-0}"
	echo "pid.sink=${NT_PID_sink:-0}"
	nt_delta srv TcpRetransSegs TcpExtTCPTimeouts TcpExtTCPSpuriousRTOs TcpExtTCPLossUndo
	nt_delta cli TcpRetransSegs TcpExtTCPTimeouts TcpExtTCPSpuriousRTOs TcpExtTCPLossUndo
}

scenario_teardown() { nt_cleanup; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then nt_main "$@"; fi
