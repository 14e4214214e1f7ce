#!/bin/bash
# multihost.sh: e2e: two recorders, each in its own UTS namespace (host name) and filtered to its own network namespace; one tape retimed by +2.5 s and by -700 ms; the import must pair the connections, recover the offset within its bound (< 2 ms) and report the server host's NETFILTER_DROP as the cause of the client host's retransmits in one incident.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib_e2e.sh"
e2e_require
command -v nft >/dev/null || e2e_skip "no nft"
command -v unshare >/dev/null || e2e_skip "no unshare (util-linux)"
unshare --uts true 2>/dev/null || e2e_skip "unshare --uts not permitted"
export NT_PREFIX=nte2e-mh-
source "$NT_SCENARIOS/lib.sh"

SRV=198.18.0.1 CLI=198.18.0.2 PORT=5013 PORT2=5014 PORT3=5015
NLONG=4
NSHORT=${NSHORT:-40}
H_SRV=nt-mh-srv H_CLI=nt-mh-cli
nt_init multihost || exit $?
nt_ns srv && nt_ns cli || exit 1
nt_link srv $SRV/24 cli $CLI/24 || exit 1
nt_exec srv nft -f - <<NFT || exit 1
table inet ntmh {
	counter lossdrops { }
	chain input {
		type filter hook input priority 0; policy accept;
		tcp dport $PORT ip length > 200 numgen inc mod 40 0 counter name lossdrops drop
	}
}
NFT
nt_bg srv bulksrv "$NT_TRAFFIC" server --listen $SRV:$PORT --duration 30
nt_bg srv shortsrv "$NT_TRAFFIC" server --listen $SRV:$PORT2 --duration 30
nt_bg srv longsrv "$NT_TRAFFIC" server --listen $SRV:$PORT3 --respond 1000 --duration 40
nt_wait_listen srv $PORT && nt_wait_listen srv $PORT2 && nt_wait_listen srv $PORT3 || exit 1

# start_rec NAME HOSTNAME NETNS: a recorder in its own UTS namespace (unshare
# execs: the PID we keep is the recorder's), filtered to one network namespace.
start_rec() {
	local name=$1 host=$2 ns=$3 i
	unshare --uts sh -c 'hostname "$1" && shift && exec "$@"' sh "$host" \
		"$NETTAPE_RECORD" -o "$NT_TMP/$name" --netns "$ns" >"$NT_TMP/$name.out" 2>"$NT_TMP/$name.err" &
	local pid=$!
	NT_PIDS+=("$pid")
	printf -v "REC_${name}" '%s' "$pid"
	for ((i = 0; i < 300; i++)); do
		grep -q 'recording to' "$NT_TMP/$name.err" 2>/dev/null && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "FAIL recorder $name exited at start:" >&2
			cat "$NT_TMP/$name.err" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "FAIL recorder $name did not start within 30 s" >&2
	exit 1
}

stop_rec() {
	local pid=$1 i
	kill -INT "$pid" 2>/dev/null
	for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	wait "$pid"
}

# A host that shares no connection with the client: recorded (and stopped) before any traffic.
start_rec lonelytape nt-mh-lonely ${NT_PREFIX}srv
sleep 0.3
stop_rec "$REC_lonelytape" || e2e_fail "lonely recorder exit status $? (want 0)"
# Long-lived request/response connections, opened before the recorders start and still open
# when they stop: no handshake, FIN or reset of theirs is recorded, only data and ACKs.
nt_bg cli longcli "$NT_TRAFFIC" client --connect $SRV:$PORT3 --conns $NLONG --requests 100000 --req-bytes 64 --resp-bytes 1000 --interval-ms 20 --duration 40
sleep 0.5
start_rec srvtape $H_SRV ${NT_PREFIX}srv
start_rec clitape $H_CLI ${NT_PREFIX}cli
# oracle of the initial sequence numbers: the SYNs and SYN-ACKs as tcpdump sees them
HAVE_TCPDUMP=0
if command -v tcpdump >/dev/null; then
	nt_bg cli syncap tcpdump -i any -n -U -s 96 -w "$NT_TMP/syn.pcap" "tcp[tcpflags] & tcp-syn != 0"
	HAVE_TCPDUMP=1
