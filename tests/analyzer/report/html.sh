#!/bin/sh
# html.sh: the HTML report in headless Chromium: it renders, the SVG charts are drawn, no console errors.
# Usage: html.sh NETTAPE NETTAPE-SYNTH WORKDIR   (exit 77 = skipped: no chromium on this machine)
set -u
nettape=$1 synth=$2 work=$3
chromium=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$chromium" ]; then
	echo "html: SKIP: chromium is not installed (scripts/install-deps.sh installs it); the HTML report was not tested" >&2
	exit 77
fi
rm -rf "$work" && mkdir -p "$work"
"$synth" all "$work/tape" && "$nettape" import -q "$work/tape" -o "$work/all.db" || exit 1
"$nettape" report "$work/all.db" --format html -o "$work/report.html" || exit 1
# Self-contained: no script, no external reference.
if grep -qi '<script\|src="http\|href="http\|@import' "$work/report.html"; then
	echo "html: FAIL: the report references scripts or external resources" >&2
	exit 1
fi
run() {
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --user-data-dir="$(mktemp -d "$work/profile.XXXXXX")" \
		--enable-logging=stderr --v=0 "$@" "file://$work/report.html"
}
run --dump-dom > "$work/dom.html" 2> "$work/console.log" || { echo "html: FAIL: chromium --dump-dom failed" >&2; cat "$work/console.log" >&2; exit 1; }
run --window-size=1000,2400 --screenshot="$work/report.png" > /dev/null 2>> "$work/console.log"
fail=0
svgs=$(grep -o '<svg' "$work/dom.html" | wc -l)
lines=$(grep -o '<polyline class="series"' "$work/dom.html" | wc -l)
bars=$(grep -o '<g class="series"' "$work/dom.html" | wc -l)
bands=$(grep -o '<rect class="band"' "$work/dom.html" | wc -l)
incidents=$(grep -o '<section class="incident"' "$work/dom.html" | wc -l)
echo "html: DOM has $incidents incidents, $svgs charts, $lines lines, $bars bar series, $bands zero-window bands"
# 8 incidents since the single teardown reset became a note (incident.min_impact, as test_detect's "all")
[ "$incidents" -eq 8 ] || { echo "html: FAIL: expected 8 incident sections" >&2; fail=1; }
[ "$svgs" -ge 7 ] || { echo "html: FAIL: expected a chart per connection incident" >&2; fail=1; }
[ "$lines" -ge 10 ] && [ "$bars" -ge 10 ] || { echo "html: FAIL: charts are missing their series" >&2; fail=1; }
[ "$bands" -ge 12 ] || { echo "html: FAIL: the 12 zero-window episodes are not drawn" >&2; fail=1; }
# A point of a polyline must have real coordinates (not NaN/inf).
if grep -q 'nan\|inf,' "$work/dom.html"; then echo "html: FAIL: NaN/inf coordinates in the SVG" >&2; fail=1; fi
if grep -q 'CONSOLE' "$work/console.log"; then
	echo "html: FAIL: console messages:" >&2
	grep 'CONSOLE' "$work/console.log" >&2
	fail=1
fi
if [ ! -s "$work/report.png" ] || [ "$(wc -c < "$work/report.png")" -lt 20000 ]; then
	echo "html: FAIL: no screenshot, or a blank one" >&2
	fail=1
fi
[ $fail -eq 0 ] && echo "html: ok (screenshot $work/report.png)"
exit $fail
