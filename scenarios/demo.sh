#!/bin/bash
# demo.sh: runs one incident scenario end to end (record with nettape-record, verify, import, report) and leaves the tape, database and HTML report behind.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCENARIOS="window-scaling lb-chain listen-overflow listen-storm firewall-loss queue-jitter containers healthy-bulk"

usage() {
	cat <<USAGE
Usage: nettape-demo [SCENARIO] [-o DIR]

Builds two or more hosts in network namespaces, reproduces a 2 AM incident between
them while nettape-record records, then verifies the tape, imports it and prints the
report that names the cause. Needs root (namespaces and eBPF). Leaves behind:
  DIR/tape/          the recording (nettape info DIR/tape)
  DIR/incident.db    the SQLite database (nettape query DIR/incident.db --list)
  DIR/report.html    the report with timeline charts (open it in a browser)
  DIR/report.json    the same report as JSON (docs/SCHEMA.md, "Report JSON")

Scenarios (default: window-scaling):
  window-scaling   net.ipv4.tcp_window_scaling=0 on the client behind a 20 Mbit/s path:
                   responses go from milliseconds to seconds (zero/limited windows)
  lb-chain         clients -> a load balancer with tcp_window_scaling=0 -> an app server:
                   1 MB responses go from milliseconds to seconds once the path is busy
  listen-overflow  hundreds of connects against a server that accepts slowly
  listen-storm     1000 clients against a stuck listener and a healthy one
  firewall-loss    an nft rule dropping a small fraction of one flow's segments
  queue-jitter     a 30 ms service that spikes to ~800 ms behind a filling queue
  containers       the same, with the service in one container and the bulk sender in another
  healthy-bulk     a plain bulk transfer: nothing must be reported

Options:
  -o DIR        output directory (default: ./nettape-demo-SCENARIO)
  -h, --help    this help
Environment: NETTAPE, NETTAPE_RECORD, NT_TRAFFIC override the binaries' paths.
USAGE
}

scenario=window-scaling
out=
while (($#)); do
	case $1 in
	-h | --help) usage; exit 0 ;;
	-o) out=${2:?-o needs a directory}; shift 2 ;;
	-*) echo "nettape-demo: unknown option '$1'; see --help" >&2; exit 2 ;;
	*) scenario=$1; shift ;;
	esac
done
if ! grep -qw -- "$scenario" <<<"$SCENARIOS" || [[ ! -f $HERE/$scenario.sh ]]; then
	echo "nettape-demo: unknown scenario '$scenario'; one of: $SCENARIOS" >&2
	exit 2
fi
if [[ $(id -u) -ne 0 ]]; then
	echo "nettape-demo: needs root (network namespaces and eBPF); run it with sudo" >&2
	exit 1
fi
out=${out:-$PWD/nettape-demo-$scenario}

# Binaries: environment, else the newest build dir of this source tree, else PATH.
find_bin() { # VAR NAME RELPATH
	local var=$1 name=$2 rel=$3 b
	if [[ -n ${!var:-} ]]; then return; fi
	local newest=
	for b in "$HERE"/../build*/"$rel"; do
		[[ -x $b && ( -z $newest || $b -nt $newest ) ]] && newest=$b
	done
	[[ -z $newest && -x "$HERE"/../../../libexec/nettape/"$name" ]] && newest="$HERE"/../../../libexec/nettape/"$name"
	if [[ -n $newest ]]; then printf -v "$var" '%s' "$(readlink -f "$newest")"; return; fi
	printf -v "$var" '%s' "$(command -v "$name" || true)"
	if [[ -z ${!var} ]]; then
		echo "nettape-demo: $name not found; build the project (bash scripts/demo.sh) or set $var" >&2
		exit 1
	fi
}
find_bin NETTAPE nettape analyzer/nettape
find_bin NETTAPE_RECORD nettape-record recorder/nettape-record
find_bin NT_TRAFFIC nt-traffic tests/nt-traffic
export NT_TRAFFIC

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

rm -rf "$out/tape" "$out/incident.db" "$out/report.html" "$out/report.json"
mkdir -p "$out"
step "Scenario '$scenario': building hosts in network namespaces and recording with nettape-record"
echo "    tape: $out/tape"
NT_PREFIX=ntdemo- bash "$HERE/$scenario.sh" run \
	--record "$NETTAPE_RECORD -o $out/tape --flush-interval 250ms --status-interval 5s" \
	>"$out/oracle.txt" || { echo "nettape-demo: the scenario failed; see the messages above" >&2; exit 1; }
echo "    the kernel's own counters during the scenario (the oracle) are in $out/oracle.txt"

step "Checking the tape (nettape verify) and describing it (nettape info)"
"$NETTAPE" verify "$out/tape" || exit 1
"$NETTAPE" info "$out/tape" || exit 1

step "Importing into SQLite (nettape import)"
"$NETTAPE" import "$out/tape" -o "$out/incident.db" || exit 1

step "The report (nettape report)"
"$NETTAPE" report "$out/incident.db" || exit 1
"$NETTAPE" report "$out/incident.db" --format html -o "$out/report.html" || exit 1
"$NETTAPE" report "$out/incident.db" --format json >"$out/report.json" || exit 1

step "Done. Next steps"
cat <<NEXT
    open the HTML report:       $out/report.html
    ask the database:           $NETTAPE query $out/incident.db --list
    replay the recording:       $NETTAPE replay $out/tape | less
    describe the tape:          $NETTAPE info $out/tape
NEXT
