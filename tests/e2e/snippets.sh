#!/bin/bash
# snippets.sh: e2e: a zero-window trigger writes packet snippets of exactly the affected connection within [T-pre, T+post]; checked against a concurrent dumpcap capture read by tshark.
#
# Two connections from cli to srv at the same time: the zero-window one (the
# scenario's slow reader on SC_PORT) and a healthy bulk one (a normal reader
# on SC_PORT2). The recorder captures every TCP packet of srv's namespace into
# its pre-trigger ring (--pcap tcp) and only the zero_window trigger is on.
# Oracles: dumpcap in srv's namespace records everything concurrently; tshark
# reads that capture and nettape's export. Checks:
#   - at least one zero_window pin, for the slow connection only;
#   - every exported snippet packet belongs to the slow connection (none of the
#     healthy one, although the capture shows it was busy at the same time);
#   - every snippet packet lies within [T-pre, T+post] of a fire (+-2 ms for
#     the clock conversion, see docs/FORMAT.md "packet timestamps");
#   - the snippets are complete: the capture's packets of the slow connection in
#     those windows (minus 5 ms margins at the edges) are all in the snippets,
#     matched by seq/ack/window/flags;
#   - tshark's expert analysis of the export flags zero windows, as many as
#     in the capture for the same packets, and our recorder's rcv_zero_start
#     edges lie in the same windows;
#   - no PACKET_SOCK_ERROR drop shows up in the tape.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib_e2e.sh"
e2e_require
command -v tshark >/dev/null || e2e_skip "no tshark (scripts/install-deps.sh installs it)"
command -v dumpcap >/dev/null || e2e_skip "no dumpcap (scripts/install-deps.sh installs it)"
export NT_PREFIX=nte2e-snip-
export SC_SECONDS=8
source "$NT_SCENARIOS/zero-window.sh"
SC_PORT2=5002
PRE_S=2 POST_S=2
scenario_setup || exit $?
nt_bg srv healthy "$NT_TRAFFIC" server --listen $SC_SRV_ADDR:$SC_PORT2 --duration 40
nt_wait_listen srv $SC_PORT2 || exit 1
# The concurrent capture: everything TCP in srv's namespace.
nt_bg srv dumpcap dumpcap -q -i any -f tcp -s 128 -w "$NT_TMP/all.pcapng"
for ((i = 0; i < 50; i++)); do [[ -s $NT_TMP/all.pcapng ]] && break; sleep 0.1; done
# Events of the test's own namespaces only: another process's loopback
# traffic on the machine must not fire the trigger.
e2e_start_recorder "$NT_TMP/tape" --netns "${NT_PREFIX}srv" --netns "${NT_PREFIX}cli" \
	--triggers zero_window --trigger-cooldown 600s \
	--pcap tcp --pcap-netns "${NT_PREFIX}srv" --pcap-pre ${PRE_S}s --pcap-post ${POST_S}s
# Healthy traffic (2 MB/s: a reader that keeps up) before, during
# and after the zero-window episode.
nt_bg cli healthycli "$NT_TRAFFIC" client --connect $SC_SRV_ADDR:$SC_PORT2 --bulk 0 \
	--rate 2000000 --duration $((SC_SECONDS + 6))
sleep 2
scenario_traffic
sleep $((POST_S + 2))
nt_wait healthycli 30
e2e_stop_recorder || e2e_fail "recorder exit status $? (want 0)"
sleep 0.5
nt_stop dumpcap INT
cat "$E2E_REC_ERR" >&2

e2e_replay "$NT_TMP/tape" "$NT_TMP/r.json" --type all || e2e_finish
e2e_summary "$NT_TMP/r.json"
if ! "$NETTAPE" pcap "$NT_TMP/tape" -o "$NT_TMP/snip.pcapng" 2>"$NT_TMP/pcap.err"; then
	e2e_fail "nettape pcap failed: $(cat "$NT_TMP/pcap.err")"
	e2e_finish
fi
F='-T fields -E separator=, -e frame.time_epoch -e tcp.srcport -e tcp.dstport -e tcp.seq_raw -e tcp.ack_raw -e tcp.window_size_value -e tcp.flags -e tcp.analysis.zero_window -e tcp.window_size'
# shellcheck disable=SC2086
tshark -n -r "$NT_TMP/snip.pcapng" $F >"$NT_TMP/snip.csv" 2>"$NT_TMP/tshark.err" ||
	e2e_fail "tshark cannot read the exported snippets: $(cat "$NT_TMP/tshark.err")"
# shellcheck disable=SC2086
tshark -n -r "$NT_TMP/all.pcapng" $F >"$NT_TMP/all.csv" 2>>"$NT_TMP/tshark.err" ||
	e2e_fail "tshark cannot read the concurrent capture: $(cat "$NT_TMP/tshark.err")"

"$NETTAPE" import "$NT_TMP/tape" -o "$NT_TMP/t.db" >/dev/null 2>"$NT_TMP/import.err" ||
	e2e_fail "nettape import failed: $(cat "$NT_TMP/import.err")"
python3 - "$NT_TMP/r.json" "$NT_TMP/snip.csv" "$NT_TMP/all.csv" "$SC_PORT" "$SC_PORT2" \
	"$PRE_S" "$POST_S" "${NT_PREFIX}srv" "$NT_TMP/t.db" <<'PY'
import json, re, sqlite3, sys
rj, snip_csv, all_csv, port, port2, pre, post, srvns, dbpath = sys.argv[1:10]
port, port2 = int(port), int(port2)
pre_ns, post_ns = int(pre) * 10**9, int(post) * 10**9
rows = [json.loads(l) for l in open(rj)]
fails = 0
def check(ok, msg):
    global fails
    print(("ok   " if ok else "FAIL ") + msg)
    fails += 0 if ok else 1

