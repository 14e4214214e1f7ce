#!/bin/sh
# cli.sh: CLI tests of import/report/query: exit codes, one-line errors on bad inputs, idempotent import, canned queries.
# Usage: cli.sh NETTAPE NETTAPE-SYNTH WORKDIR
set -u
nettape=$1 synth=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*" >&2; fail=1; }

# expect CODE PATTERN CMD...: exit code CODE, stderr exactly one line matching PATTERN (when PATTERN is not empty).
expect() {
	code=$1 pat=$2; shift 2
	"$@" > "$work/out" 2> "$work/err"
	rc=$?
	if [ "$rc" != "$code" ]; then bad "$* -> exit $rc, expected $code; stderr: $(cat "$work/err")"; return; fi
	if [ -n "$pat" ]; then
		lines=$(wc -l < "$work/err")
		if [ "$lines" != 1 ]; then bad "$* -> $lines lines on stderr, expected one: $(cat "$work/err")"; return; fi
		if ! grep -q -- "$pat" "$work/err"; then bad "$* -> stderr '$(cat "$work/err")' lacks '$pat'"; return; fi
	fi
	ok "$* -> $rc"
}

"$synth" all "$work/tape" || exit 1
expect 0 "" "$nettape" import -q "$work/tape" -o "$work/a.db"
n1=$("$nettape" query "$work/a.db" "SELECT (SELECT count(*) FROM samples)+(SELECT count(*) FROM drops)+(SELECT count(*) FROM connections)" --format csv | tail -1)
expect 0 "" "$nettape" import -q "$work/tape" -o "$work/a.db"
n2=$("$nettape" query "$work/a.db" "SELECT (SELECT count(*) FROM samples)+(SELECT count(*) FROM drops)+(SELECT count(*) FROM connections)" --format csv | tail -1)
[ "$n1" = "$n2" ] && ok "idempotent import ($n1 rows)" || bad "re-import changed rows: $n1 -> $n2"
# the non-quiet summary line names the skipped chunk
expect 0 "already imported" "$nettape" import "$work/tape" -o "$work/a.db"

# Usage errors: exit 2 with one line.
expect 2 "missing -o DB" "$nettape" import "$work/tape"
expect 2 "missing TAPE" "$nettape" import -o "$work/x.db"
expect 2 "missing DB" "$nettape" report
expect 2 "unknown --format" "$nettape" report "$work/a.db" --format pdf
expect 2 "cannot parse time" "$nettape" report "$work/a.db" --from yesterday
expect 2 "unknown detector option" "$nettape" report "$work/a.db" --set nosuch=1
expect 2 "not a non-negative number" "$nettape" report "$work/a.db" --set rtt.factor=abc
expect 2 "--from is after --to" "$nettape" report "$work/a.db" --from 02:10 --to 02:05
expect 2 "no canned query" "$nettape" query "$work/a.db" --run nosuch
expect 2 "missing SQL" "$nettape" query "$work/a.db"
expect 2 "one statement at a time" "$nettape" query "$work/a.db" "SELECT 1; SELECT 2"
expect 0 "" "$nettape" import --help
expect 0 "" "$nettape" report --help
expect 0 "" "$nettape" query --help
expect 0 "" "$nettape" report --list-options

# Bad inputs: exit 1 with one line naming the problem.
mkdir -p "$work/corrupt"
head -c 4096 /dev/urandom > "$work/corrupt/chunk-00000001.ntc"
expect 1 "no chunk could be read" "$nettape" import "$work/corrupt" -o "$work/c.db"
expect 1 "no such\|No such" "$nettape" import "$work/nonexistent" -o "$work/c2.db"
mkdir -p "$work/empty"
expect 1 "no chunk files" "$nettape" import "$work/empty" -o "$work/c3.db"
printf 'hello, I am not a database\n%.0s' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 > "$work/text.db"
expect 1 "not an SQLite database" "$nettape" report "$work/text.db"
expect 1 "not an SQLite database" "$nettape" import -q "$work/tape" -o "$work/text.db"
if command -v sqlite3 >/dev/null; then
	sqlite3 "$work/other.db" "PRAGMA application_id = 1234; CREATE TABLE t (x);"
	expect 1 "belongs to another application" "$nettape" report "$work/other.db"
	expect 1 "belongs to another application" "$nettape" import -q "$work/tape" -o "$work/other.db"
	cp "$work/a.db" "$work/v99.db"
	sqlite3 "$work/v99.db" "PRAGMA user_version = 99"
	expect 1 "schema version 99" "$nettape" report "$work/v99.db"
	expect 1 "schema version 99" "$nettape" query "$work/v99.db" "SELECT 1"
	sqlite3 "$work/empty.db" "PRAGMA user_version = 0"
	expect 1 "is empty" "$nettape" report "$work/empty.db"
