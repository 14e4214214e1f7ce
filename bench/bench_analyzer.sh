#!/bin/sh
# bench_analyzer.sh: analyzer benchmarks: import events/s (one core), report time on a large database, database bytes per event.
# Usage: bench_analyzer.sh NETTAPE NETTAPE-SYNTH WORKDIR [EVENTS] [RUNS]
# Build with -DCMAKE_BUILD_TYPE=Release (no sanitizers). The machine is noisy: each number is the
# median of RUNS runs, with user CPU time next to wall time (import is single-threaded).
set -eu
nettape=$1 synth=$2 work=$3 events=${4:-10000000} runs=${5:-3}
mkdir -p "$work"
tape="$work/bulk-$events"
if [ ! -d "$tape" ]; then
	echo "bench: writing a synthetic tape of $events events (nettape-synth bulk) ..."
	"$synth" bulk "$tape" --events "$events"
fi
tape_bytes=$(du -sb "$tape" | cut -f1)
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: > "$work/import.times"
for i in $(seq "$runs"); do
	rm -f "$work/bench.db"
	/usr/bin/time -f "%e %U" -o "$work/t" "$nettape" import -q "$tape" -o "$work/bench.db"
	cat "$work/t" >> "$work/import.times"
done
imp_wall=$(cut -d' ' -f1 "$work/import.times" | median)
imp_user=$(cut -d' ' -f2 "$work/import.times" | median)
rows=$("$nettape" query "$work/bench.db" "SELECT sum(events) FROM chunks" --format csv | tail -1)
db_bytes=$(wc -c < "$work/bench.db")
: > "$work/report.times"
for i in $(seq "$runs"); do
	/usr/bin/time -f "%e %U" -o "$work/t" "$nettape" report "$work/bench.db" > "$work/report.txt"
	cat "$work/t" >> "$work/report.times"
done
rep_wall=$(cut -d' ' -f1 "$work/report.times" | median)
/usr/bin/time -f "%e" -o "$work/t" "$nettape" report "$work/bench.db" --format html -o "$work/report.html"
html_wall=$(cat "$work/t")
awk -v ev="$rows" -v iw="$imp_wall" -v iu="$imp_user" -v rw="$rep_wall" -v hw="$html_wall" \
    -v db="$db_bytes" -v tb="$tape_bytes" -v runs="$runs" 'BEGIN {
	printf "events imported        %d (tape %.1f MB, %.1f bytes/event)\n", ev, tb / 1e6, tb / ev
	printf "import wall            %.2f s  -> %.0f events/s (median of %d)\n", iw, ev / iw, runs
	printf "import user CPU        %.2f s  -> %.0f events/s per core\n", iu, ev / iu
	printf "report (text) wall     %.2f s\n", rw
	printf "report (html) wall     %.2f s\n", hw
	printf "database size          %.1f MB -> %.1f bytes/event (with indexes)\n", db / 1e6, db / ev
}'
