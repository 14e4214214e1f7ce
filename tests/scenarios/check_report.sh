#!/bin/bash
# check_report.sh: records one incident scenario with nettape-record, imports it and asserts that the JSON report names the right cause, connection and process (issue 6).
#
# Usage: check_report.sh SCENARIO   (window-scaling, listen-overflow, firewall-loss,
#                                    queue-jitter, healthy-bulk)
# Environment (tests/scenarios.cmake): NETTAPE, NETTAPE_RECORD, NT_TRAFFIC, NT_SCENARIOS.
# Exit: 0 pass, 1 fail, 77 skip (not root, no BTF: the recorder cannot run).
# The scenario script is sourced (its setup/traffic/oracle functions), so the
# test knows the PIDs of the servers it started (NT_PID_server) and compares
# them with the process the report names. NT_KEEP_TMP=1 keeps the work dir.
set -uo pipefail

SC=${1:?usage: check_report.sh SCENARIO}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../e2e/lib_e2e.sh"
e2e_require
case $SC in
window-scaling) short=ws ;;
listen-overflow) short=lo ;;
firewall-loss) short=fw ;;
queue-jitter) short=qj ;;
healthy-bulk) short=hb ;;
*) echo "check_report.sh: unknown scenario '$SC'" >&2; exit 2 ;;
esac
# healthy-bulk asserts "no incident" only for a run the kernel's own counters
# call healthy: when they show retransmits (the loaded 2-core CI machine lost
# packets by itself, seen once: TcpRetransSegs 45 in 4 s), the run proves
# nothing either way and is repeated, at most 3 times (the check exits 3).
if [[ $SC == healthy-bulk && -z ${NT_HB_TRY:-} ]]; then
	for try in 1 2 3; do
		NT_HB_TRY=$try bash "${BASH_SOURCE[0]}" "$@"
		rc=$?
		((rc == 3)) || exit $rc
		echo "healthy-bulk: run $try was not healthy by the kernel's counters (retransmits, zero windows or overflows): again" >&2
	done
	echo "FAIL healthy-bulk: 3 runs in a row were not healthy by the kernel's own counters"
	exit 1
fi
export NT_PREFIX=ntsct-$short-
source "$NT_SCENARIOS/$SC.sh"

W=$(mktemp -d "/tmp/ntsct-$short-XXXXXX")
scenario_setup || { rc=$?; rm -rf "$W"; [[ $rc -eq 77 ]] && exit 77; echo "FAIL scenario setup" >&2; exit 1; }
# nt_init installed nt_cleanup as the trap; add our work dir.
trap 'nt_cleanup; [[ -n ${NT_KEEP_TMP:-} ]] || rm -rf "$W"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

e2e_start_recorder "$W/tape" --flush-interval 250ms --status-interval 5s
scenario_traffic || e2e_log "the scenario's traffic reported a failure"
sleep 0.5
e2e_stop_recorder INT || e2e_fail "recorder exit status $?"
scenario_oracle >"$W/oracle.txt"
# The servers the scenario started (ip netns exec execs them: same PID).
{
	echo "pid.server=${NT_PID_server:-0}"
	echo "pid.upsrv=${NT_PID_upsrv:-0}"
	echo "pid.bulksrv=${NT_PID_bulksrv:-0}"
} >>"$W/oracle.txt"
scenario_teardown # nt_cleanup also drops the traps: our work dir needs its own again
trap '[[ -n ${NT_KEEP_TMP:-} ]] || rm -rf "$W"' EXIT
sed 's/^/oracle: /' "$W/oracle.txt" >&2

"$NETTAPE" import "$W/tape" -o "$W/db" >"$W/import.out" 2>&1 || { cat "$W/import.out"; echo "FAIL import"; exit 1; }
"$NETTAPE" report "$W/db" >"$W/report.txt" 2>&1 || { cat "$W/report.txt"; echo "FAIL report"; exit 1; }
"$NETTAPE" report "$W/db" --format json >"$W/report.json" 2>"$W/report.err" ||
	{ cat "$W/report.err"; echo "FAIL report --format json"; exit 1; }
sed -n '1,/^#2 /p' "$W/report.txt" | head -40 >&2

python3 - "$SC" "$W/report.json" "$W/oracle.txt" <<'PY'
import json, sys

sc, rep, ora = sys.argv[1:4]
r = json.load(open(rep))
o = {}
for line in open(ora):
    if "=" in line:
        k, v = line.strip().split("=", 1)
        o[k] = v
fails = 0

