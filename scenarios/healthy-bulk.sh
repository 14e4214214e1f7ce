#!/bin/bash
# healthy-bulk.sh: scenario: a plain bulk transfer with nothing wrong (the control case: an analyzer must find no incident), with nt-traffic, iperf3 -P4 or a python3 sender.
#
# Hosts: srv 198.18.0.1 (receiver), cli 198.18.0.2 (sender), one veth, no
# shaping, no rules. SC_TOOL picks the sender/receiver pair:
#   nt-traffic (default)  one upload rate-limited to 50 MB/s for SC_SECONDS (4)
#   iperf3                iperf3 -c -P 4 -t SC_SECONDS (5) against iperf3 -s -1
#                         (SC_IPERF_RATE=2G paces it: -b per stream). iperf3 3.12's
#                         server falls behind when the CPUs are busy and closes its
#                         streams with unread data at the end: RSTs (srv
#                         TCPAbortOnClose 1-4; 0 of 5 runs idle, 2 of 2 unpaced and
#                         1 of 3 paced at 2G under load). The oracle shows it.
#   python                a python3 sender (256 KiB send() calls for SC_SECONDS,
#                         5) to a python3 receiver, full speed
# On this kernel veth reorders at full speed: the sender retransmits
# spuriously (thousands of segments in 5 s, D-SACKed by the receiver, undone)
# although nothing is lost. That is healthy traffic, and these counters say so:
# Oracle, per namespace (cli = sender, srv = receiver): TcpRetransSegs,
# TcpExtTCPDSACKRecvSegs, TcpExtTCPDSACKRecv, TcpExtTCPDSACKUndo,
# TcpExtTCPFullUndo, TcpExtTCPLossUndo, TcpExtTCPSpuriousRTOs,
# TcpExtTCPSACKReorder, TcpExtTCPDSACKOldSent, TcpExtTCPToZeroWindowAdv,
# TcpExtListenOverflows, TcpExtTCPTimeouts, TcpExtTCPAbortOnClose,
# TcpExtTCPAbortOnData (data arrived after close), TcpOutRsts; the bytes
# moved (client.bytes_sent, server.bytes_rcvd), the tool, the sender's pid
# and comm (pid.sender, sender.comm) and the receiver's (pid.server).
SC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$SC_HERE/lib.sh"

SC_SRV_ADDR=198.18.0.1
SC_CLI_ADDR=198.18.0.2
SC_PORT=${SC_PORT:-5006}
SC_TOOL=${SC_TOOL:-nt-traffic}
SC_IPERF_RATE=${SC_IPERF_RATE:-}
case $SC_TOOL in
nt-traffic) SC_SECONDS=${SC_SECONDS:-4} ;;
iperf3 | python) SC_SECONDS=${SC_SECONDS:-5} ;;
*) echo "healthy-bulk: SC_TOOL is nt-traffic, iperf3 or python (not '$SC_TOOL')" >&2; exit 2 ;;
esac
SC_COUNTERS="TcpRetransSegs TcpExtTCPDSACKRecvSegs TcpExtTCPDSACKRecv TcpExtTCPDSACKUndo
	TcpExtTCPFullUndo TcpExtTCPLossUndo TcpExtTCPSpuriousRTOs TcpExtTCPSACKReorder
	TcpExtTCPDSACKOldSent TcpExtTCPToZeroWindowAdv TcpExtListenOverflows TcpExtTCPTimeouts
	TcpExtTCPAbortOnClose TcpExtTCPAbortOnData TcpOutRsts TcpExtTCPSackRecovery TcpExtTCPFastRetrans"

sc_write_python() {
	cat >"$NT_TMP/recv.py" <<'PY'
# The receiver of healthy-bulk: accepts one connection, reads it to the end.
import socket, sys
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((sys.argv[1], int(sys.argv[2])))
ls.listen(8)
c, _ = ls.accept()
n = 0
while True:
    d = c.recv(262144)
    if not d:
        break
    n += len(d)
c.close()
print("bytes_rcvd=%d" % n, flush=True)
PY
	cat >"$NT_TMP/send.py" <<'PY'
# The sender of healthy-bulk: sends as fast as it can for N seconds, then closes.
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
buf = b"\0" * 262144
end = time.monotonic() + float(sys.argv[3])
n = 0
while time.monotonic() < end:
    n += s.send(buf)
s.shutdown(socket.SHUT_WR)
s.recv(1)  # the receiver closes after reading everything
s.close()
print("bytes_sent=%d" % n, flush=True)
PY
}

