#!/bin/bash
# bench_recorder.sh: cost of nettape-record on an iperf3 bulk transfer between two namespaces, against tcpdump, trace-cmd, perf record and an empty tcp_probe program.
#
# Usage: [PROBE_FLOOR=path/to/probe_floor] bench_recorder.sh NETTAPE_RECORD [PAIRS] [SECONDS]
#   PAIRS    paired runs (baseline, with recorder, baseline), default 3
#   SECONDS  iperf3 duration, default 10
# Prints one table: throughput ratio (median of paired runs, each measured
# run against the mean of the baselines around it), CPU seconds of the tool
# (nettape: also its own split into start and recording), the CPU ratio
# against the reference tool (snippet rows: tcpdump -s128 -w; nettape:
# trace-cmd), events, lost, bytes on disk, bytes per event, tcp_probe ns
# (bpf_stats) and its ratio to the empty program (the floor, measured in the
# same bpf_stats run on the same tracepoint; medians of STATS_RUNS (3) such
# runs, the ratio the median of the per-run ratios).
# Needs root, iperf3; tcpdump, trace-cmd and perf rows are skipped when
# missing, the floor when PROBE_FLOOR (default: bench/probe_floor of the
# recorder's build directory) is missing.
# BENCH_TOOLS="nettape" (or any subset of "nettape nettape-idle nettape+pcap
# nettape+fire tcpdump trace-cmd perf") limits the tools measured.
# nettape+pcap arms packet snippets (--pcap tcp) without a trigger;
# nettape+fire also fires a manual trigger (SIGUSR2) mid-run, so 4 s of every
# packet are written as snippets; nettape-idle records SECONDS without
# traffic (one run).
set -u
REC=$(readlink -f "$1")
FLOOR=${PROBE_FLOOR:-$(dirname "$REC")/../bench/probe_floor}
PAIRS=${2:-3}
SECS=${3:-10}
STATS_RUNS=${STATS_RUNS:-3}
PROBE_VS=
NS_A=ntrec-bench-a
NS_B=ntrec-bench-b
WORK=$(mktemp -d /tmp/ntrec-bench.XXXXXX)
PIDS=()
EVENTS="tcp:tcp_probe skb:kfree_skb tcp:tcp_retransmit_skb sock:inet_sock_set_state"
TRACEFS=/sys/kernel/tracing

cleanup() {
	local p
	for p in "${PIDS[@]}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
	ip netns del $NS_A 2>/dev/null
	ip netns del $NS_B 2>/dev/null
	# trace-cmd -k leaves its events on: switch them off again.
	for e in $EVENTS; do
		[ -w "$TRACEFS/events/${e%%:*}/${e#*:}/enable" ] &&
			echo 0 >"$TRACEFS/events/${e%%:*}/${e#*:}/enable"
	done
	[ -w $TRACEFS/tracing_on ] && echo 1 >$TRACEFS/tracing_on
	[ -n "${OLD_STATS:-}" ] && sysctl -qw kernel.bpf_stats_enabled="$OLD_STATS"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "bench_recorder: needs root"; exit 77; }
# trace-cmd and perf read tracefs (nettape does not); a fresh machine may not have it mounted.
if [ ! -d $TRACEFS/events ] && ! mount -t tracefs nodev $TRACEFS; then
	echo "bench_recorder: tracefs is not mounted and cannot be (mount -t tracefs nodev $TRACEFS)" >&2
	exit 1
fi
command -v iperf3 >/dev/null || { echo "bench_recorder: needs iperf3"; exit 77; }

ip netns del $NS_A 2>/dev/null; ip netns del $NS_B 2>/dev/null
ip netns add $NS_A; ip netns add $NS_B
ip link add ntrec-ba type veth peer name ntrec-bb
ip link set ntrec-ba netns $NS_A; ip link set ntrec-bb netns $NS_B
ip -n $NS_A addr add 198.18.2.1/30 dev ntrec-ba
ip -n $NS_B addr add 198.18.2.2/30 dev ntrec-bb
for ns in $NS_A $NS_B; do ip -n $ns link set lo up; done
ip -n $NS_A link set ntrec-ba up; ip -n $NS_B link set ntrec-bb up

ip netns exec $NS_B taskset -c 1 iperf3 -s -p 5201 >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.5
# bpf_stats (run time per program) costs two clock reads per program run: it
# is on only in one extra nettape run at the end that measures tcp_probe ns,
# never in the paired runs whose throughput is compared.
OLD_STATS=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=0