def check(desc, cond):
    global fails
    print(("ok   " if cond else "FAIL ") + desc)
    if not cond:
        fails += 1
    return cond

def num(k, d=0.0):
    try:
        return float(o.get(k, d))
    except ValueError:
        return d

inc = r["incidents"]
if sc == "healthy-bulk":
    if not check("healthy: oracle saw no retransmit/zero window/overflow",
                 num("cli.TcpRetransSegs") == 0 and num("srv.TcpExtTCPToZeroWindowAdv") == 0
                 and num("srv.TcpExtListenOverflows") == 0):
        sys.exit(3)   # not a healthy run: check_report.sh runs it again
    check("healthy: no incident (got %s)" % [i["title"] for i in inc], inc == [])
    check("healthy: traffic flowed (client.bytes_sent=%s)" % o.get("client.bytes_sent"),
          num("client.bytes_sent") > 0)
    sys.exit(1 if fails else 0)

if not check("at least one incident", len(inc) > 0):
    sys.exit(1)
top = inc[0]
print("top: #%d %s [%s] impact %.1f\n     cause: %s" % (top["id"], top["title"], top["kind"], top["impact"], top["cause"]))
pid = int(num("pid.server"))
proc = top.get("process") or {}
ev = top["evidence"]
conns = {c["conn_id"]: c for c in top["connections"]}

def ev_of(kind):
    return [e for e in ev if e["kind"] == kind]

def conn_has(cid, addr):
    c = conns.get(cid)
    return c is not None and (c["local"] == addr or c["remote"] == addr)

def check_process(desc):
    check("%s: process is the server nt-traffic[%d] (got %s[%s])" % (desc, pid, proc.get("comm"), proc.get("pid")),
          proc.get("pid") == pid and proc.get("comm") == "nt-traffic")

if sc == "window-scaling":
    svc = "198.18.0.1:5009"
    check("ws: top kind is rwnd_limited (got %s)" % top["kind"], top["kind"] == "rwnd_limited")
    check("ws: cause names missing window scaling", "window scaling was not negotiated" in top["cause"])
    check("ws: cause names the window limit", "window" in top["cause"] and "limited" in top["cause"])
    check("ws: cause names the queueing delay (RTT)", "RTT" in top["cause"] or "round-trip" in top["cause"])
    check_process("ws")
    rw = [e for e in ev_of("rwnd_limited") if conn_has(e["conn_id"], svc)]
    check("ws: rwnd_limited evidence on the server's connection %s" % svc, len(rw) >= 1)
    # Oracle: ss -ti on srv showed rwnd_limited, on cli no wscale.
    check("ws: oracle ss shows the server rwnd-limited (%s)" % o.get("ss.srv_rwnd_limited_conns"),
          num("ss.srv_rwnd_limited_conns") >= 1)
    if rw:
        e = rw[0]
        c = conns[e["conn_id"]]
        check("ws: the limited connection is owned by the server pid %d (got %s)" % (pid, c["pid"]), c["pid"] == pid)
        check("ws: limited share >= 50%% (got %.2f)" % e["value"], e["value"] >= 0.5)
        check("ws: connection without window scaling, as ss says (cli wscale conns=%s)" % o.get("ss.cli_wscale_conns"),
              c["window_scaling"] is not None and c["window_scaling"]["negotiated"] is False
              and num("ss.cli_wscale_conns", -1) == 0)
        rtt = c.get("rtt_ms") or {}
        ss_rtt = num("ss.srv_rtt_ms")
        check("ws: recorded RTT max %.1f ms >= half of ss's srv rtt %.1f ms" % (rtt.get("max", 0), ss_rtt),
              rtt.get("max", 0) >= 0.5 * ss_rtt)
    check("ws: oracle latency went from ms (quiet p50 %s) to seconds (busy p50 %s)" % (o.get("quiet.p50_ms"), o.get("busy.p50_ms")),
          num("quiet.p50_ms") < 50 and num("busy.p50_ms") >= 500)
    bogus = [i["title"] for i in inc if i["kind"] == "listen_overflow"]
    check("ws: no listen-overflow incident (nothing overflowed; got %s)" % bogus, not bogus)