scenario_setup() {
	nt_init healthy-bulk || return $?
	nt_ns srv && nt_ns cli || return 1
	nt_link srv $SC_SRV_ADDR/24 cli $SC_CLI_ADDR/24 || return 1
	case $SC_TOOL in
	nt-traffic)
		nt_bg srv server "$NT_TRAFFIC" server --listen $SC_SRV_ADDR:$SC_PORT --duration $((SC_SECONDS + 20)) ;;
	iperf3)
		command -v iperf3 >/dev/null || { nt_log "healthy-bulk: iperf3 not installed"; return 1; }
		nt_bg srv server iperf3 -s -1 -B $SC_SRV_ADDR -p $SC_PORT ;;
	python)
		nt_python || return 1
		sc_write_python
		nt_bg srv server "$NT_PYTHON" "$NT_TMP/recv.py" $SC_SRV_ADDR $SC_PORT ;;
	esac
	nt_wait_listen srv $SC_PORT || return 1
	nt_snapshot srv
	nt_snapshot cli
}

scenario_traffic() {
	nt_log "healthy-bulk: $SC_TOOL upload for ${SC_SECONDS}s, nothing wrong"
	case $SC_TOOL in
	nt-traffic)
		nt_bg cli sender "$NT_TRAFFIC" client --connect $SC_SRV_ADDR:$SC_PORT --bulk 0 --rate 50M \
			--duration "$SC_SECONDS" ;;
	iperf3)
		nt_bg cli sender iperf3 -c $SC_SRV_ADDR -p $SC_PORT -P 4 -t "$SC_SECONDS" ${SC_IPERF_RATE:+-b $SC_IPERF_RATE} -J ;;
	python)
		nt_bg cli sender "$NT_PYTHON" "$NT_TMP/send.py" $SC_SRV_ADDR $SC_PORT "$SC_SECONDS" ;;
	esac
	sleep 1 # ip netns exec has exec'd the sender by now
	SC_SENDER_COMM=$(cat "/proc/$NT_PID_sender/comm" 2>/dev/null)
	nt_wait sender $((SC_SECONDS + 15))
	if [[ $SC_TOOL == nt-traffic ]]; then
		sleep 0.5      # let it read what is still in flight
		nt_stop server # a server for --duration: it prints its totals at SIGTERM
	else
		nt_wait server 10 # iperf3 -s -1 and recv.py exit after their one transfer
	fi
	case $SC_TOOL in
	iperf3)
		SC_SENT=$(sc_json_bytes sum_sent <"$NT_TMP/sender.out")
		SC_RCVD=$(sc_json_bytes sum_received <"$NT_TMP/sender.out") ;;
	*)
		SC_SENT=$(nt_field "$(nt_out sender)" bytes_sent)
		SC_RCVD=$(nt_field "$(nt_out server | tail -1)" bytes_rcvd) ;;
	esac
	nt_log "healthy-bulk: $SC_TOOL sent ${SC_SENT:-?} bytes, the receiver read ${SC_RCVD:-?}"
}

# sc_json_bytes KEY < iperf3 -J output: end.KEY.bytes.
sc_json_bytes() {
	nt_python || return 1
	"$NT_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["end"][sys.argv[1]]["bytes"])' "$1" 2>/dev/null
}

scenario_oracle() {
	echo "tool=$SC_TOOL"
	# shellcheck disable=SC2086 # a word list
	nt_delta cli $SC_COUNTERS
	# shellcheck disable=SC2086
	nt_delta srv $SC_COUNTERS
	echo "client.bytes_sent=${SC_SENT:-0}"
	echo "server.bytes_rcvd=${SC_RCVD:-0}"
	echo "pid.sender=${NT_PID_sender:-0}"
	echo "sender.comm=${SC_SENDER_COMM:-}"
	echo "pid.server=${NT_PID_server:-0}"
	echo "addr.sender=$SC_CLI_ADDR"
	echo "addr.server=$SC_SRV_ADDR:$SC_PORT"
}

scenario_teardown() { nt_cleanup; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then nt_main "$@"; fi
