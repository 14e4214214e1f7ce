#!/bin/bash
# listen-overflow.sh: scenario: a burst of 300 clients against listen(4) with a server that accepts one connection per 250 ms.
#
# Hosts: srv 198.18.0.1 (listen backlog 4, syncookies off, accepts slowly),
# cli 198.18.0.2 (300 connections at once, each held 1 s after connecting).
# The accept queue overflows: SYNs and final ACKs are dropped, clients
# retransmit their SYNs (1 s, 3 s, ...), the server retransmits SYN-ACKs.
# Oracle: srv.TcpExtListenOverflows, srv.TcpExtListenDrops, srv.TcpExtTCPSynRetrans
# (SYN-ACK retransmits), cli.TcpExtTCPSynRetrans (SYN retransmits).
SC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$SC_HERE/lib.sh"

SC_SRV_ADDR=198.18.0.1
SC_CLI_ADDR=198.18.0.2
SC_PORT=${SC_PORT:-5002}
SC_CONNS=${SC_CONNS:-300}
SC_BACKLOG=${SC_BACKLOG:-4}

scenario_setup() {
	nt_init listen-overflow || return $?
	nt_ns srv && nt_ns cli || return 1
	nt_link srv $SC_SRV_ADDR/24 cli $SC_CLI_ADDR/24 || return 1
	nt_sysctl srv net.ipv4.tcp_syncookies=0 net.ipv4.tcp_max_syn_backlog=4096 || return 1
	nt_sysctl cli net.ipv4.ip_local_port_range="20000 60000" || return 1
	nt_bg srv server "$NT_TRAFFIC" server --listen $SC_SRV_ADDR:$SC_PORT --backlog "$SC_BACKLOG" \
		--accept-delay-ms ${SC_ACCEPT_DELAY_MS:-250} --duration 40
	nt_wait_listen srv $SC_PORT || return 1
	nt_snapshot srv
	nt_snapshot cli
}

scenario_traffic() {
	nt_log "listen-overflow: $SC_CONNS clients at once against listen($SC_BACKLOG), slow accept"
	nt_exec cli "$NT_TRAFFIC" client --connect $SC_SRV_ADDR:$SC_PORT --conns "$SC_CONNS" \
		--hold-ms 1000 --connect-timeout-ms 8000 --duration 12 >"$NT_TMP/client.out"
	cat "$NT_TMP/client.out" >&2
}

scenario_oracle() {
	nt_delta srv TcpExtListenOverflows TcpExtListenDrops TcpExtTCPSynRetrans TcpExtTCPReqQFullDrop \
		TcpRetransSegs
	nt_delta cli TcpExtTCPSynRetrans TcpRetransSegs
	local line
	line=$(cat "$NT_TMP/client.out" 2>/dev/null)
	echo "client.connected=$(nt_field "$line" connected)"
	echo "client.connect_max_ms=$(nt_field "$line" connect_max_ms)"
}

scenario_teardown() { nt_cleanup; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then nt_main "$@"; fi