fi
sleep 0.5
nt_snapshot cli
nt_log "multihost: $NSHORT short connections, then a 3 s bulk upload with 1 in 40 data packets dropped by nft on the server"
nt_exec cli "$NT_TRAFFIC" client --connect $SRV:$PORT2 --conns "$NSHORT" --bulk 2000 --duration 10 >"$NT_TMP/short.out"
nt_exec cli "$NT_TRAFFIC" client --connect $SRV:$PORT --bulk 0 --rate 10M --duration 3 >"$NT_TMP/bulk.out"
cat "$NT_TMP/short.out" "$NT_TMP/bulk.out" >&2
sleep 1.5
((HAVE_TCPDUMP)) && nt_stop syncap INT
stop_rec "$REC_srvtape" || e2e_fail "server recorder exit status $? (want 0)"
stop_rec "$REC_clitape" || e2e_fail "client recorder exit status $? (want 0)"
nt_stop longcli INT
nft=$(nt_nft_counter srv inet ntmh lossdrops)
e2e_check "oracle: nft dropped packets ($nft)" test "${nft:-0}" -ge 5

T=$NT_TMP
host_of() { "$NETTAPE" info "$1" | awk '$1 == "host" { print $2; exit }'; }
e2e_check "each recorder's tape carries its UTS host name ($H_SRV, $H_CLI)" \
	test "$(host_of "$T/srvtape")/$(host_of "$T/clitape")" = "$H_SRV/$H_CLI"

# q DB SQL: one value.
q() { "$NETTAPE" query "$1" "$2" --format csv | sed -n 2p | tr -d '"\r'; }

# The recorder's initial sequence numbers against the captured SYNs (client port -> the
# client's SYN seq and the server's SYN-ACK seq), both ends' records.
if ((HAVE_TCPDUMP)); then
	"$NETTAPE" import "$T/clitape" "$T/srvtape" -o "$T/isn.db" -q 2>/dev/null
	tcpdump -r "$T/syn.pcap" -n -S 2>/dev/null >"$T/syn.txt"
	"$NETTAPE" query "$T/isn.db" "SELECT h.hostname, c.lport, c.rport, c.isn_local, c.isn_peer FROM connections c
		JOIN hosts h USING (host_id) WHERE c.listener = 0 AND c.cookie <> 0 AND (c.lport IN ($PORT, $PORT2) OR
		c.rport IN ($PORT, $PORT2))" --format csv | tr -d '"\r' >"$T/isn.csv"
	isnv=$(python3 - "$T/syn.txt" "$T/isn.csv" "$H_SRV" "$H_CLI" "$CLI" <<'PY'
import re, sys
syn, ack = {}, {}
for l in open(sys.argv[1]):
    m = re.search(r"IP (\S+)\.(\d+) > (\S+)\.(\d+): Flags \[(S\.?)\], seq (\d+)", l)
    if not m:
        continue
    if m.group(5) == "S" and m.group(1) == sys.argv[5]:
        syn[int(m.group(2))] = int(m.group(6))      # the client's SYN, by client port
    elif m.group(5) == "S." and m.group(3) == sys.argv[5]:
        ack[int(m.group(4))] = int(m.group(6))      # the server's SYN-ACK, by client port
rows = [l.strip().split(",") for l in open(sys.argv[2])][1:]
good = bad = 0
for host, lport, rport, il, ip in rows:
    cport = int(lport) if host == sys.argv[4] else int(rport)
    if cport not in syn or cport not in ack or not il:
        bad += 1
        continue
    want = (syn[cport], ack[cport]) if host == sys.argv[4] else (ack[cport], syn[cport])
    if (int(il), int(ip)) == want:
        good += 1
    else:
        bad += 1
print("%d/%d/%d" % (good, bad, len(syn)))
PY
)
	nok=${isnv%%/*}; rest=${isnv#*/}; nbad=${rest%%/*}
	echo "MEASURE isn: $nok connection ends whose recorded ISNs equal the captured SYN / SYN-ACK, $nbad differ or missing (SYNs captured: ${isnv##*/})" >&2
	e2e_check "recorded initial sequence numbers = captured SYN/SYN-ACK seqs on both hosts ($nok ends, $nbad wrong or missing)" \
		test "${nok:-0}" -ge $((2 * (NSHORT + 1))) -a "${nbad:-1}" -eq 0
fi

