#!/bin/bash
# bundle_cli.sh: CLI test of 'nettape bundle': the slice is a valid tape, holds only its window and metadata, and --anonymize leaks nothing.
# usage: bundle_cli.sh NETTAPE GEN_TAPE DUMP_TAPE WORKDIR
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NT=$1 GEN=$2 DUMP=${OLD_DUMP:-$3} W=$4
rm -rf "$W"
mkdir -p "$W"
cd "$W"
eval "$("$GEN" tape)"   # FROM TO T_SYN NPKT_WINDOW
export LC_ALL=C

CMD=bundle
. "$HERE/../lib_cli.sh"
# every record's realtime within [FROM, TO] (metadata snapshots carry the first record's time)
check_window() {
	awk -v f="${FROM}000000000" -v t="${TO}000000000" '
		/^rec / { for (i = 1; i <= NF; i++) if ($i ~ /^real=/) { r = substr($i, 6);
			if (r + 0 < f + 0 || r + 0 > t + 0) { print "outside the window: " $0; bad = 1 } } }
		END { exit bad }' "$1" || fail "$1: records outside the window"
}

# ---------------------------------------------------------------- plain bundle
expect_rc 0 "$NT" bundle tape --from "$FROM" --to "$TO" -o plain.tar
grep -q 'wrote plain.tar' err.txt || fail "no summary line"
tar tf plain.tar | sort >members.txt
for m in plain/ plain/README.txt plain/report.txt plain/packets.pcapng plain/tape/ plain/tape/chunk-00000001.ntc; do
	grep -qx "$m" members.txt || fail "plain.tar lacks $m"
done
[ ! -e plain.tar.partial ] || fail "partial file left behind"
tar xf plain.tar
"$DUMP" records plain/tape >plain.dump || fail "the slice does not read back cleanly as a tape"
check_window plain.dump
# the window: connection C's records (before and after it) are absent
for s in 10.99.88.77 203.0.113.99 '"cookie":3001,'; do
	grep -q -- "$s" plain.dump && fail "record outside the window in the slice: $s"
done
[ "$(grep -c '^rec packet' plain.dump)" = "$NPKT_WINDOW" ] || fail "packets in the slice"
grep -q '"cookie":2001,.*"family":"ipv6"' plain.dump || fail "IPv6 connection missing"
# only the metadata the slice refers to
for s in unrelated-daemo swordfish unused-ns-green unused_symbol_xyz unrelated-secret; do
	grep -q -- "$s" plain.dump && fail "metadata outside the slice carried: $s"
done
for s in api-server curl-client blue-ns-prod veth-api0 tcp_validate_incoming TCP_OLD_SEQUENCE \
	 8c1d5e0f9a7b6c5d4e3f 'zero window on'; do
	grep -q -- "$s" plain.dump || fail "metadata the slice needs is missing: $s"
done
grep -q 'host=db-prod-7.corp.example' plain.dump || fail "header host name not kept"
grep -q 'Source tape: tape' plain/README.txt || fail "README lacks the source"
[ -s plain/report.txt ] || fail "empty report.txt"
# import and report run in-process on the slice: report.txt is the report itself, not a note
grep -q '^No report' plain/report.txt && fail "report.txt holds a note instead of the report: $(head -1 plain/report.txt)"
grep -q 'incident' plain/report.txt || fail "report.txt does not look like a report"
# the slice works with the other commands
"$NT" pcap plain/tape -o plain.pcapng 2>/dev/null || fail "nettape pcap on the slice"
if command -v tshark >/dev/null; then
	[ "$(tshark -r plain.pcapng 2>/dev/null | wc -l)" = "$NPKT_WINDOW" ] || fail "pcap of the slice"
	[ "$(tshark -r plain/packets.pcapng 2>/dev/null | wc -l)" = "$NPKT_WINDOW" ] || fail "packets.pcapng in the bundle"
fi
if "$NT" verify --help >/dev/null 2>&1; then
	"$NT" verify plain/tape >verify.txt 2>&1 || { cat verify.txt; fail "nettape verify rejects the slice"; }
fi

# --conn narrows to one connection (its two sockets)
expect_rc 0 "$NT" bundle tape --from 2025-11-22T01:59:59Z --to "$TO" --conn 198.18.0.2:443 --no-report -o conn.tar
tar xf conn.tar
"$DUMP" records conn/tape >conn.dump || fail "conn slice unreadable"
grep -q '"cookie":2001,' conn.dump && fail "--conn kept another connection"
[ "$(grep -c '^rec packet' conn.dump)" = 8 ] || fail "--conn: packets of connection A"
grep -q 'no-report' conn/report.txt || fail "--no-report not noted in report.txt"

