#!/bin/bash
# distributed.sh: a Distributed table over two shards (two private servers on loopback, sharded by host_id): imports spread over both, queries and reports through it equal SQLite's, re-import adds nothing, an interrupted batch is removed and a missing column added on the shards.
# Usage: distributed.sh NETTAPE NETTAPE-SYNTH WORKDIR
set -euo pipefail
source "$(dirname "$0")/lib_ch.sh"
ch_test_init "$@"
ch_start "$W/shard2"
S2_HTTP=$CH_HTTP S2_TCP=$CH_TCP
# Shard 1 is also where the Distributed tables live (docs/CLICKHOUSE.md shows the same config for real hosts).
ch_start "$W/shard1" "<remote_servers><nettape_cluster>
  <shard><replica><host>127.0.0.1</host><port>@SELF_TCP@</port></replica></shard>
  <shard><replica><host>127.0.0.1</host><port>$S2_TCP</port></replica></shard>
</nettape_cluster></remote_servers>"
S1_HTTP=$CH_HTTP
on() { curl -sS --fail-with-body "$1/?database=${3:-default}" --data-binary "$2"; }
# The local tables on each shard, from the one schema definition.
"$N" import --print-ddl > "$W/ddl.sql"
for h in "$S1_HTTP" "$S2_HTTP"; do
	on "$h" "CREATE DATABASE nettape"
	while IFS= read -r stmt; do [[ -n $stmt ]] && on "$h" "${stmt%;}" nettape; done < "$W/ddl.sql"
done
# The cluster's view: one Distributed table per local table, rows sharded by host_id.
on "$S1_HTTP" "CREATE DATABASE fleet"
for t in $(sed -n 's/^CREATE TABLE IF NOT EXISTS \([a-z_]*\) .*/\1/p' "$W/ddl.sql"); do
	if [[ $t == nettape_meta ]]; then
		on "$S1_HTTP" "CREATE TABLE nettape_meta AS nettape.nettape_meta" fleet
		on "$S1_HTTP" "INSERT INTO nettape_meta VALUES ('schema_version', '1'), ('application', 'nettape')" fleet
	else
		on "$S1_HTTP" "CREATE TABLE $t AS nettape.$t ENGINE = Distributed(nettape_cluster, nettape, $t, host_id)" fleet
	fi
done
URL=$CH_URL/fleet
hosts="web1 db1 lb1 bulk1 api2 cache3"
"$SYNTH" all "$W/web1" --host web1 >/dev/null
"$SYNTH" zero-window "$W/db1" --host db1 >/dev/null
"$SYNTH" listen "$W/lb1" --host lb1 >/dev/null
"$SYNTH" bulk "$W/bulk1" --host bulk1 --events 50000 --chunk-size 100000 >/dev/null
"$SYNTH" rto "$W/api2" --host api2 >/dev/null
"$SYNTH" reset "$W/cache3" --host cache3 >/dev/null
paths=(); for h in $hosts; do paths+=("$W/$h"); done
"$N" import -q "${paths[@]}" --into "$URL"
n1=$(on "$S1_HTTP" "SELECT count() FROM hosts FINAL" nettape) n2=$(on "$S2_HTTP" "SELECT count() FROM hosts FINAL" nettape)
s1=$(on "$S1_HTTP" "SELECT count() FROM samples" nettape) s2=$(on "$S2_HTTP" "SELECT count() FROM samples" nettape)
all=$(on "$S1_HTTP" "SELECT count() FROM samples" fleet)
((n1 > 0 && n2 > 0 && n1 + n2 == 6)) || fail "hosts per shard: $n1 + $n2, want both shards used and 6 in all"
((s1 > 0 && s2 > 0 && s1 + s2 == all)) || fail "samples per shard: $s1 + $s2, through the cluster $all"
echo "ok: 6 hosts spread over two shards ($n1 + $n2 hosts, $s1 + $s2 samples = $all through the Distributed table)"
"$N" import -q "${paths[@]}" --into "$URL"
[[ $(on "$S1_HTTP" "SELECT count() FROM samples" fleet) == "$all" ]] || fail "re-import through the cluster added rows"
want=0
for h in $hosts; do
	"$N" import -q "$W/$h" -o "$W/$h.db"
	"$N" report "$W/$h.db" --format json > "$W/$h.sqlite.json"
	"$N" report "$URL" --host $h --format json > "$W/$h.ch.json"
	cmp -s "$W/$h.sqlite.json" "$W/$h.ch.json" || { diff "$W/$h.sqlite.json" "$W/$h.ch.json" | head; fail "$h: report through the cluster differs"; }
	want=$((want + $("$N" query "$W/$h.db" "SELECT count(*) FROM samples" --format csv | tail -1)))
done
[[ $want == "$all" ]] || fail "SQLite has $want samples in all, the cluster $all"
got=$("$N" query "$URL" --run fleet-hosts --format csv | tail -n +2 | cut -d, -f1 | sort | tr '\n' ' ')
[[ $got == "api2 bulk1 cache3 db1 lb1 web1 " ]] || fail "fleet-hosts through the cluster: $got"
"$N" query "$URL" --run fleet-zero-window >/dev/null || fail "fleet-zero-window through the cluster"
echo "ok: reports and fleet queries through the Distributed tables equal SQLite's; re-import added nothing"