elif sc == "listen-overflow":
    svc = "198.18.0.1:5002"
    check("lo: top kind is listen_overflow (got %s)" % top["kind"], top["kind"] == "listen_overflow")
    check("lo: title names %s" % svc, svc in top["title"])
    check_process("lo")
    lo = ev_of("listen_overflow")
    if check("lo: one listen_overflow evidence", len(lo) >= 1):
        e = lo[0]
        c = conns.get(e["conn_id"], {})
        check("lo: evidence on the listener %s (got %s)" % (svc, c.get("local")), c.get("listener") and c.get("local") == svc)
        check("lo: max backlog 4 (got %.0f)" % e["value"], e["value"] == 4)
        syn = num("cli.TcpExtTCPSynRetrans") + num("srv.TcpExtTCPSynRetrans")
        check("lo: SYN + SYN-ACK retransmits %d within 10%% of the kernel's %d" % (e["count2"], syn),
              syn > 0 and abs(e["count2"] - syn) <= 0.1 * syn)
        check("lo: overflow count %d > 0 and <= ListenDrops %d" % (e["count"], num("srv.TcpExtListenDrops")),
              0 < e["count"] <= num("srv.TcpExtListenDrops"))
    check("lo: the kernel counted overflows (TcpExtListenOverflows=%s)" % o.get("srv.TcpExtListenOverflows"),
          num("srv.TcpExtListenOverflows") > 0)
    rto = [i["title"] for i in inc if i["kind"] == "rto"]
    check("lo: handshake timeouts are not reported as RTO incidents (got %s)" % rto, not rto)

elif sc == "firewall-loss":
    svc = "198.18.0.1:5003"
    check("fw: top kind is drops (got %s)" % top["kind"], top["kind"] == "drops")
    check("fw: cause names a netfilter rule", "netfilter" in top["cause"])
    check_process("fw")
    nf = [e for e in ev_of("drops") if e["what"].startswith("NETFILTER_DROP")]
    n = sum(e["count"] for e in nf)
    check("fw: NETFILTER_DROP drops %d == nft counter %s" % (n, o.get("nft.lossdrops")), n == num("nft.lossdrops", -1) and n > 0)
    check("fw: drops on the server's connection %s" % svc, all(conn_has(e["conn_id"], svc) for e in nf) and nf)
    fr = ev_of("fast_retransmits")
    if check("fw: fast_retransmits evidence in the same incident", len(fr) >= 1):
        eps = sum(e["count2"] for e in fr)
        sack = num("cli.TcpExtTCPSackRecovery")
        check("fw: recovery episodes %d within 10%% of TcpExtTCPSackRecovery %d" % (eps, sack),
              sack > 0 and abs(eps - sack) <= 0.1 * sack + 1)
        rt = sum(e["count"] for e in fr)
        check("fw: retransmits %d > 0 and <= TcpRetransSegs %d" % (rt, num("cli.TcpRetransSegs")),
              0 < rt <= num("cli.TcpRetransSegs"))

elif sc == "queue-jitter":
    svc = "198.18.0.1:5007"
    check("qj: top kind is rtt_spike (got %s)" % top["kind"], top["kind"] == "rtt_spike")
    check("qj: cause names queueing delay", "queue" in top["cause"])
    check_process("qj")
    sp = [e for e in ev_of("rtt_spike") if conn_has(e["conn_id"], svc)]
    if check("qj: rtt_spike evidence on the request/response connection %s" % svc, len(sp) >= 1):
        e = max(sp, key=lambda e: e["value"])
        c = conns[e["conn_id"]]
        check("qj: the spiking connection is the server's (pid %d, got %s)" % (pid, c["pid"]), c["pid"] == pid)
        ss_max = num("ss.rtt_max_ms")
        check("qj: peak RTT %.0f ms within 0.5x..2x of ss's %.0f ms" % (e["value"], ss_max),
              0.5 * ss_max <= e["value"] <= 2 * ss_max)
        check("qj: baseline %.1f ms is tens of ms at most (client p50 %s ms)" % (e["baseline"], o.get("client.p50_ms")),
              e["baseline"] <= max(50.0, 2 * num("client.p50_ms")))
    check("qj: oracle: responses went from %s ms (p50) to %s ms (max)" % (o.get("client.p50_ms"), o.get("client.max_ms")),
          num("client.max_ms") >= 5 * num("client.p50_ms"))
    bogus = [i["title"] for i in inc if i["kind"] == "listen_overflow"]
    check("qj: no listen-overflow incident (nothing overflowed; got %s)" % bogus, not bogus)

sys.exit(1 if fails else 0)
PY
rc=$?
((rc == 3 && E2E_FAILS == 0)) && exit 3   # healthy-bulk: not a healthy run, try again
if ((rc)); then
	echo "--- report (text) ---"
	cat "$W/report.txt"
	E2E_FAILS=$((E2E_FAILS + 1))
fi
e2e_finish
