#!/bin/bash
# listen-storm.sh: scenario: 1000 concurrent clients against two listeners on one server: one stuck (small backlog, never accepts) overflows, the healthy one accepts and answers all of its clients.
#
# Hosts: srv (stuck listener 198.18.0.1:5021, listen(8), never accepts;
# healthy listener 198.18.2.1:5022, listen(4096), accepts and answers 1000
# bytes per request), cli 198.18.0.2 (the stuck listener's 500 clients),
# cli2 198.18.2.2 (the healthy listener's 500 clients). All 1000 connect at
# once (syncookies off). The stuck listener's accept queue fills with 9
# connections; every further SYN to it is dropped (ListenOverflows,
# ListenDrops), its clients retransmit SYNs at 1 s, 3 s, 7 s and give up after
# 8 s. The healthy listener's clients all connect and get their answer; the
# two client groups live in different namespaces, so each group's
# TcpExtTCPSynRetrans is its own.
# Oracle: srv TcpExtListenOverflows/TcpExtListenDrops, cli and cli2
# TcpExtTCPSynRetrans, ss -lnt Recv-Q/Send-Q of each listener sampled during
# the storm (max), each client group's connected/failed/timed out counts,
# the listeners' addresses and pids.
SC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$SC_HERE/lib.sh"

SC_STUCK_ADDR=198.18.0.1
SC_HEALTHY_ADDR=198.18.2.1
SC_STUCK_PORT=${SC_STUCK_PORT:-5021}
SC_HEALTHY_PORT=${SC_HEALTHY_PORT:-5022}
SC_CONNS=${SC_CONNS:-500} # per listener
SC_BACKLOG=${SC_BACKLOG:-8}

scenario_setup() {
	nt_init listen-storm || return $?
	nt_ns srv && nt_ns cli && nt_ns cli2 || return 1
	nt_link srv $SC_STUCK_ADDR/24 cli 198.18.0.2/24 || return 1
	nt_link srv $SC_HEALTHY_ADDR/24 cli2 198.18.2.2/24 || return 1
	nt_sysctl srv net.ipv4.tcp_syncookies=0 net.ipv4.tcp_max_syn_backlog=8192 net.core.somaxconn=8192 || return 1
	nt_sysctl cli net.ipv4.ip_local_port_range="20000 60000" || return 1
	nt_sysctl cli2 net.ipv4.ip_local_port_range="20000 60000" || return 1
	nt_bg srv stuck "$NT_TRAFFIC" server --listen $SC_STUCK_ADDR:$SC_STUCK_PORT --backlog "$SC_BACKLOG" \
		--no-accept --duration 40
	nt_bg srv healthy "$NT_TRAFFIC" server --listen $SC_HEALTHY_ADDR:$SC_HEALTHY_PORT --backlog 4096 \
		--respond 1000 --duration 40
	nt_wait_listen srv $SC_STUCK_PORT && nt_wait_listen srv $SC_HEALTHY_PORT || return 1
	nt_snapshot srv
	nt_snapshot cli
	nt_snapshot cli2
}

# sc_listen_q PORT: "Recv-Q Send-Q" of the listener on PORT in srv.
sc_listen_q() { nt_exec srv ss -Hlnt "sport = :$1" 2>/dev/null | awk '{ print $2, $3; exit }'; }

scenario_traffic() {
	nt_log "listen-storm: $SC_CONNS clients each against the stuck listen($SC_BACKLOG) and the healthy listener, at once"
	nt_bg cli stuckcli "$NT_TRAFFIC" client --connect $SC_STUCK_ADDR:$SC_STUCK_PORT --conns "$SC_CONNS" \
		--hold-ms 2000 --connect-timeout-ms 8000 --duration 10
	nt_bg cli2 healthycli "$NT_TRAFFIC" client --connect $SC_HEALTHY_ADDR:$SC_HEALTHY_PORT --conns "$SC_CONNS" \
		--requests 1 --req-bytes 100 --resp-bytes 1000 --connect-timeout-ms 8000 --duration 10
	local i q sr=0 ss_=0 hr=0 hs=0
	for ((i = 0; i < 10; i++)); do
		sleep 0.4
		read -r -a q <<<"$(sc_listen_q $SC_STUCK_PORT)"
		((${q[0]:-0} > sr)) && sr=${q[0]}
		ss_=${q[1]:-$ss_}
		read -r -a q <<<"$(sc_listen_q $SC_HEALTHY_PORT)"
		((${q[0]:-0} > hr)) && hr=${q[0]}
		hs=${q[1]:-$hs}
	done
	SC_STUCK_RECVQ=$sr SC_STUCK_SENDQ=$ss_ SC_HEALTHY_RECVQ=$hr SC_HEALTHY_SENDQ=$hs
	nt_wait stuckcli 20
	nt_wait healthycli 20
	nt_out stuckcli >&2
	nt_out healthycli >&2
}

scenario_oracle() {
	local s h
	s=$(nt_out stuckcli)
	h=$(nt_out healthycli)
	nt_delta srv TcpExtListenOverflows TcpExtListenDrops TcpExtTCPSynRetrans TcpExtTCPReqQFullDrop
	nt_delta cli TcpExtTCPSynRetrans
	nt_delta cli2 TcpExtTCPSynRetrans
	echo "ss.stuck_recvq_max=$SC_STUCK_RECVQ"
	echo "ss.stuck_sendq=$SC_STUCK_SENDQ"
	echo "ss.healthy_recvq_max=$SC_HEALTHY_RECVQ"
	echo "ss.healthy_sendq=$SC_HEALTHY_SENDQ"
	echo "stuck.clients=$SC_CONNS"
	echo "stuck.connected=$(nt_field "$s" connected)"
	echo "stuck.failed=$(( $(nt_field "$s" failed) + $(nt_field "$s" conn_timeouts) ))"
	echo "stuck.connect_max_ms=$(nt_field "$s" connect_max_ms)"
	echo "healthy.clients=$SC_CONNS"
	echo "healthy.connected=$(nt_field "$h" connected)"
	echo "healthy.failed=$(( $(nt_field "$h" failed) + $(nt_field "$h" conn_timeouts) ))"
	echo "healthy.requests=$(nt_field "$h" requests)"
	echo "healthy.connect_max_ms=$(nt_field "$h" connect_max_ms)"
	echo "stuck.addr=$SC_STUCK_ADDR:$SC_STUCK_PORT"
	echo "healthy.addr=$SC_HEALTHY_ADDR:$SC_HEALTHY_PORT"
	echo "pid.stuck=${NT_PID_stuck:-0}"
	echo "pid.healthy=${NT_PID_healthy:-0}"
}

scenario_teardown() { nt_cleanup; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then nt_main "$@"; fi