def load(path):
    out = []
    for line in open(path):
        f = line.rstrip("\n").split(",")
        if len(f) < 7 or not f[1]:
            continue
        t = int(round(float(f[0]) * 1e9))
        out.append(dict(t=t, sport=int(f[1]), dport=int(f[2]), seq=f[3], ack=f[4],
                        win=f[5], flags=f[6], zw=(len(f) > 7 and f[7] != ""),
                        wsize=(f[8] if len(f) > 8 else "")))
    return out

pins = [r for r in rows if r["type"] == "pin"]
fires = [r for r in pins if r.get("trigger") == "zero_window"]
check(len(fires) >= 1, "zero_window trigger fired (%d pin record(s): %s)" %
      (len(fires), [p.get("description") for p in pins]))
check(all(re.search(r":%d\b" % port, r.get("description", "")) for r in fires),
      "every zero_window pin names the slow connection (port %d)" % port)
check(len(fires) == len(pins), "no pins of other triggers (%d of %d)" % (len(fires), len(pins)))
if not fires:
    sys.exit(1)
wins = [(r["time_ns"] - pre_ns, r["time_ns"] + post_ns) for r in fires]
snip = load(snip_csv)
allp = load(all_csv)
slow_cport = {p["sport"] if p["dport"] == port else p["dport"] for p in allp
              if port in (p["sport"], p["dport"])}
check(len(slow_cport) == 1, "the capture shows one slow connection (client ports %s)" % sorted(slow_cport))
def is_slow(p):
    return port in (p["sport"], p["dport"]) and (p["sport"] in slow_cport or p["dport"] in slow_cport)
def in_win(t, margin):
    return any(a - margin <= t <= b + margin for a, b in wins)
healthy_in_win = [p for p in allp if port2 in (p["sport"], p["dport"]) and in_win(p["t"], 0)]
check(len(healthy_in_win) > 200,
      "oracle: the healthy connection was busy in the windows (%d packets captured)" % len(healthy_in_win))
check(len(snip) > 0, "snippets written (%d packets)" % len(snip))
other = [p for p in snip if not is_slow(p)]
check(not other, "every snippet packet belongs to the slow connection (%d do not)" % len(other))
outside = [p for p in snip if not in_win(p["t"], 2 * 10**6)]
check(not outside, "every snippet packet is within [T-%ss, T+%ss] +-2 ms (%d are not)" % (pre, post, len(outside)))
key = lambda p: (p["sport"], p["dport"], p["seq"], p["ack"], p["win"], p["flags"])
snipkeys = {}
for p in snip:
    snipkeys[key(p)] = snipkeys.get(key(p), 0) + 1
# The capture's packets of the slow connection well inside the windows.
inner = [p for p in allp if is_slow(p) and
         any(a + 5 * 10**6 <= p["t"] <= b - 5 * 10**6 for a, b in wins)]
missing = 0
for p in inner:
    k = key(p)
    if snipkeys.get(k, 0) > 0:
        snipkeys[k] -= 1
    else:
        missing += 1
check(len(inner) > 0 and missing == 0,
      "snippets complete: all %d captured packets of the slow connection inside the windows are in them (%d missing)"
      % (len(inner), missing))
zw_snip = sum(1 for p in snip if p["zw"])
zw_all = sum(1 for p in allp if p["zw"] and is_slow(p) and in_win(p["t"], 0))
check(zw_snip >= 1 and abs(zw_snip - zw_all) <= 1,
      "tshark zero_window in the export (%d) = in the capture within the windows (%d) +-1" % (zw_snip, zw_all))
edges = [r for r in rows if r["type"] == "sample" and r.get("kind") == "rcv_zero_start"
         and r.get("netns_name") == srvns and r.get("sport") == port and in_win(r["time_ns"], 0)]
check(len(edges) >= 1, "recorder rcv_zero_start edges inside the windows (%d)" % len(edges))
# The packets table: windows scaled with the negotiated shifts; tshark computed
# them from the handshake it saw in the full capture.
db = sqlite3.connect(dbpath)
dbp = db.execute("SELECT seq, ack, win_raw, tcp_flags, window FROM packets").fetchall()
scaled = {}
for p in allp:
    if is_slow(p) and p["wsize"]:
        scaled[(int(p["seq"]), int(p["ack"]), int(p["win"]))] = int(p["wsize"])
cmp = [(w, scaled.get((sq, ak, wr))) for sq, ak, wr, fl, w in dbp if (sq, ak, wr) in scaled]
bad = [c for c in cmp if c[0] != c[1]]
nscaled = sum(1 for sq, ak, wr, fl, w in dbp if w is not None and w != wr)
check(len(dbp) == len(snip) and len(cmp) >= len(dbp) // 2 and not bad and nscaled > 0,
      "packets table: %d rows (%d with a scaled window); window = tshark's tcp.window_size for %d of them (%d differ: %s)"
      % (len(dbp), nscaled, len(cmp), len(bad), bad[:3]))
pse = [r for r in rows if r["type"] == "drop" and r.get("reason") == "PACKET_SOCK_ERROR"]
check(not pse, "no PACKET_SOCK_ERROR drops in the tape (%d)" % len(pse))
sys.exit(1 if fails else 0)
PY
(($? == 0)) || E2E_FAILS=$((E2E_FAILS + 1))
grep -q 'snippets: ' "$E2E_REC_ERR" && grep 'snippets: ' "$E2E_REC_ERR" | sed 's/^/     /'
e2e_finish