# iperf3 run; prints bits per second received.
run_iperf() {
	ip netns exec $NS_A taskset -c 0 iperf3 -c 198.18.2.2 -p 5201 -P4 -t "$SECS" -J 2>/dev/null |
		python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]))'
}

# CPU seconds (user+sys, children included) of a command run under time(1).
cpu_of() { awk '{print $1 + $2}' "$1"; }

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

declare -A RATIO CPU EVENTS_N LOST BYTES PROBE SNIP FIRES OWN_START OWN_RUN
FLOOR_NS=
FLOORS=
IDLE_MS=

measure() { # measure TOOL: one paired run, appends to the result lists
	local tool=$1 b1 b2 m out=$WORK/$1.$2 rp fp=
	if [ "$tool" = nettape-idle ]; then
		rm -rf "$out"; mkdir -p "$out"
		/usr/bin/time -f "%U %S" -o "$out.time" "$REC" -o "$out/tape" --status-interval 0 \
			-d "${SECS}s" >"$out.log" 2>&1
		CPU[$tool]+="$(cpu_of "$out.time") "
		OWN_START[$tool]+="$(sed -n 's/.*own CPU: \([0-9.]*\) s to start.*/\1/p' "$out.log") "
		OWN_RUN[$tool]+="$(sed -n 's/.*s to start, \([0-9.]*\) s recording.*/\1/p' "$out.log") "
		IDLE_MS=$(sed -n 's/.*(\([0-9.]*\) ms\/s).*/\1/p' "$out.log")
		rm -rf "$out"
		return
	fi
	b1=$(run_iperf)
	rm -rf "$out"; mkdir -p "$out"
	case $tool in
	nettape*)
		local extra=()
		# nettape+pcap: packet snippets armed (libpcap ring of every TCP packet
		# in the sender's namespace), no fire: the standing cost.
		# nettape+fire: the same, and a manual trigger (SIGUSR2, all
		# connections) in the middle: every packet of T-2s..T+2s written.
		# Automatic triggers stay at their default (all) in the nettape row
		# (what they fire on a bulk transfer is listed under the table) and
		# are off in the snippet rows, so that those measure the ring alone
		# and one fire respectively.
		[[ $tool != nettape ]] && extra=(--pcap tcp --pcap-netns $NS_A --pcap-pre 2s --pcap-post 2s
			--triggers none)
		: >"$out.log"   # exists before the poll below reads it
		/usr/bin/time -f "%U %S" -o "$out.time" "$REC" -o "$out/tape" --status-interval 0 \
			"${extra[@]}" >"$out.log" 2>&1 &
		rp=$!
		for _ in $(seq 50); do grep -q "recording to" "$out.log" && break; sleep 0.1; done
		;;
	tcpdump)
		/usr/bin/time -f "%U %S" -o "$out.time" ip netns exec $NS_A tcpdump -i any -n -s 128 \
			-w "$out/cap.pcap" tcp >"$out.log" 2>&1 &
		rp=$!
		for _ in $(seq 50); do grep -q "listening on" "$out.log" && break; sleep 0.1; done
		;;
	trace-cmd)
		/usr/bin/time -f "%U %S" -o "$out.time" trace-cmd record -k -d --compression zstd \
			$(for e in $EVENTS; do printf -- "-e %s " "$e"; done) -o "$out/trace.dat" \
			>"$out.log" 2>&1 &
		rp=$!
		sleep 2
		;;
	perf)
		/usr/bin/time -f "%U %S" -o "$out.time" perf record -a -q \
			$(for e in $EVENTS; do printf -- "-e %s " "$e"; done) -o "$out/perf.data" \
			>"$out.log" 2>&1 &
		rp=$!
		sleep 2
		;;
	esac
	PIDS+=($rp)
	if [ "${3:-}" = stats ] && [ -x "$FLOOR" ]; then
		"$FLOOR" >"$out.floor" 2>&1 &
		fp=$!
		PIDS+=($fp)
		for _ in $(seq 50); do grep -q "attached" "$out.floor" && break; sleep 0.1; done
	fi
	if [[ $tool == nettape+fire ]]; then
		(sleep $((SECS / 2)); kill -USR2 $(pgrep -P $rp) 2>/dev/null) &
	fi
	m=$(run_iperf)
	sleep 0.5
	kill -INT $(pgrep -P $rp) 2>/dev/null
	wait $rp
	b2=$(run_iperf)
	if [ -n "$fp" ]; then
		kill -INT $fp 2>/dev/null
		wait $fp
		FLOORS+="$(sed -n 's/.*tcp_probe empty \([0-9.]*\) ns.*/\1/p' "$out.floor") "
	fi
	if [ "${3:-}" = stats ]; then # the bpf_stats run: tcp_probe ns only
		local pn fl
		pn=$(sed -n 's/.*tcp_probe \([0-9.]*\) ns.*/\1/p' "$out.log")
		fl=$(sed -n 's/.*tcp_probe empty \([0-9.]*\) ns.*/\1/p' "$out.floor" 2>/dev/null)
		PROBE[$tool]+="$pn "
		# the ratio of each run: both programs saw the same segments
		[ -n "$pn" ] && [ -n "$fl" ] && PROBE_VS+="$(python3 -c "print($pn / $fl)") "
		rm -rf "$out"
		return
	fi
	RATIO[$tool]+="$(python3 -c "print($m / (($b1 + $b2) / 2))") "
	CPU[$tool]+="$(cpu_of "$out.time") "
	BYTES[$tool]+="$(du -sb "$out" | cut -f1) "
	case $tool in
	nettape*)
		OWN_START[$tool]+="$(sed -n 's/.*own CPU: \([0-9.]*\) s to start.*/\1/p' "$out.log") "
		OWN_RUN[$tool]+="$(sed -n 's/.*s to start, \([0-9.]*\) s recording.*/\1/p' "$out.log") "
		[[ $tool == nettape ]] || SNIP[$tool]+="$(sed -n 's/.*snippets: [0-9]* packets seen, \([0-9]*\) written.*/\1/p' "$out.log" | tail -1) "
		EVENTS_N[$tool]+="$(sed -n 's/.*stopped: \([0-9]*\) events.*/\1/p' "$out.log") "
		LOST[$tool]+="$(sed -n 's/.*events, \([0-9]*\) lost.*/\1/p' "$out.log") "
		# what fired, e.g. "rtt_spike:2,manual:1" ("-" for none)
		# (one log line per fire; the retention's "pin #N keeps" line of the same fire is not counted)
		FIRES[$tool]+="$(grep -v ': pin #[0-9]* keeps chunks' "$out.log" | sed -n 's/.*trigger \([a-z_]*\): .*/\1/p' | sort | uniq -c |
			awk '{printf "%s%s:%s", (NR > 1 ? "," : ""), $2, $1} END {if (!NR) printf "-"}') "
		;;
	tcpdump)
		EVENTS_N[$tool]+="$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$out.log") "
		LOST[$tool]+="$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$out.log") "
		;;
	trace-cmd)
		EVENTS_N[$tool]+="$(trace-cmd report -i "$out/trace.dat" 2>/dev/null | grep -c ': \(tcp_probe\|kfree_skb\|tcp_retransmit_skb\|inet_sock_set_state\):') "
		LOST[$tool]+="? "
		for e in $EVENTS; do echo 0 >"$TRACEFS/events/${e%%:*}/${e#*:}/enable"; done
		echo 1 >$TRACEFS/tracing_on
		;;
	perf)
		EVENTS_N[$tool]+="$(perf script -i "$out/perf.data" 2>/dev/null | wc -l) "
		LOST[$tool]+="$(perf report -i "$out/perf.data" --stats 2>/dev/null | awk '/LOST/ {s+=$NF} END {print s+0}') "
		;;
	esac
	rm -rf "$out"
}

