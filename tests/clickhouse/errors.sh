#!/bin/bash
# errors.sh: one clear line and a non-zero exit for an unreachable server, a wrong database, a schema of another version, a database without nettape tables, a bad URL.
# Usage: errors.sh NETTAPE NETTAPE-SYNTH WORKDIR
set -euo pipefail
source "$(dirname "$0")/lib_ch.sh"
ch_test_init "$@"
"$SYNTH" zero-window "$W/t" --host e1 >/dev/null
# expect CODE PATTERN CMD...: the command exits CODE and says PATTERN on one line of stderr
expect() {
	local code=$1 pat=$2; shift 2
	set +e; "$@" >/dev/null 2>"$W/err"; local rc=$?; set -e
	[[ $rc == "$code" ]] || { cat "$W/err"; fail "$* exited $rc, want $code"; }
	[[ $(wc -l < "$W/err") == 1 ]] || { cat "$W/err"; fail "$*: want one line"; }
	grep -q -- "$pat" "$W/err" || { cat "$W/err"; fail "$*: want '$pat'"; }
	echo "ok: $(cat "$W/err")"
}
port=$(ch_free_port)
expect 1 "cannot reach ClickHouse at 127.0.0.1:$port/nettape.*is clickhouse-server running" "$N" import "$W/t" --into "clickhouse://127.0.0.1:$port"
expect 1 "cannot reach ClickHouse" "$N" report "clickhouse://127.0.0.1:$port/x"
expect 1 "cannot reach ClickHouse" "$N" query "clickhouse://127.0.0.1:$port/x" "SELECT 1"
ch_start "$W/server"
expect 1 "database 'nosuch' does not exist.*CREATE DATABASE nosuch" "$N" import "$W/t" --into "$CH_URL/nosuch"
expect 1 "database 'nosuch' does not exist" "$N" report "$CH_URL/nosuch"
ch_sql "CREATE DATABASE empty"
expect 1 "holds no nettape tables; import into it first" "$N" report "$CH_URL/empty"
expect 1 "holds no nettape tables" "$N" query "$CH_URL/empty" "SELECT 1"
ch_sql "CREATE DATABASE old"
ch_sql "CREATE TABLE old.nettape_meta (key String, value String) ENGINE = TinyLog"
ch_sql "INSERT INTO old.nettape_meta VALUES ('schema_version', '99')"
expect 1 "schema version 99, this nettape reads and writes version 1" "$N" import "$W/t" --into "$CH_URL/old"
expect 1 "schema version 99" "$N" report "$CH_URL/old"
expect 2 "not a clickhouse:// URL" "$N" import "$W/t" --into "http://127.0.0.1:8123/"
expect 1 "bad database name" "$N" import "$W/t" --into "$CH_URL/no-dash"
expect 2 "give either -o DB or --into URL" "$N" import "$W/t" --into "$CH_URL/x" -o "$W/x.db"
expect 2 "--host selects a host of a clickhouse://" "$N" report "$W/x.db" --host e1
ch_sql "CREATE DATABASE two"
"$N" import -q "$W/t" --into "$CH_URL/two"
"$SYNTH" zero-window "$W/t2" --host e2 >/dev/null
"$N" import -q "$W/t2" --into "$CH_URL/two"
expect 1 "matches 2 boots.*give --host" "$N" report "$CH_URL/two"
expect 1 "host 'nohost' is not in" "$N" report "$CH_URL/two" --host nohost
# A database made before the SQLite schema grew a column: readers say how to add it, an import adds it.
ch_sql "CREATE DATABASE older"
"$N" import -q "$W/t" --into "$CH_URL/older"
ch_db older "ALTER TABLE samples DROP COLUMN bytes_acked"
expect 1 "lacks column samples.bytes_acked.*adds it" "$N" report "$CH_URL/older"
"$SYNTH" zero-window "$W/t3" --host e3 >/dev/null
"$N" import -q "$W/t3" --into "$CH_URL/older" || fail "import into a database lacking a column"
"$N" report "$CH_URL/older" --host e3 >/dev/null || fail "report after the column was added"
echo "ok: a missing column is added by the next import"
echo "ok: errors are one line with the fix"
