#!/bin/bash
# distributed.sh: a Distributed table over two shards (two private servers on loopback, sharded by host_id): imports spread over both, queries and reports through it equal SQLite's, re-import adds nothing.
# Usage: distributed.sh NETTAPE NETTAPE-SYNTH WORKDIR
set -euo pipefail
N=$1 SYNTH=$2 W=$3
source "$(dirname "$0")/lib_ch.sh"
ch_need_server
rm -rf "$W"; mkdir -p "$W"
trap ch_stop EXIT
fail() { echo "FAIL: $*"; exit 1; }
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
