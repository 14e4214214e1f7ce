#!/bin/bash
# export_db_cli.sh: CLI test of 'nettape pcap DB': exports from an imported database must equal the tape's and the original capture's (tshark as the oracle), plus bad inputs.
# usage: export_db_cli.sh NETTAPE GEN_TAPE CAPTURE.pcap WORKDIR [GEN_PCAP]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NT=$1 GEN=$2 CAP=$3 W=$4 GENPCAP=${5:-}
CMD=pcap
. "$HERE/../lib_cli.sh"
tshark_workdir "$W" "$GEN"   # FROM TO T_SYN NPKT_WINDOW
# The packet list compared between two captures: times to the ns, raw TCP numbers, flags,
# addresses, lengths, and (pcapng) interface names and directions.
FIELDS=(-T fields -e frame.time_epoch -e tcp.seq_raw -e tcp.ack_raw -e tcp.window_size_value
	-e tcp.flags -e ip.src -e ipv6.src -e tcp.srcport -e tcp.dstport -e frame.len -e frame.cap_len)
IFFIELDS=(-e frame.interface_name -e frame.packet_flags_direction)
# tshark's expert analysis, per frame (after the fields above) and counted
EXPERT=(tcp.analysis.zero_window tcp.analysis.retransmission tcp.analysis.fast_retransmission
	tcp.analysis.duplicate_ack tcp.analysis.window_update)
