#!/bin/bash
# healthy-bulk.sh: scenario: a plain bulk transfer with nothing wrong (the control case: an analyzer must find no incident).
#
# Hosts: srv 198.18.0.1 (sink), cli 198.18.0.2 (bulk upload, 50 MB/s for 4 s),
# no shaping, no rules.
# Oracle: every trouble counter stays at 0 (cli.TcpRetransSegs,
# cli.TcpExtTCPTimeouts, srv.TcpExtTCPToZeroWindowAdv, srv.TcpExtListenOverflows),
# client.bytes_sent > 0.
SC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$SC_HERE/lib.sh"

SC_SRV_ADDR=198.18.0.1
SC_CLI_ADDR=198.18.0.2
SC_PORT=${SC_PORT:-5006}
SC_SECONDS=${SC_SECONDS:-4}

scenario_setup() {
	nt_init healthy-bulk || return $?
	nt_ns srv && nt_ns cli || return 1
	nt_link srv $SC_SRV_ADDR/24 cli $SC_CLI_ADDR/24 || return 1
	nt_bg srv server "$NT_TRAFFIC" server --listen $SC_SRV_ADDR:$SC_PORT --duration $((SC_SECONDS + 20))
	nt_wait_listen srv $SC_PORT || return 1
	nt_snapshot srv
	nt_snapshot cli
}

scenario_traffic() {
	nt_log "healthy-bulk: bulk upload for ${SC_SECONDS}s at 50 MB/s, nothing wrong"
	nt_exec cli "$NT_TRAFFIC" client --connect $SC_SRV_ADDR:$SC_PORT --bulk 0 --rate 50M \
		--duration "$SC_SECONDS" >"$NT_TMP/client.out"
	cat "$NT_TMP/client.out" >&2
}

scenario_oracle() {
	nt_delta cli TcpRetransSegs TcpExtTCPTimeouts TcpExtTCPSackRecovery
	nt_delta srv TcpExtTCPToZeroWindowAdv TcpExtListenOverflows TcpExtTCPAbortOnClose TcpRetransSegs
	echo "client.bytes_sent=$(nt_field "$(cat "$NT_TMP/client.out")" bytes_sent)"
}

scenario_teardown() { nt_cleanup; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then nt_main "$@"; fi
