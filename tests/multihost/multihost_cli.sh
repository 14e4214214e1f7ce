#!/bin/bash
# multihost_cli.sh: CLI tests of pairing and clock alignment across hosts on synthetic tapes: recovered skew within its bound, tuple reuse and a NAT mix-up told apart, --clock-offset, retime, unaligned hosts, report and info output.
# Environment: NETTAPE (the analyzer binary), GENTAPE (nt-multihost-gentape).
set -u
NETTAPE=${NETTAPE:?set NETTAPE to the nettape binary}
GENTAPE=${GENTAPE:?set GENTAPE to nt-multihost-gentape}
T=$(mktemp -d /tmp/ntmultihost-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
check() { # check DESC COND...
	local d=$1; shift
	if "$@"; then echo "ok   $d"; else echo "FAIL $d"; fails=$((fails + 1)); fi
}
q() { "$NETTAPE" query "$1" "$2" --format csv | sed -n 2p | tr -d '"\r'; }
within() { # within GOT WANT BOUND
	local e=$(($1 - $2)); e=${e#-}; test "$e" -le "$3"
}

N=20 SKEW=300000000
"$GENTAPE" "$T/alpha" "$T/beta" "$T/gamma" $SKEW $N || { echo "gentape failed"; exit 1; }

# 1. Pairing and alignment.
"$NETTAPE" import "$T/alpha" "$T/beta" -o "$T/ab.db" 2>"$T/ab.err"; rc=$?
cat "$T/ab.err"
check "import exit 0" test $rc -eq 0
off=$(q "$T/ab.db" "SELECT clock_offset_ns FROM hosts WHERE hostname = 'beta'")
bound=$(q "$T/ab.db" "SELECT clock_bound_ns FROM hosts WHERE hostname = 'beta'")
check "beta estimated against alpha" test "$(q "$T/ab.db" "SELECT clock_source || '/' || (SELECT hostname FROM hosts r WHERE r.host_id = h.clock_ref) FROM hosts h WHERE hostname = 'beta'")" = estimated/alpha
check "alpha is the reference, unshifted" test "$(q "$T/ab.db" "SELECT clock_source || '/' || clock_offset_ns || '/' || clock_bound_ns FROM hosts WHERE hostname = 'alpha'")" = reference/0/0
check "beta's correction $off is -$SKEW within its bound $bound" within "$off" -$SKEW "$bound"
check "bound $bound = the one-way delay (50 us)" test "$bound" -eq 50000
check "exact middle: correction $off = -$SKEW" test "$off" -eq -$SKEW
# connection 0's tuple is used twice: its candidates are checked against the estimate, not used for it
check "$((N - 1)) pairs used (the unique ones)" test "$(q "$T/ab.db" "SELECT clock_pairs FROM hosts WHERE hostname = 'beta'")" -eq $((N - 1))
check "5 edges per pair" test "$(q "$T/ab.db" "SELECT clock_edges FROM hosts WHERE hostname = 'beta'")" -eq $((5 * (N - 1)))
check "the reused tuple: both of its connections paired with the right ends" test \
	"$(q "$T/ab.db" "SELECT count(*) FROM conn_pairs p JOIN connections a ON a.conn_id = p.conn_a JOIN connections b ON b.conn_id = p.conn_b WHERE a.lport = 40000 AND abs((a.first_ts - b.first_ts) / 1000000) < 5")" -eq 2
check "the NAT mix-up (port 39999) is not paired" test \
	"$(q "$T/ab.db" "SELECT count(*) FROM connections WHERE lport = 39999 AND peer_conn_id IS NOT NULL")" -eq 0
check "pairs: $N + 1, each end points at the other" test \
	"$(q "$T/ab.db" "SELECT count(*) FROM conn_pairs p JOIN connections a ON a.conn_id = p.conn_a JOIN connections b ON b.conn_id = p.conn_b WHERE a.peer_conn_id = b.conn_id AND b.peer_conn_id = a.conn_id")" -eq $((N + 1))
check "import names 3 rejected candidates (2 of the reused tuple, the NAT mix-up)" grep -q "$((N + 1)) connections paired across hosts .*3 candidates rejected" "$T/ab.err"
check "import prints beta's clock" grep -q "beta: -300.000000 ms +- 50.000 us against alpha ($((N - 1)) paired connections" "$T/ab.err"
# ts carry the correction: beta's first event lines up with alpha's handshake (one-way delay, not 300 ms)
d=$(q "$T/ab.db" "SELECT b.first_ts - a.first_ts FROM conn_pairs p JOIN connections a ON a.conn_id = p.conn_a JOIN connections b ON b.conn_id = p.conn_b WHERE a.lport = 40001")
check "aligned times: server end starts $d ns after the client end (< 1 ms)" test "$d" -ge 0 -a "$d" -lt 1000000
# Importing again changes nothing.
"$NETTAPE" import "$T/alpha" "$T/beta" -o "$T/ab.db" -q
check "re-import: same correction" test "$(q "$T/ab.db" "SELECT clock_offset_ns FROM hosts WHERE hostname = 'beta'")" = "$off"
check "re-import: ts unchanged" test "$(q "$T/ab.db" "SELECT b.first_ts - a.first_ts FROM conn_pairs p JOIN connections a ON a.conn_id = p.conn_a JOIN connections b ON b.conn_id = p.conn_b WHERE a.lport = 40001")" = "$d"

# 2. Reports and info.
"$NETTAPE" report "$T/ab.db" >"$T/r.txt"
check "report header: Clocks line for beta" grep -q "^           beta: -300.000000 ms +- 50.000 us" "$T/r.txt"
check "report header: alpha is the reference" grep -q "^Clocks:    alpha: reference clock" "$T/r.txt"
"$NETTAPE" report "$T/ab.db" --format json >"$T/r.json"
check "report json: data.clocks" python3 -c "
import json,sys; d=json.load(open('$T/r.json'))['data']['clocks']
b=[c for c in d if c['host']=='beta'][0]
sys.exit(not (b['alignment']=='estimated' and b['reference']=='alpha' and b['offset_ns']==$off and b['pairs']==$((N - 1))))"
"$NETTAPE" info "$T/ab.db" >"$T/info.txt"; rc=$?
check "info DB: exit 0, lists both clocks" test $rc -eq 0 -a "$(grep -c '^  clock ' "$T/info.txt")" -eq 2
check "info DB: pairs" grep -q "$((N + 1)) connections paired across hosts" "$T/info.txt"
"$NETTAPE" info --json "$T/ab.db" | python3 -c "import json,sys; d=json.load(sys.stdin)['tapes'][0]; sys.exit(not (d['paired_connections']==$((N + 1)) and len(d['hosts'])==2))"
check "info --json DB" test $? -eq 0

# 3. Manual override, remembered, then back to the estimate.
"$NETTAPE" import "$T/alpha" "$T/beta" -o "$T/ab.db" -q --clock-offset beta=-299ms
check "--clock-offset beta=-299ms: manual" test "$(q "$T/ab.db" "SELECT clock_source || '/' || clock_offset_ns FROM hosts WHERE hostname = 'beta'")" = manual/-299000000
# the manual host anchors its group: alpha is aligned to beta's corrected clock
check "--clock-offset: alpha aligned to beta (+1 ms)" test \
	"$(q "$T/ab.db" "SELECT clock_source || '/' || clock_offset_ns || '/' || (SELECT hostname FROM hosts r WHERE r.host_id = h.clock_ref) FROM hosts h WHERE hostname = 'alpha'")" = estimated/$((-299000000 - off))/beta
check "--clock-offset: the two ends still line up" test \
	"$(q "$T/ab.db" "SELECT b.first_ts - a.first_ts FROM conn_pairs p JOIN connections a ON a.conn_id = p.conn_a JOIN connections b ON b.conn_id = p.conn_b WHERE a.lport = 40001")" = "$d"
"$NETTAPE" import "$T/alpha" -o "$T/ab.db" -q
check "manual offset remembered by the next import" test "$(q "$T/ab.db" "SELECT clock_source FROM hosts WHERE hostname = 'beta'")" = manual
"$NETTAPE" import "$T/alpha" -o "$T/ab.db" -q --clock-offset beta=auto
check "beta=auto: estimated again, same value" test "$(q "$T/ab.db" "SELECT clock_source || '/' || clock_offset_ns FROM hosts WHERE hostname = 'beta'")" = "estimated/$off"
check "beta=auto: alpha the reference again" test "$(q "$T/ab.db" "SELECT clock_source || '/' || clock_offset_ns FROM hosts WHERE hostname = 'alpha'")" = reference/0
"$NETTAPE" import "$T/alpha" -o "$T/ab.db" -q --clock-offset nosuch=+1s 2>"$T/bad.err"; rc=$?
check "unknown host: exit 1, names the hosts" test $rc -eq 1 -a -n "$(grep 'nosuch.*hosts: alpha, beta' "$T/bad.err")"
"$NETTAPE" import "$T/alpha" -o "$T/x.db" --clock-offset beta 2>/dev/null; rc=$?
check "malformed --clock-offset: exit 2" test $rc -eq 2

# 4. retime: verify, and the import sees the extra skew.
"$NETTAPE" retime "$T/beta" --offset +2.5s -o "$T/beta25" 2>"$T/rt.err"; rc=$?
check "retime exit 0" test $rc -eq 0
check "retimed tape verifies" "$NETTAPE" verify -q "$T/beta25"
check "retime keeps host and boot id" test "$("$NETTAPE" info --json "$T/beta25" | python3 -c "import json,sys; t=json.load(sys.stdin)['tapes'][0]; print(t['host'], t['boot_id'])")" = "beta 00000000-0000-4000-8000-0000000000b1"
a0=$("$NETTAPE" replay "$T/beta" --json | head -1 | python3 -c "import json,sys; print(json.load(sys.stdin)['ts'])")
a1=$("$NETTAPE" replay "$T/beta25" --json | head -1 | python3 -c "import json,sys; print(json.load(sys.stdin)['ts'])")
check "retime: replay times 2.5 s later ($a0 -> $a1)" python3 -c "
from datetime import datetime as D
f=lambda s: D.fromisoformat(s.replace('Z','+00:00')).timestamp()
import sys; sys.exit(abs(f('$a1')-f('$a0')-2.5) > 1e-6)"
"$NETTAPE" import "$T/alpha" "$T/beta25" -o "$T/ab25.db" -q
off25=$(q "$T/ab25.db" "SELECT clock_offset_ns FROM hosts WHERE hostname = 'beta'")
b25=$(q "$T/ab25.db" "SELECT clock_bound_ns FROM hosts WHERE hostname = 'beta'")
check "retimed +2.5 s: correction $off25 = -2.8 s within $b25" within "$off25" -2800000000 "$b25"
"$NETTAPE" retime "$T/beta" --offset -700ms -o "$T/beta-07" 2>/dev/null
"$NETTAPE" import "$T/alpha" "$T/beta-07" -o "$T/ab07.db" -q
check "retimed -700 ms: correction = +400 ms within the bound" within "$(q "$T/ab07.db" "SELECT clock_offset_ns FROM hosts WHERE hostname = 'beta'")" 400000000 "$(q "$T/ab07.db" "SELECT clock_bound_ns FROM hosts WHERE hostname = 'beta'")"
"$NETTAPE" retime "$T/beta" --offset 1s -o "$T/beta25" 2>"$T/rt2.err"; rc=$?
check "retime into a non-empty directory: exit 1" test $rc -eq 1
"$NETTAPE" retime "$T/beta" --offset 1x -o "$T/new" 2>/dev/null; rc=$?
check "retime with a bad duration: exit 2" test $rc -eq 2

# 5. No shared connection: unaligned, said, nothing guessed.
"$NETTAPE" import "$T/alpha" "$T/gamma" -o "$T/ag.db" 2>"$T/ag.err"
check "unaligned said at import" grep -q "gamma: unaligned" "$T/ag.err"
check "both hosts unaligned, offset 0, bound NULL" test \
	"$(q "$T/ag.db" "SELECT count(*) FROM hosts WHERE clock_source = 'unaligned' AND clock_offset_ns = 0 AND clock_bound_ns IS NULL AND clock_ref IS NULL")" -eq 2
"$NETTAPE" report "$T/ag.db" >"$T/ag.txt"
check "report says unaligned" grep -q "gamma: unaligned" "$T/ag.txt"
# Three hosts: gamma stays unaligned, beta is aligned.
"$NETTAPE" import "$T/gamma" -o "$T/ab.db" -q
check "three hosts: alpha reference, beta estimated, gamma unaligned" test \
	"$(q "$T/ab.db" "SELECT group_concat(hostname || '=' || clock_source, ',') FROM (SELECT * FROM hosts ORDER BY host_id)")" = "alpha=reference,beta=estimated,gamma=unaligned"
# One-sided: delta shares one connection with alpha, but only its handshake was recorded.
"$GENTAPE" "$T/alpha2" "$T/beta2" "$T/gamma2" $SKEW $N "$T/delta" || { echo "gentape failed"; exit 1; }
"$NETTAPE" import "$T/alpha2" "$T/delta" -o "$T/ad.db" 2>"$T/ad.err"
check "one-sided: delta unaligned, and says why" grep -q "delta: unaligned (1 paired connection, but their edges bound the offset from one side only" "$T/ad.err"
check "one-sided: no offset guessed" test "$(q "$T/ad.db" "SELECT clock_source || '/' || clock_offset_ns FROM hosts WHERE hostname = 'delta'")" = unaligned/0
check "one-sided: the connection is still paired" test "$(q "$T/ad.db" "SELECT count(*) FROM conn_pairs")" -eq 1
# One host: nothing said.
"$NETTAPE" import "$T/alpha" -o "$T/a.db" 2>"$T/a.err"
check "one host: no clock lines" test -z "$(grep -i clock "$T/a.err")"
"$NETTAPE" report "$T/a.db" >"$T/a.txt"
check "one host: no Clocks header" test -z "$(grep '^Clocks' "$T/a.txt")"

# 6. Initial sequence numbers (-i): pairs need them to match crosswise.
"$GENTAPE" -i "$T/alphai" "$T/betai" "$T/gammai" $SKEW $N || { echo "gentape -i failed"; exit 1; }
"$NETTAPE" import "$T/alphai" "$T/betai" -o "$T/isn.db" 2>"$T/isn.err"; rc=$?
cat "$T/isn.err"
check "isn: import exit 0" test $rc -eq 0
check "isn: $((N + 1)) pairs, all by sequence numbers" test \
	"$(q "$T/isn.db" "SELECT count(*) || '/' || sum(method = 'isn') FROM conn_pairs")" = "$((N + 1))/$((N + 1))"
check "isn: the reused tuple's ends paired with their own (same sequence numbers)" test \
	"$(q "$T/isn.db" "SELECT count(*) FROM conn_pairs p JOIN connections a ON a.conn_id = p.conn_a JOIN connections b ON b.conn_id = p.conn_b WHERE a.lport = 40000 AND a.isn_local = b.isn_peer AND a.isn_peer = b.isn_local AND abs((a.first_ts - b.first_ts) / 1000000) < 5")" -eq 2
check "isn: a reused tuple with fitting times but other sequence numbers (port 39998) is not paired" test \
	"$(q "$T/isn.db" "SELECT count(*) FROM connections WHERE lport = 39998 AND peer_conn_id IS NOT NULL")" -eq 0
check "isn: the NAT mix-up (port 39999) is not paired" test \
	"$(q "$T/isn.db" "SELECT count(*) FROM connections WHERE lport = 39999 AND peer_conn_id IS NOT NULL")" -eq 0
# the reused tuple's two cross candidates, the NAT mix-up and port 39998 never become candidates
check "isn: import names 4 tuples with other sequence numbers, none rejected by edges" grep -q \
	"$((N + 1)) connections paired across hosts ($((N + 1)) by sequence numbers; .*0 candidates rejected, 4 tuples with other sequence numbers" "$T/isn.err"
check "isn: every pair goes into the estimate (the reused tuple's too)" test \
	"$(q "$T/isn.db" "SELECT clock_pairs FROM hosts WHERE hostname = 'beta'")" -eq $((N + 1))
check "isn: correction exactly -$SKEW" test "$(q "$T/isn.db" "SELECT clock_offset_ns FROM hosts WHERE hostname = 'beta'")" -eq -$SKEW
# one end without sequence numbers (an older tape): the tuple and the edges decide, as before
"$NETTAPE" import "$T/alphai" "$T/beta" -o "$T/isn1.db" -q
check "isn on one end only: $((N + 1)) pairs by edges" test \
	"$(q "$T/isn1.db" "SELECT count(*) || '/' || sum(method = 'edges') FROM conn_pairs")" = "$((N + 1))/$((N + 1))"

# 7. Data and ACK edges alone (-d): one connection, samples only, no state change recorded.
"$GENTAPE" -d "$T/alphad" "$T/betad" "$T/gammad" $SKEW 1 || { echo "gentape -d failed"; exit 1; }
"$NETTAPE" import "$T/alphad" "$T/betad" -o "$T/data.db" 2>"$T/data.err"; rc=$?
cat "$T/data.err"
check "data: import exit 0" test $rc -eq 0
# D in (SKEW - 10.05 ms, SKEW + 19.95 ms): correction -(SKEW + 4.95 ms), bound 15 ms
check "data: beta estimated from the data edges alone: -(SKEW + 4.95 ms) +- 15 ms, 2 edges" test \
	"$(q "$T/data.db" "SELECT clock_source || '/' || clock_offset_ns || '/' || clock_bound_ns || '/' || clock_edges FROM hosts WHERE hostname = 'beta'")" = \
	"estimated/$((-SKEW - 4950000))/15000000/2"
check "data: the true correction -$SKEW within the bound" within "$(q "$T/data.db" "SELECT clock_offset_ns FROM hosts WHERE hostname = 'beta'")" -$SKEW 15000000
check "data: the pair's interval, method edges" test \
	"$(q "$T/data.db" "SELECT method || '/' || lo_ns || '/' || hi_ns FROM conn_pairs")" = "edges/$((SKEW - 10050000))/$((SKEW + 19950000))"
check "data: import says 2 from data" grep -q "2 edges used, 2 from data" "$T/data.err"
NETTAPE_CLOCK_DATA_EDGES=0 "$NETTAPE" import "$T/alphad" "$T/betad" -o "$T/data0.db" -q
check "data: without the data edges beta stays unaligned" test \
	"$(q "$T/data0.db" "SELECT clock_source FROM hosts WHERE hostname = 'beta'")" = unaligned

if ((fails)); then echo "$fails check(s) failed"; exit 1; fi
echo "all checks passed"
