#!/bin/bash
# firewall-loss.sh: scenario: an nft rule drops every Nth data segment of one flow (numgen), causing retransmits and fast recovery.
#
# Hosts: srv 198.18.0.1 (sink), cli 198.18.0.2 (bulk upload, 10 MB/s for 5 s).
# srv's input hook: "tcp dport PORT ip length > 200 numgen inc mod N 0
# counter name lossdrops drop" (N = 40 by default: 2.5 % of data skbs).
# Oracle: nft.lossdrops (packets the rule dropped; each is one kfree_skb with
# reason NETFILTER_DROP in srv), cli.TcpRetransSegs, cli.TcpExtTCPSackRecovery
# (fast-recovery episodes), cli.TcpExtTCPTimeouts, cli.TcpExtTCPLossProbes.
SC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$SC_HERE/lib.sh"

SC_SRV_ADDR=198.18.0.1
SC_CLI_ADDR=198.18.0.2
SC_PORT=${SC_PORT:-5003}
SC_MOD=${SC_MOD:-40}
SC_SECONDS=${SC_SECONDS:-5}

scenario_setup() {
	nt_init firewall-loss || return $?
	nt_ns srv && nt_ns cli || return 1
	nt_link srv $SC_SRV_ADDR/24 cli $SC_CLI_ADDR/24 || return 1
	nt_exec srv nft -f - <<-NFT || return 1
	table inet ntloss {
		counter lossdrops { }
		chain input {
			type filter hook input priority 0; policy accept;
			tcp dport $SC_PORT ip length > 200 numgen inc mod $SC_MOD 0 counter name lossdrops drop
		}
	}
	NFT
	nt_bg srv server "$NT_TRAFFIC" server --listen $SC_SRV_ADDR:$SC_PORT --duration $((SC_SECONDS + 20))
	nt_wait_listen srv $SC_PORT || return 1
	nt_snapshot srv
	nt_snapshot cli
}

scenario_traffic() {
	nt_log "firewall-loss: bulk upload ${SC_SECONDS}s at 10 MB/s, nft drops 1 in $SC_MOD data packets"
	nt_exec cli "$NT_TRAFFIC" client --connect $SC_SRV_ADDR:$SC_PORT --bulk 0 --rate 10M \
		--duration "$SC_SECONDS" >"$NT_TMP/client.out"
	cat "$NT_TMP/client.out" >&2
}

scenario_oracle() {
	echo "nft.lossdrops=$(nt_nft_counter srv inet ntloss lossdrops)"
	nt_delta cli TcpRetransSegs TcpExtTCPSackRecovery TcpExtTCPTimeouts TcpExtTCPLossProbes \
		TcpExtTCPFastRetrans TcpExtTCPLossProbeRecovery
	nt_delta srv TcpExtTCPSACKReorder TcpExtTCPOFOQueue
}

scenario_teardown() { nt_cleanup; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then nt_main "$@"; fi
