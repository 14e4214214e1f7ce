#!/bin/bash
# follow.sh: 'nettape import --follow DIR --into URL' ships chunks as a tape grows (a .partial that grows, then closes), survives a restart of itself and of the server, and ends with exactly the rows of an SQLite import of the finished tape.
# Usage: follow.sh NETTAPE NETTAPE-SYNTH WORKDIR
set -euo pipefail
source "$(dirname "$0")/lib_ch.sh"
ch_test_init "$@"
FPID=
cleanup() { [[ -n $FPID ]] && { kill "$FPID" 2>/dev/null; wait "$FPID" 2>/dev/null || true; }; ch_stop; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -5 "$W/follow.log" 2>/dev/null; exit 1; }
ch_fleet_server
"$SYNTH" bulk "$W/full" --host f1 --events 100000 --chunk-size 100000 >/dev/null
mapfile -t chunks < <(ls "$W/full"/chunk-*)
((${#chunks[@]} >= 3)) || fail "want 3 chunks or more, have ${#chunks[@]}"
T=$W/tape; mkdir -p "$T"
follow() { "$N" import --follow "$T" --into "$URL" --interval 0.2s >>"$W/follow.log" 2>&1 & FPID=$!; }
stop_follow() { kill -TERM "$FPID"; wait "$FPID" || fail "--follow exited $? on SIGTERM"; FPID=; }
# until_events N: waits until ClickHouse holds N events of the tape
until_events() {
	for _ in $(seq 1 150); do
		[[ $(ch_db fleet "SELECT sum(events) FROM chunks FINAL" 2>/dev/null) == "$1" ]] && return 0
		sleep 0.2
	done
	fail "ClickHouse did not reach $1 events (has $(ch_db fleet "SELECT sum(events) FROM chunks FINAL" 2>/dev/null))"
}
events_of() { "$N" import -q "$@" -o "$W/probe.db" && "$N" query "$W/probe.db" "SELECT sum(events) FROM chunks" --format csv | tail -1; rm -f "$W/probe.db"; }

follow
# The first chunk grows: a third, then two thirds, then closed (renamed).
c1=${chunks[0]}; b=$(basename "$c1"); size=$(stat -c %s "$c1")
head -c $((size / 3)) "$c1" > "$T/$b.partial"
until_events "$(events_of "$T")"
head -c $((2 * size / 3)) "$c1" > "$T/$b.partial.tmp"; mv "$T/$b.partial.tmp" "$T/$b.partial"
until_events "$(events_of "$T")"
cp "$c1" "$T/$b.tmp"; mv "$T/$b.tmp" "$T/$b"; rm "$T/$b.partial"
until_events "$(events_of "$T")"
echo "ok: a growing .partial is shipped as it grows and when it closes"
# The importer restarts.
stop_follow
cp "${chunks[1]}" "$T/"
follow
until_events "$(events_of "$T")"
echo "ok: --follow restarted, continued"
# The server goes away and comes back (same ports, same data); chunks arrive meanwhile.
ch_kill "$CH_PID"
for c in "${chunks[@]:2}"; do cp "$c" "$T/"; done
sleep 1
kill -0 "$FPID" || fail "--follow exited while the server was down"
ch_run "$CH_DIR"
until_events "$(events_of "$T")"
grep -q "answers again" "$W/follow.log" || fail "no message when the server came back"
stop_follow
echo "ok: --follow survived a server restart"
# Everything, once: the same as an SQLite import of the finished tape.
"$N" import -q "$W/full" -o "$W/full.db"
for t in samples drops retransmits states; do
	want=$("$N" query "$W/full.db" "SELECT count(*) FROM $t" --format csv | tail -1)
	got=$(ch_db fleet "SELECT count() FROM $t")
	[[ "$want" == "$got" ]] || fail "$t: SQLite $want rows, ClickHouse $got"
done
"$N" report "$W/full.db" --format json > "$W/sqlite.json"
"$N" report "$URL" --format json > "$W/ch.json"
# Paths differ (tape/ vs full/) but reports do not name them; the chunk count and events must agree.
cmp -s "$W/sqlite.json" "$W/ch.json" || { diff "$W/sqlite.json" "$W/ch.json" | head; fail "report after --follow differs from SQLite's"; }
echo "ok: after --follow ClickHouse holds exactly the finished tape (report identical)"