# an empty window still gives a valid bundle, with a warning
expect_rc 0 "$NT" bundle tape --from 1 --to 2 --no-report -o empty.tar
grep -q 'warning: no events' err.txt || fail "no warning for an empty slice"
tar xf empty.tar
"$DUMP" records empty/tape >/dev/null || fail "empty slice is not a valid tape"
[ ! -e empty/packets.pcapng ] || fail "packets.pcapng in a slice without packets"

# ---------------------------------------------------------------- anonymized bundle
expect_rc 0 "$NT" bundle tape --from "$FROM" --to "$TO" --anonymize -o anon.tar
tar xf anon.tar
"$DUMP" records anon/tape >anon.dump || fail "anonymized slice unreadable"
check_window anon.dump
grep -q 'flags=0x3' anon.dump || fail "header lacks TAPE_HDR_F_ANONYMIZED|REDACT_PAYLOAD"
grep -q 'cmdline=(removed' anon.dump || fail "recorder cmdline kept"
# leak_scan NAME: gathers everything a bug tracker would get for NAME.tar and everything
# derived from it (record dump, raw zstd frames, README, report, replay JSON, the pcap and
# tshark's full decode), then prints every original that survives: text forms, and binary
# forms in the raw and decompressed bytes (addresses, adjacent ports in TCP-header and
# nt_conn order, MACs, kernel addresses).
TEXT_ORIGINALS=(db-prod-7 corp.example 3f1c2a9e-5b7d-4e1f-9a2b-c0ffee123456 3f1c2a9e api-server
	curl-client /opt/acme hunter2 'GET /private' docker-8c1d5e0f9a7b 8c1d5e0f9a7b6c5d4e3f
	session-42 user-1000 user.slice system.slice blue-ns-prod veth-api0 veth-v6peer
	198.18.0.1 198.18.0.2 2001:db8:aa::1 2001:db8:bb::2 'filter=host' nettape-record
	':45678' ':51515' ':8443' 'port":45678' 'port":51515' 'port":8443' 'Port: 45678'
	'Port: 51515' 'Port: 8443' 52:54:00:c1:1e:01 52:54:00:5e:4f:02 ffffffff81a3b)
BIN_ORIGINALS=(c6120001 c6120002 20010db800aa0000000000000000000 20010db800bb000000000000000000
	b26e01bb 01bbb26e 6eb2bb01 bb016eb2 c93b20fb 20fbc93b 3bc9fb20 fb203bc9
	525400c11e01 5254005e4f02 00b0a381ffffffff 42b0a381ffffffff)
