#!/bin/bash
# import_cli.sh: 'nettape import CAPTURE' on the committed synthetic capture: derived rows, the report, idempotency,
# link types, a truncated capture, mixing a tape and a capture, an old database, tshark when installed.
# Usage: import_cli.sh NETTAPE NT_GEN_PCAP NETTAPE_SYNTH SYNTHETIC.pcap WORKDIR
set -u
NETTAPE=$1 GEN=$2 SYNTH=$3 CAP=$4 WORK=$5
fail=0
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
cd "$WORK" || exit 1

q() { "$NETTAPE" query "$1" "$2" --format csv 2>&1 | tail -n +2 | tr -d '\r' | tr '\n' ' ' | sed 's/ $//'; }
expect() { # expect NAME GOT WANT
	if [ "$2" = "$3" ]; then echo "ok   $1: $2"; else echo "FAIL $1: got '$2', want '$3'"; fail=1; fi
}

# The committed file is what the generator writes.
"$GEN" gen.pcap en10mb || exit 1
cmp -s gen.pcap "$CAP" || { echo "FAIL synthetic.pcap differs from nt-gen-pcap output (regenerate and commit it)"; fail=1; }

# A copy under another name: detection is by magic, not by extension.
cp "$CAP" capture.dat
"$NETTAPE" import capture.dat -o a.db 2>import.err; rc=$?
expect "import exit" "$rc" 0
grep -q "84 TCP segments of 84 packets, 3 connections" import.err || { echo "FAIL summary line: $(cat import.err)"; fail=1; }
expect "connections" "$(q a.db "SELECT lport || '>' || rport || ':' || coalesce(wscale_ok, 'null') || ':' || tuple_known || ':' || retransmits || ':' || bytes_received || ':' || bytes_acked FROM connections ORDER BY conn_id")" \
	"5001>40000:0:1:2:18000:0 443>50000:1:1:0:0:16800 6000>40001:null:0:0:2000:0"
expect "window scale of conn 2" "$(q a.db "SELECT snd_wscale || '/' || rcv_wscale || '/' || mss FROM connections WHERE lport = 443")" "7/7/1440"
expect "scaled windows" "$(q a.db "SELECT DISTINCT window FROM packets WHERE conn_id = 2 AND dir = 2 AND tcp_flags & 2 = 0")" "64000"
expect "unknown scale: no window" "$(q a.db "SELECT count(*) FROM packets WHERE conn_id = 3 AND window IS NOT NULL")" "0"
expect "zero-window segments" "$(q a.db "SELECT count(*) FROM packets WHERE analysis & 2")" "3"
expect "zero-window episodes" "$(q a.db "SELECT side || ':' || duration_s FROM v_zero_window_episodes ORDER BY start_ts")" "rcv:1.5 rcv:1.2"
expect "retransmits" "$(q a.db "SELECT kind || ':' || trigger || ':' || seq FROM v_retransmits ORDER BY ts")" "data:fast:12001 data:rto:18001"
expect "rto" "$(q a.db "SELECT rto_us || ':' || backoff FROM retransmits WHERE ca_state = 4")" "400000:1"
expect "cong" "$(q a.db "SELECT group_concat(old_state || '>' || new_state, ' ') FROM (SELECT * FROM cong ORDER BY ts)")" "0>3 3>0 0>4 4>0"
expect "resets" "$(q a.db "SELECT kind || ':' || conn_id FROM resets")" "0:1"
expect "rtt conn 1" "$(q a.db "SELECT rtt_samples >= 10 AND rtt_min_us >= 100 AND rtt_max_us <= 300 FROM connections WHERE conn_id = 1")" "1"
expect "packets dirs" "$(q a.db "SELECT sum(dir = 2) || '/' || sum(dir = 1) FROM packets")" "42/42"
expect "chunk" "$(q a.db "SELECT kind || ':' || complete || ':' || (path LIKE '%capture.dat') FROM chunks")" "pcap:1:1"
expect "host" "$(q a.db "SELECT hostname || ':' || (boot_id LIKE 'pcap:%') FROM hosts")" "capture.dat:1"
"$NETTAPE" report a.db --all > report.txt 2>&1
# The 177 ms RTT blip (impact 1.4) is below incident.min_impact: a note, listed with --all.
head -1 report.txt | grep -q "1 incident, 1 note" || { echo "FAIL report: $(head -3 report.txt)"; fail=1; }
grep -q "^#1 zero-window stalls on 198.18.0.2:5001 -> 198.18.0.1:40000" report.txt || { echo "FAIL report names no zero-window incident"; cat report.txt; fail=1; }
grep -q "window scaling was not negotiated" report.txt || { echo "FAIL report: no window-scaling cause"; fail=1; }
grep -q "1 RTO episode" report.txt || { echo "FAIL report: no RTO evidence"; fail=1; }
grep -q "^note 2: RTT spike on \[2001:db8::2\]:443 -> \[2001:db8::1\]:50000" report.txt || { echo "FAIL report: no RTT spike incident"; fail=1; }
expect "rtt spike rows" "$(q a.db "SELECT conn_id || ':' || count(*) FROM samples WHERE kind = 5 GROUP BY conn_id")" "2:1"
expect "rtt conn 2" "$(q a.db "SELECT rtt_min_us || ':' || rtt_max_us FROM connections WHERE conn_id = 2")" "2000:22944"
"$NETTAPE" report a.db --format json > report.json || { echo "FAIL json report"; fail=1; }
grep -q '"kind": "zero_window"' report.json || { echo "FAIL json: no zero_window incident"; fail=1; }

