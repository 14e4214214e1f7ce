#!/bin/bash
# export_cli.sh: CLI test of 'nettape pcap' on a synthetic tape; tshark is the oracle (times, zero window, retransmission, interfaces).
# usage: export_cli.sh NETTAPE GEN_TAPE DUMP_TAPE WORKDIR
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NT=$1 GEN=$2 W=$4
CMD=pcap
. "$HERE/../lib_cli.sh"
tshark_workdir "$W" "$GEN"   # FROM TO T_SYN NPKT_WINDOW

# 1. everything, pcapng
expect_rc 0 "$NT" pcap tape -o all.pcapng
[ ! -e all.pcapng.partial ] || fail "partial file left behind"
n=$(ts all.pcapng | wc -l)
[ "$n" = 11 ] || fail "all.pcapng: $n frames, want 11"
# wall-clock times from the tape's clock pairs, to the nanosecond
first=$(ts all.pcapng -Y 'tcp.flags.syn==1 && tcp.flags.ack==0 && ip.src==198.18.0.1' -T fields -e frame.time_epoch)
[ "$first" = "$T_SYN" ] || fail "SYN at $first, want $T_SYN"
ts all.pcapng -T fields -e frame.time_epoch | grep -qE '^[0-9]+\.[0-9]{9}$' || fail "no ns timestamps"
# tshark's TCP analysis works on the snippets
zw=$(ts all.pcapng -Y tcp.analysis.zero_window | wc -l)
[ "$zw" = 1 ] || fail "zero windows seen: $zw, want 1"
rt=$(ts all.pcapng -Y 'tcp.analysis.retransmission && tcp.len==100' | wc -l)
[ "$rt" = 1 ] || fail "data retransmissions seen: $rt, want 1"
ws=$(ts all.pcapng -Y 'tcp.flags.syn==0 && ip.src==198.18.0.1' -T fields -e tcp.window_size_scalefactor | sort -u)
[ "$ws" = 128 ] || fail "window scale factor '$ws', want 128 (from the SYN's wscale 7)"
# interfaces: names from the tape's metadata, one IDB per (netns, ifindex, linktype)
ifs=$(ts all.pcapng -T fields -e frame.interface_name | sort -u | tr '\n' ' ')
[ "$ifs" = "veth-api0 veth-v6peer " ] || fail "interfaces '$ifs'"
# direction from epb_flags: SYN was inbound (1), SYN-ACK outbound (2)
n=$(ts all.pcapng -Y 'tcp.flags.syn==1 && tcp.flags.ack==0 && ip.src==198.18.0.1 && frame.packet_flags_direction==1' | wc -l)
[ "$n" = 1 ] || fail "the SYN is not marked inbound"
n=$(ts all.pcapng -Y 'tcp.flags.syn==1 && tcp.flags.ack==1 && frame.packet_flags_direction==2' | wc -l)
[ "$n" = 1 ] || fail "the SYN-ACK is not marked outbound"
capinfos all.pcapng 2>/dev/null | grep -q 'pcapng' || fail "capinfos: not pcapng"
tshark -r all.pcapng -T fields -e frame.number -e frame.time_epoch -e frame.interface_name \
	-e ip.src -e ipv6.src -e tcp.srcport -e tcp.analysis.zero_window \
	-e tcp.analysis.retransmission 2>/dev/null | sed 's/^/  tshark: /'

