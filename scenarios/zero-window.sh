#!/bin/bash
# zero-window.sh: scenario: a receiver with a tiny SO_RCVBUF that reads slowly; its advertised window hits zero.
#
# Hosts: srv 198.18.0.1 (nt-traffic sink, SO_RCVBUF 4 KiB, one 1 KiB read
# every 1.5 s), cli 198.18.0.2 (bulk sender, 6 s).
# Oracle: srv.TcpExtTCPToZeroWindowAdv / TCPFromZeroWindowAdv > 0 (the
# receiver advertised a zero window and reopened it), cli.TcpExtTCPWinProbe
# (the sender's persist probes; they arrive at srv as TCP_OLD_SEQUENCE drops).
SC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$SC_HERE/lib.sh"

SC_SRV_ADDR=198.18.0.1
SC_CLI_ADDR=198.18.0.2
SC_PORT=${SC_PORT:-5001}
SC_SECONDS=${SC_SECONDS:-6}

scenario_setup() {
	nt_init zero-window || return $?
	nt_ns srv && nt_ns cli || return 1
	nt_link srv $SC_SRV_ADDR/24 cli $SC_CLI_ADDR/24 || return 1
	nt_bg srv server "$NT_TRAFFIC" server --listen $SC_SRV_ADDR:$SC_PORT --rcvbuf 4096 \
		--read-delay-ms 1500 --read-size 1024 --duration $((SC_SECONDS + 20))
	nt_wait_listen srv $SC_PORT || return 1
	nt_snapshot srv
	nt_snapshot cli
}

scenario_traffic() {
	nt_log "zero-window: bulk sender for ${SC_SECONDS}s into a 4 KiB receive buffer read 1 KiB per 1.5 s"
	nt_exec cli "$NT_TRAFFIC" client --connect $SC_SRV_ADDR:$SC_PORT --bulk 0 \
		--duration "$SC_SECONDS" >"$NT_TMP/client.out"
	cat "$NT_TMP/client.out" >&2
}

scenario_oracle() {
	nt_delta srv TcpExtTCPToZeroWindowAdv TcpExtTCPFromZeroWindowAdv TcpExtTCPWantZeroWindowAdv \
		TcpExtTCPRcvQDrop TcpExtTCPZeroWindowDrop
	nt_delta cli TcpExtTCPWinProbe TcpRetransSegs
}

scenario_teardown() { nt_cleanup; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then nt_main "$@"; fi
