#!/bin/bash
# bench_clickhouse.sh: the fleet store in one run: import rate into ClickHouse vs the SQLite import of the same tapes, fleet query times, bytes per event in ClickHouse, SQLite and the tape.
# Usage: bench_clickhouse.sh NETTAPE NETTAPE-SYNTH WORKDIR [HOSTS] [EVENTS_PER_HOST] [RUNS]
# Build with -DCMAKE_BUILD_TYPE=Release. Starts its own ClickHouse server on loopback (tests/clickhouse/lib_ch.sh)
# and stops it by its pid. The machine is noisy: import times are medians of RUNS runs (each into a fresh
# database), query times medians of 5; the ratios come from the same run.
set -euo pipefail
N=$1 SYNTH=$2 W=$3 HOSTS=${4:-100} EV=${5:-100000} RUNS=${6:-1}
source "$(dirname "$0")/../tests/clickhouse/lib_ch.sh"
ch_need_server
mkdir -p "$W"
trap ch_stop EXIT
tapes=()
for i in $(seq -f %03g 1 "$HOSTS"); do
	d=$W/tapes-$HOSTS-$EV/host$i
	[[ -d $d ]] || "$SYNTH" bulk "$d" --host "host$i" --events "$EV" >/dev/null
	tapes+=("$d")
done
tape_bytes=$(du -sb "$W/tapes-$HOSTS-$EV" | cut -f1)
rm -rf "$W/server"
ch_start "$W/server"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", e - s }'; }
# CPU seconds (user + system) of the server process so far.
srv_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f\n", ($14 + $15) / hz }' "/proc/$CH_PID/stat"; }
: > "$W/sq.times"; : > "$W/ch.times"; : > "$W/sq.cpu"; : > "$W/ch.cpu"; : > "$W/srv.cpu"
for r in $(seq "$RUNS"); do
	rm -f "$W/fleet.db"
	/usr/bin/time -f "%e %U %S" -o "$W/tm" "$N" import -q "${tapes[@]}" -o "$W/fleet.db"
	awk '{ print $1 > "'"$W/sq.times.1"'"; print $2 + $3 }' "$W/tm" >> "$W/sq.cpu"; cat "$W/sq.times.1" >> "$W/sq.times"
	ch_sql "DROP DATABASE IF EXISTS fleet"; ch_sql "CREATE DATABASE fleet"
	c0=$(srv_cpu)
	/usr/bin/time -f "%e %U %S" -o "$W/tm" "$N" import -q "${tapes[@]}" --into "$CH_URL/fleet"
	c1=$(srv_cpu)
	awk '{ print $1 > "'"$W/ch.times.1"'"; print $2 + $3 }' "$W/tm" >> "$W/ch.cpu"; cat "$W/ch.times.1" >> "$W/ch.times"
	awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }' >> "$W/srv.cpu"
done
events=$("$N" query "$W/fleet.db" "SELECT sum(events) FROM chunks" --format csv | tail -1)
ch_events=$(ch_db fleet "SELECT sum(events) FROM chunks FINAL")
[[ $events == "$ch_events" ]] || { echo "bench: SQLite has $events events, ClickHouse $ch_events" >&2; exit 1; }
sq=$(median < "$W/sq.times"); chs=$(median < "$W/ch.times")
sqc=$(median < "$W/sq.cpu"); chc=$(median < "$W/ch.cpu"); srvc=$(median < "$W/srv.cpu")
db_bytes=$(stat -c %s "$W/fleet.db")
ch_sql "OPTIMIZE TABLE fleet.samples FINAL" >/dev/null 2>&1 || true
ch_bytes=$(ch_sql "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'fleet' AND active")
ch_comp=$(ch_sql "SELECT sum(data_compressed_bytes) FROM system.parts WHERE database = 'fleet' AND active")
printf "hosts x events/host       %d x %d = %d events (synthetic bulk tapes)\n" "$HOSTS" "$EV" "$events"
awk -v ev="$events" -v s="$sq" -v c="$chs" -v runs="$RUNS" -v sc="$sqc" -v cc="$chc" -v vc="$srvc" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
	printf "SQLite import             %.2f s wall -> %.0f events/s (median of %d); %.2f CPU s -> %.0f events per CPU s\n", s, ev / s, runs, sc, ev / sc
	printf "ClickHouse import         %.2f s wall -> %.0f events/s (%.2fx the SQLite import); nettape %.2f CPU s + server %.2f CPU s -> %.0f events per CPU s (%.2fx)\n", c, ev / c, s / c, cc, vc, ev / (cc + vc), sc / (cc + vc)
	printf "load average at the end   %s (2 cores, shared)\n", load }'
for q in fleet-zero-window fleet-drops fleet-retransmits fleet-listen-overflows fleet-hosts; do
	: > "$W/q.times"
	for r in 1 2 3 4 5; do t "$N" query "$CH_URL/fleet" --run $q --format csv >> "$W/q.times"; done
	printf "query %-22s %.3f s (median of 5, over %d events)\n" "$q" "$(median < "$W/q.times")" "$events"
done
: > "$W/q.times"
for r in 1 2 3 4 5; do t "$N" query "$W/fleet.db" "SELECT c.host_id, sum(s.kind = 1) FROM samples s JOIN connections c USING (conn_id) GROUP BY c.host_id" --format csv >> "$W/q.times"; done
printf "same on SQLite (zero-window edges per host, one scan)  %.3f s\n" "$(median < "$W/q.times")"
: > "$W/q.times"
for r in 1 2 3; do t "$N" report "$CH_URL/fleet" --host host001 >> "$W/q.times"; done
printf "report of one host from ClickHouse  %.3f s (median of 3)\n" "$(median < "$W/q.times")"
awk -v ev="$events" -v tb="$tape_bytes" -v db="$db_bytes" -v cb="$ch_bytes" -v cc="$ch_comp" 'BEGIN {
	printf "bytes/event: tape %.2f, SQLite %.2f (with indexes), ClickHouse %.2f on disk (%.2f compressed column data)\n",
		tb / ev, db / ev, cb / ev, cc / ev }'
