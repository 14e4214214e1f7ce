#!/bin/bash
# replay.sh: CLI tests of 'nettape replay' on synthetic tapes: order, filters, JSON, pacing, signals, bad flags, damage.
# Environment: NETTAPE (the analyzer binary), GENTAPE (nt-replay-gentape).
set -u
NETTAPE=${NETTAPE:?set NETTAPE to the nettape binary}
GENTAPE=${GENTAPE:?set GENTAPE to nt-replay-gentape}
T=$(mktemp -d /tmp/ntreplay-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
check() { # check DESC COND...
	local d=$1; shift
	if "$@"; then ok "$d"; else fail "$d"; fi
}

N=400
"$GENTAPE" "$T/tape" $N 6000 >"$T/expected" || { echo "gentape failed"; exit 1; }
nchunks=$(ls "$T/tape" | grep -c '\.ntc$')
check "generator wrote several chunks ($nchunks)" test "$nchunks" -ge 2

# 1. Text: one line per event (+ 1 loss record), in writing order.
"$NETTAPE" replay "$T/tape" >"$T/text" 2>"$T/text.err"; rc=$?
check "text exit 0" test $rc -eq 0
check "text: no stderr" test ! -s "$T/text.err"
check "text: $((N + 1)) lines" test "$(wc -l <"$T/text")" -eq $((N + 1))
check "text: line format" grep -Eq '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} drop +0/unknown +198\.18\.0\.1:5001 > 198\.18\.0\.2:40000 reason=NETFILTER_DROP location=nf_hook_slow\+0x9a' "$T/text"
check "text: type column in writing order" \
	diff <(awk '{print $2}' "$T/text" | head -n $N) <(awk '{print $2}' "$T/expected")
check "text: pid/comm from metadata" grep -q ' 100/api-server ' "$T/text"
check "text: TCP state names" grep -q 'SYN_RECV -> ESTABLISHED wscale_ok=' "$T/text"
check "text: CA state names" grep -q 'ca=Open->Loss' "$T/text"
check "text: reset reason name" grep -q 'reason=TCP_ABORT_ON_CLOSE' "$T/text"
check "text: loss record" grep -q 'loss .*class=sample cpu=1 count=42' "$T/text"

# 2. JSON lines: every line parses; order = writing order (cgroup = index + 1),
# not time order (the generator stamps some records earlier than their predecessor).
"$NETTAPE" replay "$T/tape" --json >"$T/json"; rc=$?
check "json exit 0" test $rc -eq 0
check "json: parses, order = writing order, keys per type" python3 - "$T/json" "$T/expected" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
exp = [l.split() for l in open(sys.argv[2])]
ev = [r for r in rows if r["type"] != "loss"]
assert len(ev) == len(exp), (len(ev), len(exp))
assert [r["cgroup"] for r in ev] == list(range(1, len(exp) + 1)), "order differs from writing order"
for r, e in zip(ev, exp):
    assert r["type"] == e[1] and r["cookie"] == int(e[2]) and r["pid"] == int(e[3]), (r, e)
    assert r["time_ns"] == int(e[6]), (r["time_ns"], e[6])
    assert r["sport"] == int(e[4]) and r["dport"] == int(e[5])
times = [r["time_ns"] for r in ev]
assert any(b < a for a, b in zip(times, times[1:])), "test tape should have out-of-order times"
need = {"drop": ["reason", "reason_code", "location", "location_addr", "sk_state", "flags", "seq", "len"],
        "retrans": ["kind", "state", "ca", "srtt_us", "rto_us", "cwnd"],
        "cong": ["old_ca", "new_ca", "cwnd", "ssthresh"],
        "state": ["old_state", "new_state", "wscale_ok", "mss"],
        "sample": ["kind", "srtt_us", "min_rtt_us", "rcv_wnd", "snd_wnd"],
        "reset": ["kind", "state", "reason"], "stall": ["kind", "wait_ns", "bytes"],
        "buffer": ["kind", "value", "limit"], "listen": ["backlog", "max_backlog", "overflows"],
        "loss": ["class", "cpu", "count"]}
common = ["ts", "time_ns", "boot_ns", "type", "tape", "host"]
for r in rows:
    for k in common + need[r["type"]]:
        assert k in r, (k, r)
d = [r for r in rows if r["type"] == "drop"]
assert d[0]["reason"] == "NETFILTER_DROP" and d[0]["location"] == "nf_hook_slow+0x9a", d[0]
assert d[0]["pkt_order"] is True and d[0]["comm"] is None
assert any(r.get("comm") == 'client "q"' for r in rows), "escaped comm"
assert rows[0]["ts"].startswith("2026-11-22T00:00:00"), rows[0]["ts"]
EOF

# 3. Filters.
cnt() { "$NETTAPE" replay "$T/tape" "$@" | wc -l; }
exp_drops=$(awk '$2 == "drop"' "$T/expected" | wc -l)
check "--type drop ($exp_drops)" test "$(cnt --type drop)" -eq "$exp_drops"
exp_dr=$(awk '$2 == "drop" || $2 == "retrans"' "$T/expected" | wc -l)
check "--type drop,retrans" test "$(cnt --type drop,retrans)" -eq "$exp_dr"
exp_c=$(awk '$3 == 4294967297' "$T/expected" | wc -l)
check "--conn cookie decimal ($exp_c)" test "$(cnt --conn 4294967297)" -eq "$exp_c"
check "--conn cookie hex" test "$(cnt --conn 0x100000001)" -eq "$exp_c"
check "--conn cookie:N" test "$(cnt --conn cookie:4294967297)" -eq "$exp_c"
exp_p=$(awk '$6 == 40001' "$T/expected" | wc -l)
check "--conn port ($exp_p)" test "$(cnt --conn 40001)" -eq "$exp_p"
check "--conn :port" test "$(cnt --conn :40001)" -eq "$exp_p"
check "--conn ADDR:PORT (remote side)" test "$(cnt --conn 198.18.0.2:40001)" -eq "$exp_p"
check "--conn ADDR:PORT (wrong pair)" test "$(cnt --conn 198.18.0.1:40001)" -eq 0
check "--conn ADDR (all events)" test "$(cnt --conn 198.18.0.2)" -eq $N
# The one --conn grammar: A-B pairs (either order) as in pcap and bundle.
check "--conn A-B pair" test "$(cnt --conn 198.18.0.2:40001-198.18.0.1)" -eq "$exp_p"
check "--conn A-B pair (reversed)" test "$(cnt --conn 198.18.0.1-198.18.0.2:40001)" -eq "$exp_p"
check "--conn A-B pair (wrong pair)" test "$(cnt --conn 198.18.0.1:40001-198.18.0.2)" -eq 0
check "--conn OR of two" test "$(cnt --conn 40001 --conn 40002)" -eq \
	"$(awk '$6 == 40001 || $6 == 40002' "$T/expected" | wc -l)"
exp_pid=$(awk '$4 == 100' "$T/expected" | wc -l)
check "--pid 100 ($exp_pid)" test "$(cnt --pid 100)" -eq "$exp_pid"
check "--pid + --type combine" test "$(cnt --pid 200 --type drop)" -eq \
	"$(awk '$4 == 200 && $2 == "drop"' "$T/expected" | wc -l)"
# --from/--to in epoch seconds (realtime of event i: 2026-11-22T00:00:00Z + 10 ms * (i + 1), some 15 ms earlier)
from=1795305601.0; to=1795305602.0
exp_w=$(awk -v f=1795305601000000000 -v t=1795305602000000000 '$7 >= f && $7 <= t' "$T/expected" | wc -l)
check "--from/--to window ($exp_w)" test "$(cnt --from $from --to $to --type drop,retrans,cong,state,sample,reset,stall,buffer,listen)" -eq "$exp_w"
# The one --from/--to grammar of every command: ISO with an offset, and epoch nanoseconds.
check "--from ISO with offset" test "$(cnt --from 2026-11-22T01:00:01+01:00 --to 2026-11-21T19:00:02-0500 --type drop,retrans,cong,state,sample,reset,stall,buffer,listen)" -eq "$exp_w"
check "--from epoch ns" test "$(cnt --from 1795305601000000000 --to 1795305602000000000 --type drop,retrans,cong,state,sample,reset,stall,buffer,listen)" -eq "$exp_w"
check "--from time of day" test "$(cnt --from 00:00:01 --to 00:00:02 --type drop,retrans,cong,state,sample,reset,stall,buffer,listen)" -eq "$exp_w"

# Relative forms: the last 1 s of the tape (its last event is at 4.01 s).
exp_rel=$(awk -v f=1795305603010000000 '$7 >= f' "$T/expected" | wc -l)
check "--from -1s (relative to the last record: $exp_rel)" test "$(cnt --from -1s --type drop,retrans,cong,state,sample,reset,stall,buffer,listen)" -eq "$exp_rel"

# Two tapes: merged (2N + 2 lines), the host shown, each tape's order kept.
"$GENTAPE" "$T/tape2" 50 >/dev/null || fail "gentape 2"
"$NETTAPE" replay "$T/tape" "$T/tape2" >"$T/two" 2>&1; rc=$?
check "two tapes: exit 0 ($rc)" test $rc -eq 0
check "two tapes: $((N + 50 + 2)) lines" test "$(wc -l <"$T/two")" -eq $((N + 50 + 2))
check "two tapes: host column" grep -q ' \[replay-host\] ' "$T/two"
"$NETTAPE" replay "$T/tape" "$T/tape2" --json >"$T/two.json"
check "two tapes: each tape's records in its own writing order" python3 - "$T/two.json" <<'EOF2'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"loss"' not in l]
for t in (0, 1):
    cg = [r["cgroup"] for r in rows if r["tape"] == t]
    assert cg == list(range(1, len(cg) + 1)), (t, cg[:20])
assert {r["tape"] for r in rows} == {0, 1}
EOF2

# 4. Bad flags: exit 2, one message.
for args in "--speed 0" "--speed abc" "--speed -1" "--type bogus" "--conn 1.2.3" "--conn [::1" \
	"--pid x" "--bogus" "--from notatime" "--from 1795305602 --to 1795305601"; do
	# shellcheck disable=SC2086
	"$NETTAPE" replay "$T/tape" $args >/dev/null 2>"$T/err"; rc=$?
	check "bad flags '$args' exit 2 ($rc)" test $rc -eq 2
	check "bad flags '$args' says why" test -s "$T/err"
done
"$NETTAPE" replay >/dev/null 2>&1; rc=$?
check "no tape: exit 2" test $rc -eq 2
"$NETTAPE" replay "$T/nonexistent" >/dev/null 2>"$T/err"; rc=$?
check "missing tape: exit 1 ($rc)" test $rc -eq 1
check "missing tape: one line naming it" test "$(grep -c nonexistent "$T/err")" -eq 1
"$NETTAPE" replay --help | grep -q -- '--speed' && ok "--help" || fail "--help"

# 5. Damage: a byte flipped in the middle of a chunk: a one-line warning with
# path and offset, the rest of the tape is still replayed.
cp -r "$T/tape" "$T/bad"
first=$(ls "$T/bad"/*.ntc | head -1)
size=$(stat -c %s "$first")
printf '\xff\xff\xff\xff' | dd of="$first" bs=1 seek=$((size * 2 / 3)) conv=notrunc status=none
"$NETTAPE" replay "$T/bad" >"$T/bad.out" 2>"$T/bad.err"; rc=$?
check "damaged: exit 0 ($rc)" test $rc -eq 0
check "damaged: warning with path and offset" grep -Eq "^nettape replay: warning: $first: offset [0-9]+: " "$T/bad.err"
check "damaged: one line per damage" test "$(wc -l <"$T/bad.err")" -ge 1 -a "$(wc -l <"$T/bad.err")" -le 3
nbad=$(wc -l <"$T/bad.out")
check "damaged: most events still replayed ($nbad of $((N + 1)))" test "$nbad" -gt $((N / 2)) -a "$nbad" -lt $((N + 1))
# A truncated last chunk (as after kill -9): warning, everything before it.
cp -r "$T/tape" "$T/trunc"
last=$(ls "$T/trunc"/*.ntc | tail -1)
truncate -s $(($(stat -c %s "$last") - 100)) "$last"
mv "$last" "$last.partial"
"$NETTAPE" replay "$T/trunc" >"$T/trunc.out" 2>"$T/trunc.err"; rc=$?
check "truncated: exit 0 ($rc)" test $rc -eq 0
check "truncated: events before the cut are there" test "$(wc -l <"$T/trunc.out")" -gt $((N / 2))
check "truncated: prefix identical to the clean replay" \
	cmp -s "$T/trunc.out" <(head -n "$(wc -l <"$T/trunc.out")" "$T/text")
check "truncated: warning names the chunk" grep -q "$(basename "$last")" "$T/trunc.err"
# Not a tape at all.
mkdir -p "$T/junk"; head -c 5000 /dev/urandom >"$T/junk/chunk-00000001.ntc"
"$NETTAPE" replay "$T/junk" >/dev/null 2>"$T/err"; rc=$?
check "junk chunk: exit 1 ($rc)" test $rc -eq 1
check "junk chunk: at most 2 lines of complaint, with the offset" grep -q 'offset 0' "$T/err"
check "junk chunk: at most 2 lines of complaint" test "$(wc -l <"$T/err")" -le 2

# 6. Pacing: the tape spans ~4 s; --speed 4 takes ~1 s, --fast is quick.
s=$(date +%s%N); "$NETTAPE" replay "$T/tape" --speed 4 >/dev/null; e=$(date +%s%N)
ms=$(((e - s) / 1000000))
check "--speed 4 paced (${ms} ms, expect >= 800)" test $ms -ge 800 -a $ms -lt 20000
s=$(date +%s%N); "$NETTAPE" replay "$T/tape" --speed 4 --fast >/dev/null; e=$(date +%s%N)
ms=$(((e - s) / 1000000))
check "--fast after --speed is not paced (${ms} ms)" test $ms -lt 700

# 7. Ctrl-C while pacing: stops promptly, exit 0, output so far flushed.
"$NETTAPE" replay "$T/tape" --speed 0.05 >"$T/int.out" 2>"$T/int.err" &
pid=$!
sleep 1
kill -INT $pid
s=$(date +%s%N); wait $pid; rc=$?; e=$(date +%s%N)
check "SIGINT: exit 0 ($rc)" test $rc -eq 0
check "SIGINT: prompt ($(((e - s) / 1000000)) ms)" test $(((e - s) / 1000000)) -lt 1500
check "SIGINT: first line flushed" test "$(wc -l <"$T/int.out")" -ge 1
check "SIGINT: nothing on stderr" test ! -s "$T/int.err"

# 8. Broken pipe is not an error.
"$NETTAPE" replay "$T/tape" 2>"$T/pipe.err" | head -1 >/dev/null
rc=${PIPESTATUS[0]}
check "EPIPE: exit 0 ($rc)" test $rc -eq 0
check "EPIPE: nothing on stderr" test ! -s "$T/pipe.err"

if ((fails)); then echo "$fails check(s) failed"; exit 1; fi
echo "all replay checks passed"