# An import interrupted mid-batch through the Distributed tables: a begin row in ingest_log and rows of
# that batch on the host's shard, no commit (as a killed importer leaves them). ALTER ... DELETE on a
# Distributed table is refused, so recovery runs on the shards' local tables.
"$SYNTH" bulk "$W/bulk2" --host bulk2 --events 120000 --chunk-size 100000 >/dev/null
first=$(ls "$W/bulk2"/chunk-* | head -1) second=$(ls "$W/bulk2"/chunk-* | sed -n 2p)
S1_PORT=${S1_HTTP##*:} S2_PORT=${S2_HTTP##*:}
SHARDED="$URL?shards=127.0.0.1:$S1_PORT,127.0.0.1:$S2_PORT"
"$N" import -q "$first" --into "$SHARDED"
hid=$(on "$S1_HTTP" "SELECT any(host_id) FROM hosts WHERE hostname = 'bulk2'" fleet)
rid=$(on "$S1_HTTP" "SELECT any(recording_id) FROM chunks WHERE host_id = $hid" fleet)
sync() { curl -sS --fail-with-body "$S1_HTTP/?database=fleet&insert_distributed_sync=1" --data-binary "$1"; }
sync "INSERT INTO ingest_log VALUES ($hid, '$rid', 2, 2, 0, 0, 1)"
sync "INSERT INTO samples (host_id, chunk_id, conn_id, ts, batch, batch_row) SELECT $hid, 2, 1, 1764000000000000000 + number, 0, number + 1 FROM system.numbers LIMIT 777"
on "$S1_HTTP" "ALTER TABLE samples DELETE WHERE host_id = 0" fleet >/dev/null 2>&1 && fail "ClickHouse mutated a Distributed table; the shards' route is not needed"
on "$S1_HTTP" "ALTER TABLE nettape.samples ON CLUSTER nettape_cluster DELETE WHERE host_id = 0" > "$W/oncluster.err" 2>&1 &&
	fail "ALTER ... ON CLUSTER ran without ZooKeeper; the shards' route is not needed"
echo "   ALTER ... ON CLUSTER here: $(grep -o 'DB::Exception: [^,]*' "$W/oncluster.err" | head -1 | cut -c1-120)"
# Two shards on one address: the cluster's HTTP ports are unknown, so without ?shards= the import says how to give them.
"$N" import -q "$first" "$second" --into "$URL" 2> "$W/noshards.log" && fail "recovery through the cluster without ?shards= succeeded"
grep -q "?shards=HOST:PORT" "$W/noshards.log" || { cat "$W/noshards.log"; fail "no hint to give ?shards="; }
"$N" import "$first" "$second" --into "$SHARDED" 2> "$W/crash.log" || { cat "$W/crash.log"; fail "import with recovery through the cluster"; }
grep -q "1 interrupted batch removed" "$W/crash.log" || { cat "$W/crash.log"; fail "the interrupted batch was not reported"; }
"$N" import -q "$first" "$second" -o "$W/crash.db"
sq=$("$N" query "$W/crash.db" "SELECT count(*) FROM samples" --format csv | tail -1)
chn=$(on "$S1_HTTP" "SELECT count() FROM samples WHERE host_id = $hid" fleet)
[[ "$sq" == "$chn" ]] || fail "after recovery through the cluster ClickHouse has $chn samples of bulk2, SQLite $sq"
"$N" report "$W/crash.db" --format json > "$W/crash.sqlite.json"
"$N" report "$URL" --host bulk2 --format json > "$W/crash.ch.json"
cmp -s "$W/crash.sqlite.json" "$W/crash.ch.json" || { diff "$W/crash.sqlite.json" "$W/crash.ch.json" | head; fail "bulk2 after recovery: reports differ"; }
echo "ok: an interrupted batch is removed on the shards' local tables ($chn samples of bulk2, as SQLite)"

# A column SQLite gained later: missing on the shards and on the Distributed table, the next import adds it to all three.
for h in "$S1_HTTP" "$S2_HTTP"; do on "$h" "ALTER TABLE connections DROP COLUMN undo_episodes" nettape; done
on "$S1_HTTP" "ALTER TABLE connections DROP COLUMN undo_episodes" fleet
"$N" report "$URL" --host bulk2 >/dev/null 2>&1 && fail "report read a database lacking a column"
"$N" import -q "$first" --into "$SHARDED" || fail "import adding a column through the cluster"
for h in "$S1_HTTP nettape" "$S2_HTTP nettape" "$S1_HTTP fleet"; do
	set -- $h
	[[ $(on "$1" "SELECT count() FROM system.columns WHERE database = '$2' AND table = 'connections' AND name = 'undo_episodes'") == 1 ]] ||
		fail "undo_episodes not added on $1/$2"
done
"$N" report "$URL" --host bulk2 --format json > "$W/added.ch.json"
cmp -s "$W/crash.sqlite.json" "$W/added.ch.json" || { diff "$W/crash.sqlite.json" "$W/added.ch.json" | head; fail "report after adding a column differs"; }
echo "ok: a column missing behind the Distributed table is added on both shards and on it"
