#!/bin/bash
# rto.sh: scenario: a blackout: nft drops every packet of a flow for 1.5 s, so the sender's retransmission timer fires (RTO, CA state Loss).
#
# Hosts: srv 198.18.0.1 (sink), cli 198.18.0.2 (bulk upload at 2 MB/s for 6 s).
# 2 s into the transfer srv gets "tcp dport PORT counter name blackout drop"
# for SC_BLACKOUT seconds (1.5), then the table is deleted.
# Oracle: cli.TcpExtTCPTimeouts >= 1 (RTO fired), cli.TcpRetransSegs,
# cli.TcpExtTCPLossFailures / TCPSpuriousRTOs, nft.blackout (dropped packets).
SC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$SC_HERE/lib.sh"

SC_SRV_ADDR=198.18.0.1
SC_CLI_ADDR=198.18.0.2
SC_PORT=${SC_PORT:-5004}
SC_BLACKOUT=${SC_BLACKOUT:-1.5}

scenario_setup() {
	nt_init rto || return $?
	nt_ns srv && nt_ns cli || return 1
	nt_link srv $SC_SRV_ADDR/24 cli $SC_CLI_ADDR/24 || return 1
	nt_bg srv server "$NT_TRAFFIC" server --listen $SC_SRV_ADDR:$SC_PORT --duration 30
	nt_wait_listen srv $SC_PORT || return 1
	nt_snapshot srv
	nt_snapshot cli
}

scenario_traffic() {
	nt_log "rto: bulk upload 6 s at 2 MB/s; all packets to :$SC_PORT dropped for ${SC_BLACKOUT}s from t=2s"
	nt_bg cli client "$NT_TRAFFIC" client --connect $SC_SRV_ADDR:$SC_PORT --bulk 0 --rate 2M --duration 6
	sleep 2
	nt_exec srv nft -f - <<-NFT || return 1
	table inet ntrto {
		counter blackout { }
		chain input {
			type filter hook input priority 0; policy accept;
			tcp dport $SC_PORT counter name blackout drop
		}
	}
	NFT
	SC_BLACKOUT_START=$(date +%s.%N)
	sleep "$SC_BLACKOUT"
	SC_BLACKOUT_DROPS=$(nt_nft_counter srv inet ntrto blackout)
	nt_exec srv nft delete table inet ntrto
	SC_BLACKOUT_END=$(date +%s.%N)
	nt_wait client 20
	nt_out client >&2
}

scenario_oracle() {
	echo "nft.blackout=${SC_BLACKOUT_DROPS:-0}"
	echo "blackout.start=${SC_BLACKOUT_START:-0}"
	echo "blackout.end=${SC_BLACKOUT_END:-0}"
	nt_delta cli TcpExtTCPTimeouts TcpRetransSegs TcpExtTCPLossFailures TcpExtTCPSpuriousRTOs \
		TcpExtTCPLossProbes
}

scenario_teardown() { nt_cleanup; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then nt_main "$@"; fi