XFIELDS=()
for y in "${EXPERT[@]}"; do XFIELDS+=(-e "$y"); done
# expert FILE.txt: counts of the expert columns (the last ${#EXPERT[@]}) of a field dump
expert() {
	awk -F'\t' -v n=${#EXPERT[@]} -v names="${EXPERT[*]}" '
		{ for (i = 1; i <= n; i++) if ($(NF - n + i) != "") c[i]++ }
		END { split(names, nm, " "); for (i = 1; i <= n; i++) printf "%s=%d ", nm[i], c[i] }' "$1"
}

expect_rc 0 "$NT" import tape -o tape.db

# 1. tape and database give the same packets, with and without a selection.
# Each case: the number of frames the tape export must hold (not 0: no vacuous equality).
cases=(
	"11|"
	"8|--conn 198.18.0.2:443"
	"8|--conn 1001"
	"1|--conn [2001:db8:bb::2]:8443"
	"2|--conn :5432"
	"3|--conn 198.18.0.1:45678-198.18.0.2:443 --from 1763776800.5 --to $TO"
	"8|--from $FROM --to 2025-11-22T02:00:05Z --conn 198.18.0.2:443"
	"9|--from 2025-11-22T02:00:00Z --to 1763776802"
	"11|-F pcap"
	"8|-F pcap --conn 0x3e9"
)
i=0
for c in "${cases[@]}"; do
	want=${c%%|*}
	read -r -a args <<<"${c#*|}"
	i=$((i + 1))
	ext=pcapng
	[ "${args[0]:-}" = -F ] && ext=pcap
	expect_rc 0 "$NT" pcap tape "${args[@]}" -o "t$i.$ext"
	expect_rc 0 "$NT" pcap tape.db "${args[@]}" -o "d$i.$ext"
	[ ! -e "d$i.$ext.partial" ] || fail "partial file left behind"
	ts "t$i.$ext" "${FIELDS[@]}" "${IFFIELDS[@]}" "${XFIELDS[@]}" >"t$i.txt"
	ts "d$i.$ext" "${FIELDS[@]}" "${IFFIELDS[@]}" "${XFIELDS[@]}" >"d$i.txt"
	n=$(wc -l <"t$i.txt")
	[ "$n" = "$want" ] || fail "case $i (${args[*]}): tape export has $n frames, want $want"
	diff -u "t$i.txt" "d$i.txt" >&2 || fail "case $i (${args[*]}): tape and database exports differ"
	# one tape, one host: even the interface blocks are the same, so the files are
	cmp -s "t$i.$ext" "d$i.$ext" || fail "case $i (${args[*]}): files differ (the packet lists do not)"
	a=$(expert "t$i.txt") b=$(expert "d$i.txt")
	[ "$a" = "$b" ] || fail "case $i (${args[*]}): expert analysis differs: tape $a, db $b"
	echo "  ok case $i (${args[*]:-everything}): $want frames, $a"
done
# the full export still shows what the tape test checks
expert d1.txt | grep -q 'tcp.analysis.zero_window=1 tcp.analysis.retransmission=2 ' ||
	fail "db export: zero window or retransmissions lost: $(expert d1.txt)"
first=$(ts d1.pcapng -Y 'tcp.flags.syn==1 && tcp.flags.ack==0 && ip.src==198.18.0.1' -T fields -e frame.time_epoch)
[ "$first" = "$T_SYN" ] || fail "db export: SYN at $first, want $T_SYN"
[ "$(od -An -tx1 -N4 d9.pcap | tr -d ' ')" = 4d3cb2a1 ] || fail "db -F pcap: not the ns-pcap magic"
"$NT" pcap tape.db -o - 2>/dev/null | tshark -r - 2>/dev/null | wc -l | grep -qx 11 || fail "db -o - to a pipe"

# 2. a capture imported and exported back: the same TCP frames (in time order: the
# capture is not strictly ordered; equal times keep the file's order).
cp "$CAP" capture.pcap
expect_rc 0 "$NT" import capture.pcap -o cap.db
expect_rc 0 "$NT" pcap cap.db -o cap.pcapng
ts capture.pcap -Y tcp "${FIELDS[@]}" "${XFIELDS[@]}" | sort -s -t$'\t' -k1,1 >orig.txt
ts cap.pcapng "${FIELDS[@]}" "${XFIELDS[@]}" >back.txt
[ "$(wc -l <orig.txt)" -gt 50 ] || fail "capture: only $(wc -l <orig.txt) TCP frames"
diff -u orig.txt back.txt >&2 || fail "capture exported from the database differs from the original (fields and expert analysis per frame)"
b=$(expert back.txt)
echo "  ok capture round trip: $(wc -l <back.txt) frames, $b"
ts capture.pcap -Y 'tcp.port == 443' "${FIELDS[@]}" | sort -s -t$'\t' -k1,1 >orig443.txt
expect_rc 0 "$NT" pcap cap.db --conn :443 -F pcap -o cap443.pcap
ts cap443.pcap "${FIELDS[@]}" >back443.txt
[ -s orig443.txt ] || fail "capture: no port 443 frames"
diff -u orig443.txt back443.txt >&2 || fail "capture --conn :443 differs from tshark's tcp.port == 443"
# capture rows carry no direction (packets.dir means server/client there)
[ -z "$(ts cap.pcapng -Y 'frame.packet_flags_direction != 0')" ] || fail "capture export has directions"

# the same capture in the other link types (Linux cooked v1/v2, raw IP)
if [ -n "$GENPCAP" ]; then
	for lt in sll sll2 raw; do
		"$GENPCAP" "$lt.pcap" "$lt" || fail "nt-gen-pcap $lt"
		expect_rc 0 "$NT" import "$lt.pcap" -o "$lt.db"
		expect_rc 0 "$NT" pcap "$lt.db" -o "$lt-back.pcapng"
		ts "$lt.pcap" -Y tcp "${FIELDS[@]}" "${XFIELDS[@]}" | sort -s -t$'\t' -k1,1 >"$lt-orig.txt"
		ts "$lt-back.pcapng" "${FIELDS[@]}" "${XFIELDS[@]}" >"$lt-back.txt"
		[ "$(wc -l <"$lt-orig.txt")" = "$(wc -l <orig.txt)" ] || fail "$lt: $(wc -l <"$lt-orig.txt") TCP frames"
		diff -u "$lt-orig.txt" "$lt-back.txt" >&2 || fail "$lt capture exported from the database differs"
	done
	echo "  ok link types sll, sll2, raw: the same round trip"
fi

# 3. one database with a tape and a capture: an interface per host/netns/ifindex/link type
expect_rc 0 "$NT" import tape capture.pcap -o both.db
expect_rc 0 "$NT" pcap both.db -o both.pcapng
n=$(ts both.pcapng | wc -l)
[ "$n" = $((11 + $(wc -l <orig.txt))) ] || fail "tape + capture database: $n frames"
ifs=$(ts both.pcapng -T fields -e frame.interface_name | sort -u | tr '\n' ' ')
[ "$ifs" = "capture.pcap veth-api0 veth-v6peer " ] || fail "tape + capture interfaces '$ifs'"
expect_rc 0 "$NT" pcap both.db -F pcap -o both.pcap   # all Ethernet: one link type

# 4. nothing selected, or no packets at all: an empty capture and a warning, exit 0
expect_rc 0 "$NT" pcap tape.db --from 1 --to 2 -o empty.pcapng
grep -q 'warning: no packet' err.txt || fail "no warning for an empty selection"
ts empty.pcapng >/dev/null || fail "empty pcapng is not readable"

# 5. bad input: exit 1, one line naming the problem
printf 'SQLite format 3\0' >garbage.db
head -c 8192 /dev/urandom >>garbage.db
expect_rc 1 "$NT" pcap garbage.db -o x.pcapng
grep -q 'not an SQLite database' err.txt || fail "garbage.db: $(cat err.txt)"
if command -v sqlite3 >/dev/null; then
	sqlite3 other.db "PRAGMA application_id = 1234; CREATE TABLE t (x);"
	expect_rc 1 "$NT" pcap other.db -o x.pcapng
	grep -q "another application.*nettape import" err.txt || fail "other.db: $(cat err.txt)"
	cp tape.db nopkt.db
	sqlite3 nopkt.db "DELETE FROM packets"
	expect_rc 0 "$NT" pcap nopkt.db -o nopkt.pcapng
	grep -q 'warning: nopkt.db holds no packets' err.txt || fail "nopkt.db: $(cat err.txt)"
	ts nopkt.pcapng >/dev/null || fail "empty capture of nopkt.db is not readable"
	# a damaged packets table: the error names the database and the fix
	cp cap.db damaged.db
	root=$(sqlite3 damaged.db "SELECT rootpage FROM sqlite_schema WHERE name = 'packets'")
	psize=$(sqlite3 damaged.db "PRAGMA page_size")
	head -c "$psize" /dev/urandom |
		dd of=damaged.db bs="$psize" seek=$((root - 1)) conv=notrunc status=none
	expect_rc 1 "$NT" pcap damaged.db -o x.pcapng
	grep -q 'damaged.db: reading packets failed' err.txt || fail "damaged.db: $(cat err.txt)"
else
	echo "  (sqlite3 not installed: foreign, empty and damaged database cases skipped)"
fi
if [ "$(id -u)" != 0 ]; then
	cp tape.db unreadable.db
	chmod 000 unreadable.db
	expect_rc 1 "$NT" pcap unreadable.db -o x.pcapng
	grep -q 'cannot read unreadable.db' err.txt || fail "unreadable.db: $(cat err.txt)"
fi
[ ! -e x.pcapng ] && [ ! -e x.pcapng.partial ] || fail "output left after a failure"

# 6. a database with tapes, or two databases: usage error
expect_rc 2 "$NT" pcap tape.db tape -o x.pcapng
grep -q 'tape.db is a database' err.txt || fail "mixing: $(cat err.txt)"
expect_rc 2 "$NT" pcap tape tape.db -o x.pcapng
expect_rc 2 "$NT" pcap tape.db cap.db -o x.pcapng
expect_rc 2 "$NT" pcap tape.db
expect_rc 2 "$NT" pcap tape.db --conn 1.2.3 -o x.pcapng
[ ! -e x.pcapng ] || fail "output left after a usage error"
expect_rc 0 "$NT" pcap --help
grep -q 'TAPE...|DB' out.txt || fail "--help does not show the DB form"
echo "PASS: nettape pcap DB"