fi
expect 1 "create it with" "$nettape" report "$work/missing.db"
expect 1 "SQL error" "$nettape" query "$work/a.db" "SELEC * FROM connections"
expect 1 "SQL error" "$nettape" query "$work/a.db" "SELECT * FROM no_such_table"
expect 1 "readonly\|read-only\|SQL error" "$nettape" query "$work/a.db" "DELETE FROM connections"

# A truncated chunk: import what is readable, warn once, exit 0.
mkdir -p "$work/trunc"
f=$(ls "$work/tape"/chunk-*.ntc | head -1)
size=$(wc -c < "$f")
head -c $((size * 2 / 3)) "$f" > "$work/trunc/chunk-00000001.ntc"
"$nettape" import -q "$work/trunc" -o "$work/t.db" 2> "$work/err"
rc=$?
if [ $rc -eq 0 ] && [ "$(wc -l < "$work/err")" -le 1 ]; then ok "truncated chunk imported ($(cat "$work/err"))"; else bad "truncated chunk: exit $rc, $(cat "$work/err")"; fi

# A chunk imported while still being written (.partial) continues on the next import: the same rows as one import.
mkdir -p "$work/grow"
head -c $((size / 2)) "$f" > "$work/grow/chunk-00000001.ntc.partial"
expect 0 "" "$nettape" import -q "$work/grow" -o "$work/grow.db"
rm "$work/grow/chunk-00000001.ntc.partial" && cp "$f" "$work/grow/"
expect 0 "" "$nettape" import -q "$work/grow" -o "$work/grow.db"
q="SELECT (SELECT count(*) FROM samples)||'/'||(SELECT count(*) FROM drops)||'/'||(SELECT sum(retransmits) FROM connections)||'/'||(SELECT sum(events) FROM chunks)"
g=$("$nettape" query "$work/grow.db" "$q" --format csv | tail -1)
a=$("$nettape" query "$work/a.db" "$q" --format csv | tail -1)
[ "$g" = "$a" ] && ok "partial chunk continued ($g)" || bad "partial then complete: $g, one import: $a"

# Canned queries all run; formats work.
for q in $("$nettape" query --list | awk '{print $1}'); do
	expect 0 "" "$nettape" query "$work/a.db" --run "$q"
done
"$nettape" query "$work/a.db" --run zero-window --format json > "$work/zw.json" || bad "json query"
if command -v python3 >/dev/null; then
	python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert len(r)==13 and r[0]['side']=='rcv' and r[0]['duration_s']==1.5, r" "$work/zw.json" \
		&& ok "query --format json (13 zero-window episodes, longest first)" || bad "query json: $(cat "$work/zw.json")"
fi
"$nettape" query "$work/a.db" "SELECT 'a,b' AS x, 'say \"hi\"' AS y" --format csv > "$work/q.csv"
[ "$(tail -1 "$work/q.csv")" = '"a,b","say ""hi"""' ] && ok "csv quoting" || bad "csv quoting: $(cat "$work/q.csv")"
"$nettape" query "$work/a.db" "SELECT iso(1795312800000000000) AS t" --format csv | grep -q 2026-11-22T02:00:00.000Z \
	&& ok "iso() SQL function" || bad "iso() SQL function"
# Report formats all succeed; HTML is one file with inline SVG.
for f in text markdown json html; do expect 0 "" "$nettape" report "$work/a.db" --format $f -o "$work/r.$f"; done
grep -q "<svg" "$work/r.html" && ! grep -qi "<script" "$work/r.html" && ok "html has svg, no script" || bad "html content"
# A healthy bulk transfer: no incident.
"$synth" healthy "$work/healthy" && "$nettape" import -q "$work/healthy" -o "$work/h.db"
"$nettape" report "$work/h.db" --format json | grep -q '"incidents": \[\]' && ok "healthy: no incident" || bad "healthy tape produced incidents"
exit $fail
