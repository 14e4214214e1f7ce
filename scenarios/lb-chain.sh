#!/bin/bash
# lb-chain.sh: scenario: an API's responses take seconds because the load balancer in front of it has window scaling switched off (clients -> lb -> app; only the lb's namespace has tcp_window_scaling=0).
#
# Topology (routes, no default route):
#   cli 198.18.1.2 -- lb (198.18.1.1 | 198.18.2.1) -- rtr (198.18.2.254 | 198.18.0.254 | 198.18.3.254) -- app 198.18.0.1
#                                                      |
#                                                      +-- peer 198.18.3.2 (a backup job uploading to app)
# cli runs three python3 clients, each with one persistent connection to the
# lb's VIP 198.18.1.1:8080, asking for a 1 MB response every 300 ms. lb runs
# a python3 TCP proxy that opens one upstream connection to app
# 198.18.0.1:8081 per client connection (6 connections in all, 3 per leg).
# app answers with nt-traffic. Only lb has net.ipv4.tcp_window_scaling=0:
# neither of its legs can scale, so every window it advertises (to app for
# the responses, to cli ...) stays below 64 KiB, and the clients' and the
# app's connections are unscaled too although their own sysctls are 1.
# Phase "quiet" (3 s): an empty path; a 1 MB response takes milliseconds.
# Phase "busy" (8 s): peer uploads to app and keeps rtr's 10 Mbit/s queue
# toward app full (~250 ms): the lb's ACKs to app wait in it, and a 64 KiB
# window moves 1 MB in 16 round trips: seconds per request.
# Oracle: the three namespaces' sysctl values; ss -ti per namespace: the
# service connections with and without "wscale:" (lb 6 of 6 without, cli 3,
# app 3; peer's upload to app is scaled: the control); request latency quiet
# vs busy (from the clients' own per-request log); the proxy's pid, the lb's
# addresses and namespace name.
SC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$SC_HERE/lib.sh"

SC_LB_ADDR=198.18.1.1
SC_LB_UP_ADDR=198.18.2.1
SC_CLI_ADDR=198.18.1.2
SC_APP_ADDR=198.18.0.1
SC_PEER_ADDR=198.18.3.2
SC_PORT=${SC_PORT:-8080}
SC_APP_PORT=${SC_APP_PORT:-8081}
SC_UP_PORT=${SC_UP_PORT:-5010}
SC_CLIENTS=${SC_CLIENTS:-3}
SC_RESP=${SC_RESP:-1000000}
SC_LB_WSCALE=${SC_LB_WSCALE:-0}
SC_QUIET=3
SC_BUSY=8

sc_write_python() {
	cat >"$NT_TMP/proxy.py" <<'PY'
# The load balancer of lb-chain: a TCP proxy, one upstream connection per client connection.
import socket, sys, threading
lhost, lport, uhost, uport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])

def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass

ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((lhost, lport))
ls.listen(64)
print("listening", flush=True)
while True:
    c, _ = ls.accept()
    u = socket.create_connection((uhost, uport))
    for s in (c, u):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
PY
	cat >"$NT_TMP/client.py" <<'PY'