# Idempotent: the same capture (any name) adds nothing.
before=$(q a.db "SELECT (SELECT count(*) FROM packets) || '/' || (SELECT count(*) FROM samples) || '/' || (SELECT count(*) FROM connections) || '/' || (SELECT count(*) FROM hosts)")
"$NETTAPE" import "$CAP" -o a.db 2>again.err || { echo "FAIL second import"; fail=1; }
grep -q "1 capture already imported" again.err || { echo "FAIL second import message: $(cat again.err)"; fail=1; }
expect "second import adds nothing" "$(q a.db "SELECT (SELECT count(*) FROM packets) || '/' || (SELECT count(*) FROM samples) || '/' || (SELECT count(*) FROM connections) || '/' || (SELECT count(*) FROM hosts)")" "$before"

# Every link type gives the same rows.
ref=$(q a.db "SELECT group_concat(x, ' ') FROM (SELECT conn_id || ':' || dir || ':' || seq || ':' || ack || ':' || win_raw || ':' || coalesce(window, '-') || ':' || payload || ':' || analysis AS x FROM packets ORDER BY rowid)")
for lt in sll sll2 raw; do
	"$GEN" $lt.pcap $lt || exit 1
	"$NETTAPE" import -q $lt.pcap -o $lt.db || { echo "FAIL import $lt"; fail=1; continue; }
	got=$(q $lt.db "SELECT group_concat(x, ' ') FROM (SELECT conn_id || ':' || dir || ':' || seq || ':' || ack || ':' || win_raw || ':' || coalesce(window, '-') || ':' || payload || ':' || analysis AS x FROM packets ORDER BY rowid)")
	[ "$got" = "$ref" ] && echo "ok   link type $lt: same packets" || { echo "FAIL link type $lt: packets differ"; fail=1; }
	expect "link type $lt: events" "$(q $lt.db "SELECT (SELECT count(*) FROM samples) || '/' || (SELECT count(*) FROM retransmits)")" \
		"$(q a.db "SELECT (SELECT count(*) FROM samples) || '/' || (SELECT count(*) FROM retransmits)")"
done

# A truncated capture: what was read is kept, the warning names the byte offset.
head -c 3000 "$CAP" > cut.pcap
"$NETTAPE" import -q cut.pcap -o cut.db 2>cut.err; rc=$?
expect "truncated: exit" "$rc" 0
grep -q "warning: cut.pcap: capture ends early at byte offset [0-9]* of 3000" cut.err || { echo "FAIL truncated warning: $(cat cut.err)"; fail=1; }
expect "truncated: packets kept" "$(q cut.db "SELECT count(*) > 20 FROM packets")" "1"
expect "truncated: damage row" "$(q cut.db "SELECT count(*) || ':' || (SELECT damaged_bytes > 0 FROM chunks) FROM damage")" "1:1"

# Unsupported link type (802.11) and a file that is neither a tape nor a capture.
python3 - "$CAP" wifi.pcap <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); b[20] = 105
open(sys.argv[2], 'wb').write(b)
PY
"$NETTAPE" import -q wifi.pcap -o wifi.db 2>wifi.err; rc=$?
expect "unsupported link type: exit" "$rc" 1
grep -q "link type .*105.* is not supported" wifi.err || { echo "FAIL link type message: $(cat wifi.err)"; fail=1; }
echo "not a capture" > junk.txt
"$NETTAPE" import -q junk.txt -o junk.db 2>junk.err; rc=$?
[ "$rc" != 0 ] || { echo "FAIL junk file accepted"; fail=1; }

# A tape and a capture in one call.
"$SYNTH" zero-window tape >/dev/null || exit 1
"$NETTAPE" import -q tape "$CAP" -o mixed.db || { echo "FAIL mixed import"; fail=1; }
expect "mixed: chunk kinds" "$(q mixed.db "SELECT group_concat(kind, '+') FROM (SELECT DISTINCT kind FROM chunks ORDER BY kind)")" "pcap+tape"
expect "mixed: distinct conn ids" "$(q mixed.db "SELECT count(*) = count(DISTINCT conn_id) FROM connections")" "1"
"$NETTAPE" report mixed.db > mixed.txt 2>&1 || { echo "FAIL mixed report"; fail=1; }
[ "$(grep -c 'zero-window stalls' mixed.txt)" -ge 2 ] || { echo "FAIL mixed report: both zero-window incidents expected"; fail=1; }