# 2. a window and a connection (tuple fragment), ISO-8601 and epoch forms
expect_rc 0 "$NT" pcap tape --from "$FROM" --to 2025-11-22T02:00:05Z --conn 198.18.0.2:443 -o w.pcapng
n=$(ts w.pcapng | wc -l)
[ "$n" = 8 ] || fail "window+conn: $n frames, want 8 (connection A only)"
ts w.pcapng -T fields -e ip.src | grep -q 10.99.88.77 && fail "connection C leaked into the selection"
# the same window with an offset, and by time of day on the tape's day (the forms replay and
# report always took: one grammar for every command)
expect_rc 0 "$NT" pcap tape --from "$FROM" --to 2025-11-22T03:00:05+01:00 --conn 198.18.0.2:443 -o w2.pcapng
[ "$(ts w2.pcapng | wc -l)" = 8 ] || fail "window with an offset: $(ts w2.pcapng | wc -l) frames, want 8"
expect_rc 0 "$NT" pcap tape --from 01:00 --to 02:00:05 --conn 198.18.0.2:443 -o w3.pcapng
[ "$(ts w3.pcapng | wc -l)" = 8 ] || fail "window by time of day: $(ts w3.pcapng | wc -l) frames, want 8"
expect_rc 0 "$NT" pcap tape --conn cookie:1001 --conn cookie:1002 -o c2.pcapng
[ "$(ts c2.pcapng | wc -l)" -ge 8 ] || fail "two --conn alternatives: fewer frames than one"
# by cookie: the SYN recorded without a cookie matches through the socket's tuple
expect_rc 0 "$NT" pcap tape --conn 1001 -o c.pcapng
n=$(ts c.pcapng | wc -l)
[ "$n" = 8 ] || fail "--conn 1001: $n frames, want 8"
expect_rc 0 "$NT" pcap tape --conn '[2001:db8:bb::2]:8443' -o v6.pcapng
n=$(ts v6.pcapng -Y 'ipv6 && tcp.options.wscale.shift==7' | wc -l)
[ "$n" = 1 ] || fail "--conn v6: $n frames, want the SYN with window scale"
expect_rc 0 "$NT" pcap tape --conn 198.18.0.1:45678-198.18.0.2:443 --from 1763776800.5 --to "$TO" -o ab.pcapng
n=$(ts ab.pcapng | wc -l)
[ "$n" = 3 ] || fail "A-B after 0.5 s: $n frames, want 3"

# 3. classic pcap (nanosecond magic), also chosen by the .pcap extension
expect_rc 0 "$NT" pcap tape -F pcap -o all.cap
[ "$(od -An -tx1 -N4 all.cap | tr -d ' ')" = 4d3cb2a1 ] || fail "classic pcap: not the ns magic"
expect_rc 0 "$NT" pcap tape -o ext.pcap
cmp -s all.cap ext.pcap || fail ".pcap extension did not select classic pcap"
n=$(ts all.cap | wc -l)
[ "$n" = 11 ] || fail "classic: $n frames"
[ "$(ts all.cap -Y tcp.analysis.zero_window | wc -l)" = 1 ] || fail "classic: zero window lost"
[ "$(ts all.cap -Y 'tcp.analysis.retransmission && tcp.len==100' | wc -l)" = 1 ] || fail "classic: retransmission lost"
first=$(ts all.cap -Y 'tcp.flags.syn==1 && tcp.flags.ack==0 && ip.src==198.18.0.1' -T fields -e frame.time_epoch)
[ "$first" = "$T_SYN" ] || fail "classic: SYN at $first"

# 4. standard output
"$NT" pcap tape -o - 2>/dev/null | tshark -r - 2>/dev/null | wc -l | grep -qx 11 || fail "-o - to a pipe"

# 5. nothing selected: a valid empty capture and a warning
expect_rc 0 "$NT" pcap tape --from 1 --to 2 -o empty.pcapng
grep -q 'warning: no packet' err.txt || fail "no warning for an empty capture"
tshark -r empty.pcapng >/dev/null 2>&1 || fail "empty pcapng is not readable"
expect_rc 0 "$NT" pcap tape --from 1 --to 2 -F pcap -o empty.cap
tshark -r empty.cap >/dev/null 2>&1 || fail "empty pcap is not readable"

# 6. bad input: exit 1, one line
expect_rc 1 "$NT" pcap no-such-tape -o x.pcapng
head -c 4096 /dev/urandom >garbage.ntc
expect_rc 1 "$NT" pcap garbage.ntc -o x.pcapng
expect_rc 1 "$NT" pcap tape -o no-such-dir/x.pcapng
[ ! -e x.pcapng ] || fail "output left after a failure"

# 7. bad flags: exit 2
expect_rc 2 "$NT" pcap tape
expect_rc 2 "$NT" pcap -o x.pcapng
expect_rc 2 "$NT" pcap tape --bogus -o x.pcapng
expect_rc 2 "$NT" pcap tape -F pcapx -o x.pcapng
expect_rc 2 "$NT" pcap tape --conn 1.2.3 -o x.pcapng
expect_rc 2 "$NT" pcap tape --conn 198.18.0.2:99999 -o x.pcapng
expect_rc 2 "$NT" pcap tape --from yesterday -o x.pcapng
expect_rc 2 "$NT" pcap tape --from "$TO" --to "$FROM" -o x.pcapng
expect_rc 0 "$NT" pcap --help
grep -q Examples out.txt || fail "--help without examples"
echo "PASS: nettape pcap"