# A client of lb-chain: one persistent connection, a request (nt-traffic's
# protocol: u32 length, u32 response size) every INTERVAL s for SECONDS;
# prints "<realtime start> <latency ms>" per request.
import socket, struct, sys, time
host, port, secs, interval, resp = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
s = socket.create_connection((host, port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
req = struct.pack("!II", 100, resp) + b"\0" * 92
end = time.monotonic() + secs
while time.monotonic() < end:
    t0, m0 = time.time(), time.monotonic()
    s.sendall(req)
    left = resp
    while left > 0:
        d = s.recv(min(left, 262144))
        if not d:
            sys.exit("connection closed")
        left -= len(d)
    print("%.6f %.3f" % (t0, (time.monotonic() - m0) * 1000), flush=True)
    time.sleep(interval)
s.close()
PY
}

scenario_setup() {
	nt_init lb-chain || return $?
	nt_python || return 1
	nt_ns cli && nt_ns lb && nt_ns rtr && nt_ns app && nt_ns peer || return 1
	nt_link cli $SC_CLI_ADDR/24 lb $SC_LB_ADDR/24 || return 1
	nt_link lb $SC_LB_UP_ADDR/24 rtr 198.18.2.254/24 || return 1
	nt_link app $SC_APP_ADDR/24 rtr 198.18.0.254/24 || return 1
	nt_link peer $SC_PEER_ADDR/24 rtr 198.18.3.254/24 || return 1
	nt_router rtr || return 1
	nt_route lb 198.18.0.0/24 198.18.2.254 && nt_route peer 198.18.0.0/24 198.18.3.254 || return 1
	nt_route app 198.18.2.0/24 198.18.0.254 && nt_route app 198.18.3.0/24 198.18.0.254 || return 1
	nt_sysctl lb net.ipv4.tcp_window_scaling=$SC_LB_WSCALE || return 1
	nt_sysctl app net.ipv4.tcp_slow_start_after_idle=0 || return 1
	nt_tbf rtr eth-app 10mbit 16kb 300kb || return 1
	sc_write_python
	nt_bg app app "$NT_TRAFFIC" server --listen $SC_APP_ADDR:$SC_APP_PORT --respond "$SC_RESP" --duration 40
	nt_bg app upsrv "$NT_TRAFFIC" server --listen $SC_APP_ADDR:$SC_UP_PORT --duration 40
	nt_bg lb proxy "$NT_PYTHON" "$NT_TMP/proxy.py" $SC_LB_ADDR $SC_PORT $SC_APP_ADDR $SC_APP_PORT
	nt_wait_listen app $SC_APP_PORT && nt_wait_listen app $SC_UP_PORT && nt_wait_listen lb $SC_PORT || return 1
	nt_snapshot cli
	nt_snapshot lb
	nt_snapshot app
}

# sc_ss HOST FILTER: ss -ti of the established connections matching FILTER in
# HOST: how many, how many with "wscale:", and rwnd_limited.
sc_ss() {
	local out
	out=$(nt_exec "$1" ss -Hti state established "$2" 2>/dev/null)
	echo "ss.$1_conns=$(grep -c 'cubic\|reno\|bbr' <<<"$out")"
	echo "ss.$1_wscale_conns=$(grep -c 'wscale:' <<<"$out")"
	echo "ss.$1_unscaled_conns=$(grep 'cubic\|reno\|bbr' <<<"$out" | grep -vc 'wscale:')"
}

scenario_traffic() {
	local i
	nt_log "lb-chain: $SC_CLIENTS clients -> lb (tcp_window_scaling=$SC_LB_WSCALE) -> app; quiet ${SC_QUIET}s, then busy ${SC_BUSY}s"
	for ((i = 1; i <= SC_CLIENTS; i++)); do
		nt_bg cli client$i "$NT_PYTHON" "$NT_TMP/client.py" $SC_LB_ADDR $SC_PORT $((SC_QUIET + SC_BUSY)) 0.3 "$SC_RESP"
	done
	sleep "$SC_QUIET"
	SC_BUSY_START=$(date +%s.%N)
	nt_log "lb-chain: busy: peer uploads fill the queue toward app"
	nt_bg peer upload "$NT_TRAFFIC" client --connect $SC_APP_ADDR:$SC_UP_PORT --conns 4 --bulk 0 --duration $((SC_BUSY + 2))
	sleep 4
	{
		sc_ss lb "( sport = :$SC_PORT or dport = :$SC_APP_PORT )"
		sc_ss cli "( dport = :$SC_PORT )"
		sc_ss app "( sport = :$SC_APP_PORT )"
		sc_ss app "( sport = :$SC_UP_PORT )" | sed 's/ss\.app_/ss.app_peer_/'
		echo "ss.app_rtt_ms=$(nt_exec app ss -Hti state established "( sport = :$SC_APP_PORT )" |
			grep -o ' rtt:[0-9.]*' | cut -d: -f2 | sort -n | tail -1)"
		# The kernel's send-time accounting of the app's responses: the share
		# of their sending time the lb's (unscaled) window limited them.
		echo "ss.app_rwnd_limited_pct=$(nt_exec app ss -Hti state established "( sport = :$SC_APP_PORT )" |
			grep -o 'rwnd_limited:[0-9.]*ms([0-9.]*%' | sed 's/.*(//; s/%//' | sort -n | head -1)"
	} >"$NT_TMP/ss.txt"
	for ((i = 1; i <= SC_CLIENTS; i++)); do nt_wait client$i $((SC_BUSY + 15)); done
	nt_wait upload 10
}

# sc_latency FROM TO: "n p50 max" of the clients' requests started in [FROM, TO).
sc_latency() {
	cat "$NT_TMP"/client*.out 2>/dev/null | awk -v a="$1" -v b="$2" '$1 >= a && $1 < b { print $2 }' |
		sort -n | awk '{ v[NR] = $1 } END {
			if (!NR) { print "0 0 0"; exit }
			printf "%d %.3f %.3f\n", NR, v[int((NR + 1) / 2)], v[NR] }'
}

scenario_oracle() {
	local h q b
	for h in cli lb app; do
		echo "$h.net.ipv4.tcp_window_scaling=$(nt_exec $h sysctl -n net.ipv4.tcp_window_scaling)"
	done
	cat "$NT_TMP/ss.txt"
	read -r -a q <<<"$(sc_latency 0 "$SC_BUSY_START")"
	# The queue needs a second to fill: "busy" counts from then on.
	read -r -a b <<<"$(sc_latency "$(awk -v t="$SC_BUSY_START" 'BEGIN { printf "%.6f", t + 1 }')" 9999999999)"
	echo "quiet.requests=${q[0]}"
	echo "quiet.p50_ms=${q[1]}"
	echo "quiet.max_ms=${q[2]}"
	echo "busy.requests=${b[0]}"
	echo "busy.p50_ms=${b[1]}"
	echo "busy.max_ms=${b[2]}"
	echo "busy.start=${SC_BUSY_START:-0}"
	echo "lb.netns=${NT_PREFIX}lb"
	echo "lb.addr=$SC_LB_ADDR"
	echo "lb.upstream_addr=$SC_LB_UP_ADDR"
	echo "lb.vip=$SC_LB_ADDR:$SC_PORT"
	echo "cli.addr=$SC_CLI_ADDR"
	echo "app.addr=$SC_APP_ADDR:$SC_APP_PORT"
	echo "pid.proxy=${NT_PID_proxy:-0}"
	echo "pid.app=${NT_PID_app:-0}"
	echo "pid.upload=${NT_PID_upload:-0}"
	echo "pid.clients=$(for ((i = 1; i <= SC_CLIENTS; i++)); do v=NT_PID_client$i; printf '%s,' "${!v}"; done | sed 's/,$//')"
	nt_delta lb TcpRetransSegs
	nt_delta app TcpRetransSegs
}

scenario_teardown() { nt_cleanup; }

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then nt_main "$@"; fi
