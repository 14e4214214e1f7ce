#!/bin/bash
# multihost_align.sh: how the clock-alignment error and bound grow with fewer shared connections: re-aligns copies of a two-host database keeping K random paired connections.
#
# Usage: bench/multihost_align.sh NETTAPE DB TAPE WANT_NS [TRIALS]
#   DB      a database of two hosts imported by 'nettape import' (e.g. the one
#           tests/e2e/multihost.sh leaves with NT_KEEP_TMP=1 NSHORT=100)
#   TAPE    one of its tapes (a re-import of it re-runs the alignment only)
#   WANT_NS the true correction of the second host (e.g. -2500000000 for +2.5 s)
# NETTAPE_CLOCK_DATA_EDGES=0 in the environment: the alignment without the data and ACK edges
# (handshakes, closes, resets, drops and retransmits only), to see what they add.
# Prints, per K in 1 10 100 (as far as the pairs go): trials, median and max
# |error|, median and max bound, in ns, and whether every error was within its bound.
set -u
NETTAPE=$1 DB=$2 TAPE=$3 WANT=$4 TRIALS=${5:-20}
T=$(mktemp -d /tmp/ntalign.XXXXXX)
trap 'rm -rf "$T"' EXIT
q() { "$NETTAPE" query "$1" "$2" --format csv | sed -n '2,$p' | tr -d '"\r'; }
npairs=$(q "$DB" "SELECT count(*) FROM conn_pairs")
host=$(q "$DB" "SELECT hostname FROM hosts WHERE clock_source = 'estimated' LIMIT 1")
echo "database: $npairs paired connections; estimated host: $host; true correction $WANT ns"
for k in 1 10 100; do
	((k <= npairs)) || { echo "K=$k: only $npairs pairs"; continue; }
	errs=() bounds=() inside=1
	for ((i = 0; i < TRIALS; i++)); do
		cp "$DB" "$T/c.db"
		# keep K random pairs: the other connections are dropped (their events stay, unmatched)
		python3 - "$T/c.db" "$k" "$i" <<'PY'
import random, sqlite3, sys
db = sqlite3.connect(sys.argv[1]); k, seed = int(sys.argv[2]), int(sys.argv[3])
pairs = db.execute("SELECT conn_a, conn_b FROM conn_pairs ORDER BY conn_a").fetchall()
keep = random.Random(seed).sample(pairs, k)
ids = {c for p in keep for c in p}
db.execute("CREATE TEMP TABLE k (id INTEGER PRIMARY KEY)")
db.executemany("INSERT INTO k VALUES (?)", [(c,) for c in ids])
db.execute("DELETE FROM connections WHERE listener = 0 AND cookie <> 0 AND conn_id NOT IN (SELECT id FROM k)")
db.commit()
PY
		"$NETTAPE" import "$TAPE" -o "$T/c.db" -q || exit 1
		got=$(q "$T/c.db" "SELECT clock_offset_ns FROM hosts WHERE hostname = '$host'")
		b=$(q "$T/c.db" "SELECT coalesce(clock_bound_ns, -1) FROM hosts WHERE hostname = '$host'")
		e=$((got - WANT)); e=${e#-}
		errs+=("$e") bounds+=("$b")
		((b >= 0 && e <= b)) || inside=0
	done
	python3 - "$k" "$inside" "${errs[*]}" "${bounds[*]}" <<'PY'
import statistics, sys
k, inside = sys.argv[1], sys.argv[2]
e = [int(x) for x in sys.argv[3].split()]; b = [int(x) for x in sys.argv[4].split()]
print("K=%3s trials=%d error median %d ns max %d ns; bound median %d ns max %d ns; all within bound: %s"
      % (k, len(e), statistics.median(e), max(e), statistics.median(b), max(b), "yes" if inside == "1" else "NO"))
PY
done