# A database made before the packet columns existed is upgraded in place (user_version stays 1).
"$NETTAPE" import -q tape -o old.db || exit 1
python3 - old.db <<'PY'
import sqlite3, sys
d = sqlite3.connect(sys.argv[1])
d.execute("DROP VIEW IF EXISTS v_packets")
for c in ("seq", "ack", "tcp_flags", "win_raw", "window", "payload", "analysis"):
    d.execute("ALTER TABLE packets DROP COLUMN " + c)
d.execute("ALTER TABLE chunks DROP COLUMN kind")
d.commit()
PY
"$NETTAPE" import -q "$CAP" -o old.db || { echo "FAIL import into an old database"; fail=1; }
expect "old db upgraded" "$(q old.db "SELECT (SELECT group_concat(kind, '+') FROM chunks) || ':' || (SELECT count(*) FROM packets WHERE analysis & 2) || ':' || (SELECT user_version FROM pragma_user_version)")" "tape+pcap:3:1"

# Damaged captures (bytes changed, cut anywhere) must never crash the importer: exit 0 or 1, no
# sanitizer report. A fixed seed keeps it deterministic.
python3 - "$CAP" "$NETTAPE" <<'PY' || fail=1
import os, random, subprocess, sys
src = open(sys.argv[1], 'rb').read()
random.seed(7)
bad = 0
for i in range(40):
    b = bytearray(src)
    for _ in range(random.randint(1, 40)):
        b[random.randrange(24, len(b))] = random.randrange(256)
    if random.random() < 0.3:
        b = b[:random.randrange(24, len(b))]
    open('mut.pcap', 'wb').write(b)
    if os.path.exists('mut.db'):
        os.remove('mut.db')
    r = subprocess.run([sys.argv[2], 'import', '-q', 'mut.pcap', '-o', 'mut.db'], capture_output=True)
    err = r.stderr.decode(errors='replace')
    if r.returncode not in (0, 1) or 'Sanitizer' in err or 'runtime error' in err:
        bad += 1
        open('mut-fail-%d.pcap' % i, 'wb').write(b)
        print('FAIL damaged capture %d: exit %d: %s' % (i, r.returncode, err[-400:]))
print('ok   damaged captures: %d of 40 failed' % bad if not bad else '')
sys.exit(1 if bad else 0)
PY

# The oracle, when installed: tshark on the same file.
if command -v tshark >/dev/null; then
	t_zw=$(tshark -r "$CAP" -Y tcp.analysis.zero_window 2>/dev/null | wc -l)
	t_rt=$(tshark -r "$CAP" -Y "tcp.analysis.retransmission || tcp.analysis.fast_retransmission || tcp.analysis.spurious_retransmission || tcp.analysis.out_of_order" 2>/dev/null | wc -l)
	t_fast=$(tshark -r "$CAP" -Y "tcp.analysis.fast_retransmission" 2>/dev/null | wc -l)
	t_ka=$(tshark -r "$CAP" -Y "tcp.analysis.keep_alive" 2>/dev/null | wc -l)
	t_dup=$(tshark -r "$CAP" -Y "tcp.analysis.duplicate_ack" 2>/dev/null | wc -l)
	t_sf=$(tshark -r "$CAP" -Y "tcp.len > 0" -T fields -e tcp.srcport -e tcp.window_size_scalefactor 2>/dev/null | sort -u | tr '\t\n' ': ' | sed 's/ $//')
	expect "tshark zero-window segments" "$(q a.db "SELECT count(*) FROM packets WHERE analysis & 2")" "$t_zw"
	expect "tshark retransmissions" "$(q a.db "SELECT count(*) FROM retransmits")" "$t_rt"
	expect "tshark fast retransmissions" "$(q a.db "SELECT count(*) FROM retransmits WHERE ca_state = 3")" "$t_fast"
	expect "tshark keep-alives" "$(q a.db "SELECT count(*) FROM packets WHERE analysis & 8")" "$t_ka"
	expect "tshark duplicate ACKs" "$(q a.db "SELECT count(*) FROM packets WHERE analysis & 4")" "$t_dup"
	expect "tshark scale factors (-2 off, -1 unknown)" "$t_sf" "40000:-2 40001:-1 443:128"
else
	echo "skip tshark comparison (tshark not installed)"
fi

[ $fail = 0 ] && echo PASS || echo FAILED
exit $fail
