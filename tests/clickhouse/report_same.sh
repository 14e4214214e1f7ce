#!/bin/bash
# report_same.sh: tapes into a private ClickHouse server and into SQLite give byte-identical reports (text, JSON, markdown); importing twice adds nothing; a growing .partial continues; an interrupted batch is removed before it is sent again.
# Usage: report_same.sh NETTAPE NETTAPE-SYNTH WORKDIR
set -euo pipefail
source "$(dirname "$0")/lib_ch.sh"
ch_test_init "$@"
ch_fleet_server

"$SYNTH" all "$W/web1" --host web1 >/dev/null
"$SYNTH" zero-window "$W/db1" --host db1 >/dev/null
"$SYNTH" bulk "$W/bulk1" --host bulk1 --events 120000 --chunk-size 100000 >/dev/null
nchunks=$(ls "$W/bulk1" | grep -c '^chunk-')
[[ $nchunks -ge 3 ]] || fail "bulk tape has $nchunks chunks, want several"

"$N" import -q "$W/web1" "$W/db1" "$W/bulk1" --into "$URL" || fail "import into ClickHouse"
counts() { ch_db fleet "SELECT (SELECT count() FROM samples), (SELECT count() FROM drops), (SELECT count() FROM retransmits), (SELECT count() FROM connections FINAL), (SELECT sum(events) FROM chunks FINAL)"; }
before=$(counts)
"$N" import -q "$W/web1" "$W/db1" "$W/bulk1" --into "$URL" || fail "second import"
after=$(counts)
[[ "$before" == "$after" ]] || fail "a second import changed the rows: '$before' -> '$after'"

for h in web1 db1 bulk1; do
	"$N" import -q "$W/$h" -o "$W/$h.db"
	for f in text json markdown; do
		"$N" report "$W/$h.db" --format $f > "$W/$h.sqlite.$f"
		"$N" report "$URL" --host $h --format $f > "$W/$h.ch.$f" || fail "report from ClickHouse ($h, $f)"
		cmp -s "$W/$h.sqlite.$f" "$W/$h.ch.$f" || { diff "$W/$h.sqlite.$f" "$W/$h.ch.$f" | head -20; fail "$h: $f report from ClickHouse differs from SQLite's"; }
	done
	grep -q incident "$W/$h.sqlite.text" || grep -q "no incidents" "$W/$h.sqlite.text" || fail "$h: report looks empty"
done
echo "ok: reports from ClickHouse equal SQLite's for web1, db1, bulk1 (text, json, markdown); re-import added nothing"

