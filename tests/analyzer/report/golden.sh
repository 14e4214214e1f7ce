#!/bin/sh
# golden.sh: report golden tests: the synthetic "all" tape must give exactly the stored text, JSON and markdown reports.
# Usage: golden.sh NETTAPE NETTAPE-SYNTH WORKDIR GOLDEN-DIR   (NETTAPE_UPDATE_GOLDEN=1 rewrites the goldens)
set -eu
nettape=$1 synth=$2 work=$3 golden=$4
rm -rf "$work" && mkdir -p "$work"
"$synth" all "$work/tape"
"$nettape" import -q "$work/tape" -o "$work/all.db"
fail=0
check() { # name, then the report arguments
	name=$1; shift
	"$nettape" report "$work/all.db" "$@" > "$work/$name"
	if [ "${NETTAPE_UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$work/$name" "$golden/$name"
		echo "golden: updated $name"
	elif ! diff -u "$golden/$name" "$work/$name"; then
		echo "golden: $name differs from $golden/$name (NETTAPE_UPDATE_GOLDEN=1 to accept)" >&2
		fail=1
	fi
}
check all.txt
check all.json --format json
check all.md --format markdown
check rto-window.txt --from 02:06:05 --to 02:06:15
check pid-4242.json --pid 4242 --format json
# The JSON must parse and have the documented top-level shape.
if command -v python3 >/dev/null; then
	python3 - "$work/all.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["nettape_report"] == 1
assert isinstance(r["incidents"], list) and r["incidents"]
for i in r["incidents"]:
    for k in ("id", "title", "kind", "impact", "host", "process", "time_window", "cause", "fix_hint", "caveat", "connections", "evidence"):
        assert k in i, k
    assert set(i["time_window"]) >= {"start", "end", "duration_s"}
    for e in i["evidence"]:
        assert set(e) >= {"kind", "conn_id", "start", "end", "count", "summary"}
print("golden: JSON shape ok")
PY
fi
exit $fail