leak_scan() {
	local n=$1
	"$DUMP" records "$n/tape" >"$n.dump" || fail "$n: slice unreadable"
	"$DUMP" zstd "$n"/tape/*.ntc >"$n.zstd" 2>/dev/null
	[ -s "$n.zstd" ] || fail "$n: no zstd frames found in the chunks"
	"$NT" pcap "$n/tape" -o "$n.pcapng" 2>/dev/null || fail "nettape pcap on $n"
	cat "$n.tar" "$n.dump" "$n.zstd" "$n/README.txt" "$n/report.txt" "$n.pcapng" >"$n.hay"
	if "$NT" replay --help >/dev/null 2>&1; then
		"$NT" replay --json "$n/tape" >"$n.replay.json" 2>/dev/null && cat "$n.replay.json" >>"$n.hay"
	fi
	if command -v tshark >/dev/null; then
		tshark -r "$n.pcapng" -V 2>/dev/null >>"$n.hay"
		[ ! -e "$n/packets.pcapng" ] || tshark -r "$n/packets.pcapng" -V 2>/dev/null >>"$n.hay"
	fi
	cat "$n.tar" "$n.zstd" "$n.pcapng" | od -An -v -tx1 | tr -d ' \n' >"$n.hex"
	local s
	for s in "${TEXT_ORIGINALS[@]}"; do
		grep -a -q -F -- "$s" "$n.hay" && echo "text:$s"
	done
	for s in "${BIN_ORIGINALS[@]}"; do
		grep -q "$s" "$n.hex" && echo "bytes:$s"
	done
	return 0
}
# negative control: the same scan finds the originals in the plain bundle
tar xf plain.tar
leak_scan plain >plain.leaks
for s in text:db-prod-7 text:api-server text:198.18.0.2 text:hunter2 text:veth-api0 \
	 text:3f1c2a9e bytes:c6120002 bytes:b26e01bb bytes:6eb2bb01 bytes:20010db800aa0000000000000000000; do
	grep -qxF -- "$s" plain.leaks || fail "the leak scan is blind: it misses $s in the plain bundle"
done
echo "  leak scan finds $(wc -l <plain.leaks) of $(( ${#TEXT_ORIGINALS[@]} + ${#BIN_ORIGINALS[@]} )) originals in the plain bundle"
leak_scan anon >anon.leaks
if [ -s anon.leaks ]; then
	sed 's/^/  leak: /' anon.leaks >&2
	fail "the anonymized bundle leaks originals"
fi
echo "  leak scan finds 0 originals in the anonymized bundle"
# consistency: one pseudonym per original, distinct originals stay distinct
# tuple_of COOKIE: the "SADDR:SPORT -> DADDR:DPORT" of the cookie's IPv4 events (the dump's replay JSON)
tuple_of() {
	grep "\"cookie\":$1," anon.dump | grep -o '"saddr":"[0-9.]*","sport":[0-9]*,"daddr":"[0-9.]*","dport":[0-9]*' |
		sed 's/"saddr":"\([^"]*\)","sport":\([0-9]*\),"daddr":"\([^"]*\)","dport":\([0-9]*\)/\1:\2 -> \3:\4/' | sort -u
}
a1=$(tuple_of 1001)
a2=$(tuple_of 1002)
[ "$(echo "$a1" | wc -l)" = 1 ] || fail "cookie 1001 has several pseudonym tuples: $a1"
[ "$(echo "$a2" | wc -l)" = 1 ] || fail "cookie 1002 has several pseudonym tuples: $a2"
c1=${a1%% -> *} s1=${a1##* -> } c2=${a2##* -> } s2=${a2%% -> *}
[ "$c1" = "$c2" ] && [ "$s1" = "$s2" ] || fail "the two ends of connection A disagree: $a1 / $a2"
[ "${c1%:*}" != "${s1%:*}" ] || fail "two addresses share a pseudonym"
[ "${s1##*:}" = 443 ] || fail "well-known port 443 not kept"
echo "  anonymized connection A: $a1"
if command -v tshark >/dev/null; then
	# the packets carry the same pseudonyms as the events, and stay analysable
	pk=$(tshark -r anon.pcapng -Y 'tcp.flags.syn==1 && tcp.flags.ack==0 && ip' -T fields \
		-e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport 2>/dev/null | tr '\t' ' ')
	[ "$pk" = "${c1%:*} ${c1##*:} ${s1%:*} ${s1##*:}" ] || fail "packet tuple '$pk' != event tuple '$a1'"
	[ "$(tshark -r anon.pcapng -Y tcp.analysis.zero_window 2>/dev/null | wc -l)" = 1 ] || fail "anon: zero window lost"
	[ "$(tshark -r anon.pcapng -Y 'tcp.analysis.retransmission && tcp.len==100' 2>/dev/null | wc -l)" = 1 ] ||
		fail "anon: retransmission lost"
	bad=$(tshark -r anon.pcapng -o ip.check_checksum:TRUE -Y 'ip.checksum.status != 1' 2>/dev/null | wc -l)
	[ "$bad" = 0 ] || fail "anon: $bad IPv4 header checksums wrong"
	tshark -r anon.pcapng -T fields -e tcp.payload 2>/dev/null | grep -q '[1-9a-f]' &&
		fail "anon: TCP payload not zeroed"
fi
# the same original maps to the same pseudonym in metadata too
grep -c 'netns-1' anon.dump >/dev/null || fail "netns pseudonym missing"
grep -q 'cg-' anon.dump || fail "cgroup pseudonyms missing"
[ "$(grep -o 'comm-[0-9]*' anon.dump | sort -u | wc -l)" = 2 ] || fail "want two comm pseudonyms"
# a second bundle gets other random boot ids but the same structure
expect_rc 0 "$NT" bundle tape --from "$FROM" --to "$TO" --anonymize --no-report -o anon2.tar

# ---------------------------------------------------------------- errors
expect_rc 1 "$NT" bundle no-such-tape --from "$FROM" --to "$TO" -o x.tar
head -c 4096 /dev/urandom >garbage.ntc
expect_rc 1 "$NT" bundle garbage.ntc --from "$FROM" --to "$TO" -o x.tar
expect_rc 1 "$NT" bundle tape --from "$FROM" --to "$TO" --no-report -o no-such-dir/x.tar
[ ! -e x.tar ] || fail "output left after a failure"
expect_rc 2 "$NT" bundle tape --to "$TO" -o x.tar
expect_rc 2 "$NT" bundle tape --from "$FROM" -o x.tar
expect_rc 2 "$NT" bundle tape --from "$TO" --to "$FROM" -o x.tar
expect_rc 2 "$NT" bundle tape --from "$FROM" --to "$TO"
expect_rc 2 "$NT" bundle tape tape --from "$FROM" --to "$TO" -o x.tar
expect_rc 2 "$NT" bundle tape --from "$FROM" --to "$TO" --conn :0 -o x.tar
expect_rc 2 "$NT" bundle tape --from "$FROM" --to "$TO" --anonymise=yes -o x.tar
expect_rc 0 "$NT" bundle --help
grep -q Examples out.txt || fail "--help without examples"
ls -l plain.tar anon.tar | awk '{ print "  " $5 " bytes  " $9 }'
echo "PASS: nettape bundle"