TOOLS="nettape nettape-idle nettape+pcap nettape+fire"
command -v tcpdump >/dev/null && TOOLS+=" tcpdump"
command -v trace-cmd >/dev/null && TOOLS+=" trace-cmd"
command -v perf >/dev/null && TOOLS+=" perf"
TOOLS=${BENCH_TOOLS:-$TOOLS}
for tool in $TOOLS; do
	n=$PAIRS
	[ "$tool" = nettape-idle ] && n=1
	for i in $(seq "$n"); do
		echo "bench_recorder: $tool run $i/$n" >&2
		measure "$tool" "$i"
	done
done
# tcp_probe ns per call: one more nettape run with bpf_stats on, kept apart.
if [[ " $TOOLS " == *" nettape "* ]]; then
	sysctl -qw kernel.bpf_stats_enabled=1
	for i in $(seq "$STATS_RUNS"); do
		echo "bench_recorder: nettape run with bpf_stats $i/$STATS_RUNS (tcp_probe ns only)" >&2
		measure nettape "stats$i" stats
	done
	sysctl -qw kernel.bpf_stats_enabled=0
	FLOOR_NS=$(echo $FLOORS | tr ' ' '\n' | grep . | median)
fi

med() { echo "$@" | tr ' ' '\n' | grep . | median; }
# ratio A B: A / B with 3 decimals, "-" when either is missing or B is 0
ratio() { python3 -c "import sys; a, b = sys.argv[1], sys.argv[2]; print(f'{float(a) / float(b):.3f}x' if a not in ('', '-') and b not in ('', '-') and float(b) else '-')" "${1:-}" "${2:-}"; }