# A window: the slice is the chunks that overlap it (web1's tape is one chunk, so the same report).
"$N" report "$W/web1.db" --from 02:00 --to 02:05 > "$W/win.sqlite"
"$N" report "$URL" --host web1 --from 02:00 --to 02:05 > "$W/win.ch"
cmp -s "$W/win.sqlite" "$W/win.ch" || { diff "$W/win.sqlite" "$W/win.ch" | head; fail "windowed report differs"; }
"$N" report "$URL" --host web1 --from 05:00 --to 05:05 2> "$W/win.err" | grep -q "Filter: *from 2026-" || fail "a window outside the data is resolved against the host's day"
grep -q "no chunk of this host overlaps" "$W/win.err" || fail "no warning for an empty window"
# Windows that cut bulk1's chunks in the middle: the slice is the chunks that overlap, the summary the host's.
mapfile -t ck < <("$N" query "$W/bulk1.db" "SELECT first_ts, last_ts FROM chunks WHERE first_ts IS NOT NULL ORDER BY first_ts" --format csv | tail -n +2)
[[ ${#ck[@]} -ge 3 ]] || fail "bulk1.db has ${#ck[@]} chunks with events"
secs() { printf '%d.%09d' $(($1 / 1000000000)) $(($1 % 1000000000)); }
mid() { local a=${1%,*} b=${1#*,}; secs $((a + (b - a) * $2 / 4)); }
windows=("$(mid "${ck[0]}" 1) $(mid "${ck[0]}" 3)"   # inside the first chunk
	 "$(mid "${ck[0]}" 2) $(mid "${ck[1]}" 2)"   # across a chunk boundary
	 "$(mid "${ck[1]}" 3) $(mid "${ck[2]}" 1)")  # the end of one chunk, the start of the next
nw=0
for win in "${windows[@]}"; do
	set -- $win
	for f in text json markdown html; do
		"$N" report "$W/bulk1.db" --from "$1" --to "$2" --format $f > "$W/cut.sqlite.$f"
		"$N" report "$URL" --host bulk1 --from "$1" --to "$2" --format $f > "$W/cut.ch.$f" || fail "windowed report from ClickHouse ($win, $f)"
		cmp -s "$W/cut.sqlite.$f" "$W/cut.ch.$f" || { diff "$W/cut.sqlite.$f" "$W/cut.ch.$f" | head; fail "window $win cutting chunks: $f report differs"; }
	done
	grep -q "^Filter: *from " "$W/cut.sqlite.text" || fail "window $win: the report shows no filter"
	nw=$((nw + 1))
done
echo "ok: windowed reports (--from/--to) from ClickHouse, $nw windows cutting chunks in the middle (text, json, markdown, html)"

# gzip-compressed request bodies (what a remote server gets by default) give the same rows.
ch_sql "CREATE DATABASE gz"
"$N" import "$W/bulk1" --into "$CH_URL/gz" --gzip on 2> "$W/gz.log"
grep -q "gzip of" "$W/gz.log" || { cat "$W/gz.log"; fail "--gzip on sent nothing compressed"; }
"$N" report "$CH_URL/gz" --format json > "$W/gz.json"
cmp -s "$W/bulk1.sqlite.json" "$W/gz.json" || fail "report after a gzip import differs"
echo "ok: --gzip on: $(grep -o '[0-9.]* MB sent gzip of [0-9.]* MB' "$W/gz.log")"

# A growing .partial: half of a chunk, then all of it (renamed), into both stores.
mkdir -p "$W/grow"
first=$(ls "$W/bulk1"/chunk-* | head -1)
size=$(stat -c %s "$first")
head -c $((size / 2)) "$first" > "$W/grow/$(basename "$first").partial"
"$N" import -q "$W/grow" --into "$CH_URL/fleet" 2>/dev/null || true
"$N" import -q "$W/grow" -o "$W/grow.db" 2>/dev/null || true
cp "$first" "$W/grow/$(basename "$first")"; rm "$W/grow/$(basename "$first").partial"
"$N" import -q "$W/grow" --into "$URL"
"$N" import -q "$W/grow" -o "$W/grow.db"
# The growing chunk is bulk1's first: ClickHouse has it already from the full import, under the same identity.
[[ "$(counts)" == "$after" ]] || fail "re-importing bulk1's first chunk as a .partial changed rows: '$after' -> '$(counts)'"
ch_sql "CREATE DATABASE grow"
"$N" import -q "$W/grow" --into "$CH_URL/grow" 2>/dev/null || true
rm -rf "$W/grow2"; mkdir -p "$W/grow2"
head -c $((size / 2)) "$first" > "$W/grow2/$(basename "$first").partial"
"$N" import -q "$W/grow2" --into "$CH_URL/grow2" 2>/dev/null && fail "import into a missing database succeeded"
ch_sql "CREATE DATABASE grow2"
"$N" import -q "$W/grow2" --into "$CH_URL/grow2" 2>/dev/null || true
"$N" import -q "$W/grow2" -o "$W/grow2.db" 2>/dev/null || true
cp "$first" "$W/grow2/$(basename "$first")"; rm "$W/grow2/$(basename "$first").partial"
"$N" import -q "$W/grow2" --into "$CH_URL/grow2"
"$N" import -q "$W/grow2" -o "$W/grow2.db"
"$N" report "$W/grow2.db" --format json > "$W/grow2.sqlite.json"
"$N" report "$CH_URL/grow2" --format json > "$W/grow2.ch.json"
cmp -s "$W/grow2.sqlite.json" "$W/grow2.ch.json" || { diff "$W/grow2.sqlite.json" "$W/grow2.ch.json" | head; fail "growing .partial: reports differ"; }
sq=$("$N" query "$W/grow2.db" "SELECT sum(events) FROM chunks" --format csv | tail -1)
chn=$(ch_db grow2 "SELECT sum(events) FROM chunks FINAL")
[[ "$sq" == "$chn" ]] || fail "growing .partial: SQLite has $sq events, ClickHouse $chn"
echo "ok: a growing .partial continues ($chn events, reports equal)"

# An interrupted batch: a begin without commit and rows of that batch already sent (as a crash leaves them).
ch_sql "CREATE DATABASE crash"
C=$CH_URL/crash
second=$(ls "$W/bulk1"/chunk-* | sed -n 2p)
"$N" import -q "$first" --into "$C"
hid=$(ch_db crash "SELECT any(host_id) FROM hosts")
rid=$(ch_db crash "SELECT any(recording_id) FROM chunks")
ch_db crash "INSERT INTO ingest_log VALUES ($hid, '$rid', 2, 2, 0, 0, 1)"
ch_db crash "INSERT INTO samples (host_id, chunk_id, conn_id, ts, batch, batch_row) SELECT $hid, 2, 1, 1764000000000000000 + number, 0, number + 1 FROM system.numbers LIMIT 777"
"$N" import "$first" "$second" --into "$C" 2> "$W/crash.log"
grep -q "1 interrupted batch removed" "$W/crash.log" || { cat "$W/crash.log"; fail "the interrupted batch was not reported"; }
"$N" import -q "$first" "$second" -o "$W/crash.db"
sq=$("$N" query "$W/crash.db" "SELECT count(*) FROM samples" --format csv | tail -1)
chn=$(ch_db crash "SELECT count() FROM samples")
[[ "$sq" == "$chn" ]] || fail "after recovery ClickHouse has $chn samples, SQLite $sq"
echo "ok: an interrupted batch is removed before it is sent again ($chn samples)"
