#!/bin/bash
# verify_units.sh: the systemd units nettape installs (nettape-record.service, nettape-ship.service) pass `systemd-analyze verify` as installed: ExecStart naming the binaries, Documentation= the man pages.
# Usage: verify_units.sh SRCDIR WORKDIR UNIT=BINARY...   (each UNIT as configured into the build tree, BINARY what its ExecStart runs)
set -euo pipefail
SRC=$1 W=$2; shift 2
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze is not installed (Debian package systemd)"
	exit 77
fi
rm -rf "$W"; mkdir -p "$W/man/man1"
# verify checks that the ExecStart binary exists and that man:PAGE(1) resolves: point both at this build.
cp "$SRC"/docs/man/*.1 "$W/man/man1/"
man_opt=()
command -v man >/dev/null 2>&1 || man_opt=(--man=no) # no man(1) to ask: the pages' presence is checked below
units=()
for arg in "$@"; do
	unit=${arg%%=*} bin=${arg#*=}
	name=$(basename "$unit")
	[[ -x $bin ]] || { echo "FAIL: $bin (for $name) is not built"; exit 1; }
	exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
	[[ $(basename "$exe") == $(basename "$bin") ]] || { echo "FAIL: $name runs $exe, expected $(basename "$bin")"; exit 1; }
	sed "s#^ExecStart=$exe#ExecStart=$bin#" "$unit" > "$W/$name"
	for page in $(sed -n 's/^Documentation=.*man:\([a-z-]*\)(1).*/\1/p' "$unit"); do
		[[ -f $W/man/man1/$page.1 ]] || { echo "FAIL: $name documents man:$page(1), which docs/man lacks"; exit 1; }
	done
	units+=("$W/$name")
done
cd "$W"
if ! out=$(MANPATH=$W/man systemd-analyze verify "${man_opt[@]}" "${units[@]}" 2>&1) || [[ -n $out ]]; then
	echo "$out"
	echo "FAIL: systemd-analyze verify reports the above"
	exit 1
fi
echo "ok: systemd-analyze verify: ${#units[@]} units clean ($(cd "$W" && ls *.service | tr '\n' ' '))"
for u in "${units[@]}"; do
	# Informational: systemd's own exposure score of the sandbox (lower is tighter).
	systemd-analyze security --offline=yes "$u" 2>/dev/null | sed -n 's/.*Overall exposure level for \(.*\)/   exposure \1/p' || true
done