printf "\niperf3 -P4 -t%s between two namespaces, %s paired runs, medians; %s, kernel %s\n" \
	"$SECS" "$PAIRS" "$(date -u +%Y-%m-%dT%H:%MZ)" "$(uname -r)"
printf "%-13s %11s %7s %7s %7s %9s %9s %6s %11s %8s %10s %9s %8s\n" tool throughput cpu_s start_s \
	rec_s cpu_vs events lost bytes bytes/ev tcp_probe vs_floor snippets
TD_CPU=$(med ${CPU[tcpdump]:-})
TC_CPU=$(med ${CPU[trace-cmd]:-})
if [ -n "$FLOOR_NS" ]; then
	printf "%-13s %11s %7s %7s %7s %9s %9s %6s %11s %8s %10s %9s %8s\n" "empty-prog" - - - - - - - - - \
		"$FLOOR_NS ns" 1.000x -
fi
for tool in $TOOLS; do
	r=-; [ -n "${RATIO[$tool]:-}" ] && r=$(printf "%.3fx" "$(med ${RATIO[$tool]})")
	c=$(med ${CPU[$tool]:-})
	st=-; [ -n "${OWN_START[$tool]:-}" ] && st=$(med ${OWN_START[$tool]})
	ru=-; [ -n "${OWN_RUN[$tool]:-}" ] && ru=$(med ${OWN_RUN[$tool]})
	n=$(med ${EVENTS_N[$tool]:-}); n=${n:--}
	b=$(med ${BYTES[$tool]:-}); b=${b:--}
	l=$(echo ${LOST[$tool]:-} | tr ' ' '\n' | sort | tail -1); l=${l:--}
	p=- pv=-
	if [ -n "${PROBE[$tool]:-}" ]; then
		p=$(med ${PROBE[$tool]})
		pv=-
		[ -n "$PROBE_VS" ] && pv=$(printf "%.3fx" "$(med $PROBE_VS)")
		p="$p ns"
	fi
	bpe=$(python3 -c "import sys; b, n = sys.argv[1], sys.argv[2]; print(f'{float(b) / float(n):.1f}' if n not in ('-', '', '0') and b != '-' else '-')" "$b" "$n")
	case $tool in
	nettape+*) cv=$(ratio "$c" "$TD_CPU") ;;   # against tcpdump -s128 -w
	nettape) cv=$(ratio "$c" "$TC_CPU") ;;     # against trace-cmd
	*) cv=- ;;
	esac
	sn=-; [ -n "${SNIP[$tool]:-}" ] && sn=$(med ${SNIP[$tool]})
	printf "%-13s %11s %7.2f %7s %7s %9s %9s %6s %11s %8s %10s %9s %8s\n" "$tool" "$r" "$c" "$st" "$ru" \
		"$cv" "$n" "$l" "$b" "$bpe" "$p" "$pv" "$sn"
done
echo "cpu_vs: snippet rows against tcpdump -s128 -w, nettape against trace-cmd; start_s/rec_s: the recorder's own CPU before and after 'recording to'"
# The snippets' own standing cost: recording CPU with the ring armed minus without.
if [ -n "${OWN_RUN[nettape+pcap]:-}" ] && [ -n "${OWN_RUN[nettape]:-}" ]; then
	d=$(python3 -c "import sys; print(f'{float(sys.argv[1]) - float(sys.argv[2]):.3f}')" \
		"$(med ${OWN_RUN[nettape+pcap]})" "$(med ${OWN_RUN[nettape]})")
	echo "snippets armed, own cost: ${d} CPU s (rec_s nettape+pcap - nettape) = $(ratio "$d" "$TD_CPU") of tcpdump's CPU"
fi
[ -n "$IDLE_MS" ] && echo "nettape-idle: ${IDLE_MS} ms of CPU per second while recording without traffic"
echo "trigger fires per run (kind:count, - = none):"
for tool in $TOOLS; do
	if [ -n "${FIRES[$tool]:-}" ]; then printf "  %-13s %s\n" "$tool" "${FIRES[$tool]}"; fi
done
