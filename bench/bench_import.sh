#!/bin/bash
# bench_import.sh: import events per CPU second (user + sys) of this tree's nettape against a baseline built from another commit (default main) in the same run, and their ratio.
#
# Usage: bench_import.sh NETTAPE NETTAPE-SYNTH WORKDIR [RUNS] [EVENTS]
#   NETTAPE        the nettape binary to measure (a Release build)
#   NETTAPE-SYNTH  writes the tape: nettape-synth bulk WORKDIR/bulk-EVENTS --events EVENTS
#   RUNS           runs of each binary, alternating baseline and this one (default 5)
#   EVENTS         events in the synthetic tape (default 10000000)
# Environment:
#   BENCH_BASE_REF   commit the baseline is built from (default main); BENCH_BASE=path/to/nettape
#                    uses a baseline binary instead of building one
#   BENCH_SRC        the source tree (default: the repository this script is in)
#   BENCH_EXTRA_TAPE a second tape (e.g. a recorded one) imported the same way, reported apart
# The machine is shared: each figure is the median of RUNS runs, CPU time from the
# process itself (/usr/bin/time %U + %S), never wall time. Every run writes a new database.
# The rows of the last run of each binary are compared (every table, in rowid order; the
# import time of chunks aside) and the script fails when they differ.
set -eu
NT=$(readlink -f "$1") SYNTH=$(readlink -f "$2") WORK=$3 RUNS=${4:-5} EVENTS=${5:-10000000}
SRC=${BENCH_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
REF=${BENCH_BASE_REF:-main}
mkdir -p "$WORK"
WORK=$(readlink -f "$WORK")

if [ -n "${BENCH_BASE:-}" ]; then
	BASE=$(readlink -f "$BENCH_BASE")
else
	rev=$(git -C "$SRC" rev-parse --short "$REF")
	BASE=$WORK/base-$rev/build/analyzer/nettape
	if [ ! -x "$BASE" ]; then
		echo "bench: building the baseline nettape from $REF ($rev) in $WORK/base-$rev ..." >&2
		rm -rf "$WORK/base-$rev" && mkdir -p "$WORK/base-$rev/src"
		git -C "$SRC" archive "$rev" | tar -x -C "$WORK/base-$rev/src"
		cmake -S "$WORK/base-$rev/src" -B "$WORK/base-$rev/build" -DCMAKE_BUILD_TYPE=Release \
			-DNETTAPE_WERROR=ON -DCMAKE_C_COMPILER=gcc > /dev/null
		nice -n 10 cmake --build "$WORK/base-$rev/build" -j2 --target nettape > /dev/null
	fi
fi

TAPE=$WORK/bulk-$EVENTS
if [ ! -d "$TAPE" ]; then
	echo "bench: writing a synthetic tape of $EVENTS events (nettape-synth bulk) ..." >&2
	"$SYNTH" bulk "$TAPE" --events "$EVENTS" > /dev/null
fi

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# rows DB OUT: every table's rows in rowid order (chunks without imported_at).
rows() {
	local t cols
	: > "$2"
	for t in $(sqlite3 "$1" "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"); do
		cols=$(sqlite3 "$1" "SELECT group_concat(name) FROM pragma_table_info('$t') WHERE name <> 'imported_at'")
		echo "table $t" >> "$2"
		sqlite3 "$1" "SELECT $cols FROM \"$t\" ORDER BY rowid" >> "$2"
	done
}

# measure NAME TAPE: RUNS alternating imports of TAPE by both binaries; prints one block.
measure() {
	local name=$1 tape=$2 i who
	: > "$WORK/$name.base" ; : > "$WORK/$name.new"
	for i in $(seq "$RUNS"); do
		for who in base new; do
			local bin=$BASE
			[ "$who" = new ] && bin=$NT
			rm -f "$WORK/$name-$who.db"
			/usr/bin/time -f "%U %S" -o "$WORK/t" "$bin" import -q "$tape" -o "$WORK/$name-$who.db"
			awk '{print $1 + $2, $1, $2}' "$WORK/t" >> "$WORK/$name.$who"
		done
	done
	local ev
	ev=$(sqlite3 "$WORK/$name-new.db" "SELECT sum(events) FROM chunks")
	rows "$WORK/$name-base.db" "$WORK/$name-base.rows"
	rows "$WORK/$name-new.db" "$WORK/$name-new.rows"
	local same=identical
	cmp -s "$WORK/$name-base.rows" "$WORK/$name-new.rows" || same=DIFFERENT
	local bc nc bu nu bs ns
	bc=$(cut -d' ' -f1 "$WORK/$name.base" | median); nc=$(cut -d' ' -f1 "$WORK/$name.new" | median)
	bu=$(cut -d' ' -f2 "$WORK/$name.base" | median); nu=$(cut -d' ' -f2 "$WORK/$name.new" | median)
	bs=$(cut -d' ' -f3 "$WORK/$name.base" | median); ns=$(cut -d' ' -f3 "$WORK/$name.new" | median)
	awk -v name="$name" -v ev="$ev" -v bc="$bc" -v nc="$nc" -v bu="$bu" -v nu="$nu" -v bs="$bs" -v ns="$ns" \
	    -v runs="$RUNS" -v same="$same" -v ref="$REF" 'BEGIN {
		printf "%s: %d events, medians of %d alternating runs, CPU = user + sys of the import process\n", name, ev, runs
		printf "  %-22s %7s %7s %7s %18s\n", "", "CPU s", "user", "sys", "events / CPU s"
		printf "  %-22s %7.2f %7.2f %7.2f %18.0f\n", "baseline (" ref ")", bc, bu, bs, ev / bc
		printf "  %-22s %7.2f %7.2f %7.2f %18.0f\n", "this tree", nc, nu, ns, ev / nc
		printf "  ratio (this / baseline): %.3fx events per CPU second (user only: %.3fx); rows %s\n", bc / nc, bu / nu, same
	}'
	[ "$same" = identical ]
}

measure bulk "$TAPE"
if [ -n "${BENCH_EXTRA_TAPE:-}" ]; then
	measure extra "$BENCH_EXTRA_TAPE"
fi
