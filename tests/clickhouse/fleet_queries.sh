#!/bin/bash
# fleet_queries.sh: the canned fleet queries on ClickHouse agree with the SQLite views of the same tapes, per host, in every output format.
# Usage: fleet_queries.sh NETTAPE NETTAPE-SYNTH WORKDIR
set -euo pipefail
source "$(dirname "$0")/lib_ch.sh"
ch_test_init "$@"
ch_fleet_server
"$SYNTH" all "$W/web1" --host web1 >/dev/null
"$SYNTH" zero-window "$W/db1" --host db1 >/dev/null
"$SYNTH" listen "$W/lb1" --host lb1 >/dev/null
"$N" import -q "$W/web1" "$W/db1" "$W/lb1" --into "$URL"
for h in web1 db1 lb1; do "$N" import -q "$W/$h" -o "$W/$h.db"; done
q() { "$N" query "$@" --format csv | tail -n +2; }
for h in web1 db1 lb1; do
	want=$(q "$W/$h.db" "SELECT printf('%.3f', COALESCE(sum(duration_s), 0)), count(*) FROM v_zero_window_episodes WHERE open_at_end = 0")
	got=$(
	      q "$URL" --run fleet-zero-window | awk -F, -v h=$h '$1 == h { printf "%.3f,%d\n", $2, $3; found=1 } END { if (!found) print "0.000,0" }')
	[[ "$want" == "$got" ]] || fail "$h zero-window seconds,episodes: SQLite $want, fleet-zero-window $got"
	want=$(q "$W/$h.db" "SELECT reason, count(*) FROM v_drops GROUP BY reason ORDER BY reason")
	got=$(q "$URL" --run fleet-drops | awk -F, -v h=$h '$1 == h { n[$3] += $4 } END { for (r in n) print r "," n[r] }' | sort)
	[[ "$want" == "$got" ]] || fail "$h drops by reason: SQLite '$want', fleet-drops '$got'"
	want=$(q "$W/$h.db" "SELECT COALESCE(sum(overflows), 0) FROM v_listen_overflows")
	got=$(q "$URL" --run fleet-listen-overflows | awk -F, -v h=$h '$1 == h { n += $4 } END { print n + 0 }')
	[[ "$want" == "$got" ]] || fail "$h listen overflows: SQLite $want, fleet $got"
	want=$(q "$W/$h.db" "SELECT count(*) FROM retransmits WHERE conn_id IS NOT NULL")
	got=$(q "$URL" --run fleet-retransmits | awk -F, -v h=$h '$1 == h { n += $5 } END { print n + 0 }')
	[[ "$want" == "$got" ]] || fail "$h retransmits: SQLite $want, fleet $got"
	echo "ok: $h: zero-window, drops, listen overflows and retransmits agree with SQLite"
done
hosts=$(q "$URL" --run fleet-hosts | cut -d, -f1 | tr '\n' ' ')
[[ "$hosts" == "db1 lb1 web1 " ]] || fail "fleet-hosts lists '$hosts'"
"$N" query "$URL" "SELECT hostname, count() AS n FROM hosts FINAL GROUP BY hostname ORDER BY hostname" --format json > "$W/j"
grep -q '"hostname": "db1", "n": 1' "$W/j" || { cat "$W/j"; fail "json output"; }
"$N" query "$URL" "SELECT hostname FROM hosts FINAL ORDER BY hostname;" | grep -q "(3 rows)" || fail "table output"
set +e; "$N" query "$URL" "SELECT nosuch FROM hosts" 2>"$W/err"; rc=$?; set -e
[[ $rc == 1 ]] && grep -q "Unknown identifier: nosuch" "$W/err" || { cat "$W/err"; fail "bad SQL: rc $rc"; }
"$N" query "$URL" --list | grep -q fleet-zero-window || fail "--list on a URL shows the fleet queries"
echo "ok: fleet queries: hosts, formats, errors"
