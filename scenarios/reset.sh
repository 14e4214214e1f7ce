#!/bin/bash
# reset.sh: scenario: a server closes connections with unread data in the receive queue, so the kernel sends RSTs.
#
# Hosts: srv 198.18.0.1 (accepts, waits for data, then close()s 200 ms later
# without reading), cli 198.18.0.2 (SC_CONNS connections, each sends 20 KB
# and then waits for the server).
# Oracle: srv.TcpExtTCPAbortOnClose == number of connections reset,
# cli.TcpEstabResets (the client saw the reset), client.resets.
SC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$SC_HERE/lib.sh"

SC_SRV_ADDR=198.18.0.1
SC_CLI_ADDR=198.18.0.2
SC_PORT=${SC_PORT:-5005}
SC_CONNS=${SC_CONNS:-5}

scenario_setup() {
	nt_init reset || return $?
	nt_ns srv && nt_ns cli || return 1
	nt_link srv $SC_SRV_ADDR/24 cli $SC_CLI_ADDR/24 || return 1
	nt_bg srv server "$NT_TRAFFIC" server --listen $SC_SRV_ADDR:$SC_PORT --close-unread \
		--close-delay-ms 200 --duration 30
	nt_wait_listen srv $SC_PORT || return 1
	nt_snapshot srv
	nt_snapshot cli
}

scenario_traffic() {
	nt_log "reset: $SC_CONNS clients send 20 KB each; the server closes without reading (RST)"
	# A request/response client whose response never comes: it waits in recv
	# until the reset arrives.
	nt_exec cli "$NT_TRAFFIC" client --connect $SC_SRV_ADDR:$SC_PORT --conns "$SC_CONNS" \
		--requests 1 --req-bytes 20000 --resp-bytes 100 --duration 4 >"$NT_TMP/client.out"
	cat "$NT_TMP/client.out" >&2
}

scenario_oracle() {
	nt_delta srv TcpExtTCPAbortOnClose TcpOutRsts
	nt_delta cli TcpEstabResets TcpInErrs
	echo "client.resets=$(nt_field "$(cat "$NT_TMP/client.out")" resets)"
}

scenario_teardown() { nt_cleanup; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then nt_main "$@"; fi