for off in +2.5s -700ms; do
	case $off in +2.5s) want=-2500000000 ;; -700ms) want=700000000 ;; esac
	rm -rf "$T/skewed"
	"$NETTAPE" retime "$T/srvtape" --offset "$off" -o "$T/skewed" 2>"$T/retime.err" ||
		{ cat "$T/retime.err" >&2; e2e_fail "nettape retime --offset $off"; continue; }
	e2e_check "retimed tape ($off) passes nettape verify" "$NETTAPE" verify -q "$T/skewed"
	db=$T/both$off.db
	"$NETTAPE" import "$T/clitape" "$T/skewed" -o "$db" 2>"$T/import.err" ||
		{ cat "$T/import.err" >&2; e2e_fail "import ($off)"; continue; }
	cat "$T/import.err" >&2
	got=$(q "$db" "SELECT clock_offset_ns FROM hosts WHERE hostname = '$H_SRV'")
	bound=$(q "$db" "SELECT clock_bound_ns FROM hosts WHERE hostname = '$H_SRV'")
	pairs=$(q "$db" "SELECT clock_pairs FROM hosts WHERE hostname = '$H_SRV'")
	src=$(q "$db" "SELECT clock_source FROM hosts WHERE hostname = '$H_SRV'")
	err=$((got - want)); err=${err#-}
	echo "MEASURE offset $off: applied ${want} ns correction, recovered ${got} ns, error ${err} ns, bound ${bound} ns, ${pairs} pairs" >&2
	e2e_check "retime $off: server clock estimated (source '$src')" test "$src" = estimated
	e2e_check "retime $off: recovered correction $got within its bound $bound of $want (error $err ns)" \
		test -n "$bound" -a "$err" -le "${bound:-0}"
	e2e_check "retime $off: bound $bound ns below 2 ms" test -n "$bound" -a "${bound:-9999999999}" -lt 2000000
	npairs=$(q "$db" "SELECT count(*) FROM conn_pairs")
	nisn=$(q "$db" "SELECT count(*) FROM conn_pairs WHERE method = 'isn'")
	dedges=$(grep -o '[0-9]* from data' "$T/import.err" | head -1)
	echo "MEASURE offset $off: $npairs pairs, $nisn by sequence numbers; edges: $(q "$db" "SELECT clock_edges FROM hosts WHERE hostname = '$H_SRV'") ($dedges)" >&2
	e2e_check "retime $off: the connections opened while recording paired by initial sequence numbers ($nisn of $npairs)" \
		test "$(q "$db" "SELECT count(*) FROM conn_pairs p JOIN connections a ON a.conn_id = p.conn_a WHERE p.method = 'isn' AND $PORT3 NOT IN (a.lport, a.rport)")" -ge $((NSHORT + 1)) -a \
		"$(q "$db" "SELECT count(*) FROM conn_pairs p JOIN connections a ON a.conn_id = p.conn_a WHERE p.method <> 'isn' AND $PORT3 NOT IN (a.lport, a.rport)")" -eq 0
	e2e_check "retime $off: the $NLONG long-lived connections (no handshake recorded) paired by their edges" test \
		"$(q "$db" "SELECT count(*) FROM conn_pairs p JOIN connections a ON a.conn_id = p.conn_a WHERE p.method = 'edges' AND $PORT3 IN (a.lport, a.rport)")" -eq $NLONG
	e2e_check "retime $off: every connection paired ($npairs pairs >= $NSHORT short + 1 bulk)" \
		test "$npairs" -ge $((NSHORT + 1))
	e2e_check "retime $off: the bulk connection's two ends are paired" test \
		"$(q "$db" "SELECT count(*) FROM connections a JOIN connections b ON b.conn_id = a.peer_conn_id WHERE a.rport = $PORT AND b.lport = $PORT")" -eq 1
	# the same alignment from handshakes and the other events alone: what the data edges add
	cp "$db" "$T/nodata.db"
	NETTAPE_CLOCK_DATA_EDGES=0 "$NETTAPE" import "$T/clitape" -o "$T/nodata.db" -q
	got0=$(q "$T/nodata.db" "SELECT clock_offset_ns FROM hosts WHERE hostname = '$H_SRV'")
	bound0=$(q "$T/nodata.db" "SELECT clock_bound_ns FROM hosts WHERE hostname = '$H_SRV'")
	err0=$((got0 - want)); err0=${err0#-}
	echo "MEASURE offset $off without data edges: error ${err0} ns, bound ${bound0} ns; with them: error ${err} ns, bound ${bound} ns" >&2
	e2e_check "retime $off: data edges do not widen the bound ($bound <= $bound0)" test "$bound" -le "$bound0"
	# Only the long-lived connections shared: the data and ACK edges alone align the clocks
	# (without them the host stays unaligned: nothing bounds the offset from both sides).
	cp "$db" "$T/long.db"
	sqlite3 "$T/long.db" "DELETE FROM connections WHERE listener = 0 AND cookie <> 0 AND $PORT3 NOT IN (lport, rport)" 2>/dev/null ||
		python3 -c "import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute('DELETE FROM connections WHERE listener = 0 AND cookie <> 0 AND ? NOT IN (lport, rport)', ($PORT3,)); d.commit()" "$T/long.db"
	cp "$T/long.db" "$T/long0.db"
	"$NETTAPE" import "$T/clitape" -o "$T/long.db" -q
	NETTAPE_CLOCK_DATA_EDGES=0 "$NETTAPE" import "$T/clitape" -o "$T/long0.db" -q
	gotl=$(q "$T/long.db" "SELECT clock_offset_ns FROM hosts WHERE hostname = '$H_SRV'")
	boundl=$(q "$T/long.db" "SELECT clock_bound_ns FROM hosts WHERE hostname = '$H_SRV'")
	edl=$(q "$T/long.db" "SELECT clock_edges FROM hosts WHERE hostname = '$H_SRV'")
	errl=$((gotl - want)); errl=${errl#-}
	echo "MEASURE offset $off, only the $NLONG long-lived connections: with data edges error ${errl} ns, bound ${boundl} ns, ${edl} edges; without: $(q "$T/long0.db" "SELECT clock_source FROM hosts WHERE hostname = '$H_SRV'")" >&2
	e2e_check "retime $off: long-lived connections only: aligned by data edges, error $errl within bound $boundl" \
		test -n "$boundl" -a "$errl" -le "${boundl:-0}"
	e2e_check "retime $off: long-lived connections only, no data edges: unaligned" \
		test "$(q "$T/long0.db" "SELECT clock_source FROM hosts WHERE hostname = '$H_SRV'")" = unaligned
	"$NETTAPE" report "$db" --format json >"$T/r.json" 2>"$T/report.err" || { cat "$T/report.err" >&2; e2e_fail "report ($off)"; continue; }
	"$NETTAPE" report "$db" >"$T/r.txt" 2>/dev/null
	grep -A3 '^Clocks' "$T/r.txt" >&2
	e2e_check "retime $off: the text report header names the alignment" grep -q "^Clocks: .*$H_CLI: reference" "$T/r.txt"
	verdict=$(python3 - "$T/r.json" "$H_SRV" "$H_CLI" "$nft" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); srv, cli, nft = sys.argv[2], sys.argv[3], int(sys.argv[4])
hits = []
for inc in r["incidents"]:
    hosts = {c["conn_id"]: c["host"] for c in inc["connections"]}
    # each piece of evidence names its host (and agrees with its connection's)
    if any(e.get("host") != hosts.get(e["conn_id"], e.get("host")) for e in inc["evidence"]):
        print("evidence host differs from its connection's"); sys.exit()
    drops = [e for e in inc["evidence"] if e["kind"] == "drops" and "NETFILTER_DROP" in e["summary"]
             and e.get("host") == srv]
    rtx = [e for e in inc["evidence"] if e["kind"] in ("fast_retransmits", "rto") and e.get("host") == cli]
    if drops and rtx:
        hits.append((inc, sum(e["count"] for e in drops)))
if len(hits) != 1:
    print("incidents with the server's NETFILTER_DROP and the client's retransmits: %d (want 1)" % len(hits)); sys.exit()
inc, n = hits[0]
if "netfilter rule on %s dropped" % srv not in inc["cause"] or "sender on %s had to retransmit" % cli not in inc["cause"]:
    print("cause does not name the server's netfilter and the client's retransmits: " + inc["cause"]); sys.exit()
if n != nft:
    print("NETFILTER_DROP count %d != nft counter %d" % (n, nft)); sys.exit()
print("ok")
PY
)
	e2e_check "retime $off: one incident names $H_SRV's NETFILTER_DROP ($nft = nft counter) as the cause of $H_CLI's retransmits ($verdict)" \
		test "$verdict" = ok
done

# No shared connection: the client's tape with a host recorded before any of its connections.
"$NETTAPE" import "$T/clitape" "$T/lonelytape" -o "$T/un.db" 2>"$T/un.err"
cat "$T/un.err" >&2
e2e_check "no shared connection: import says unaligned" grep -q unaligned "$T/un.err"
e2e_check "no shared connection: both hosts unaligned, no offset guessed" test \
	"$(q "$T/un.db" "SELECT count(*) FROM hosts WHERE clock_source = 'unaligned' AND clock_offset_ns = 0 AND clock_bound_ns IS NULL")" -eq 2
e2e_check "no shared connection: nothing paired" test "$(q "$T/un.db" "SELECT count(*) FROM conn_pairs")" -eq 0
"$NETTAPE" report "$T/un.db" >"$T/un.txt" 2>/dev/null
e2e_check "no shared connection: the report header says unaligned" grep -q "unaligned" "$T/un.txt"
e2e_finish
