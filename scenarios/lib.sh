# lib.sh: shared helpers of the nettape incident scenarios (namespaces, links, shaping, counters, cleanup); source it.
#
# Conventions
# - Hosts are network namespaces named "$NT_PREFIX<host>" (NT_PREFIX defaults
#   to "ntsc-<scenario>-"; tests set their own, e.g. "nte2e-zw-").
# - Addresses come from 198.18.0.0/15 only; there is no default route.
# - Every namespace and background PID we create is remembered and removed by
#   nt_cleanup (installed as an EXIT/INT/TERM trap by nt_init). Nothing else is
#   touched: no global sysctl, no host interface, no foreign process.
# - Counters are printed as key=value lines: "<host>.<Counter>=<value>".
#
# Scenario scripts (scenarios/<name>.sh) define four functions:
#   scenario_setup     create hosts, links, qdiscs, rules; start servers
#   scenario_traffic   run the client traffic (bounded; returns when done)
#   scenario_oracle    print the oracle counters (deltas since setup) as key=value
#   scenario_teardown  stop everything (nt_cleanup)
# and, when executed rather than sourced, run them through nt_main, which
# also supports "--record CMD" (start CMD after setup, stop it with SIGINT
# after the traffic) for demos.

NT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NT_NSES=()
NT_PIDS=()
NT_TMP=
NT_SNAP_DIR=
NT_CGROUPS=()

# Finds nt-traffic: $NT_TRAFFIC, else a build dir of the source tree, else PATH.
nt_find_traffic() {
	if [[ -n ${NT_TRAFFIC:-} && -x $NT_TRAFFIC ]]; then return 0; fi
	local root=$NT_LIB_DIR/.. b
	# The most recently built one of the tree's build directories.
	b=$(ls -t "$root"/build*/tests/nt-traffic 2>/dev/null | head -1)
	if [[ -n $b && -x $b ]]; then NT_TRAFFIC=$b; return 0; fi
	NT_TRAFFIC=$(command -v nt-traffic || true)
	if [[ -z $NT_TRAFFIC ]]; then
		echo "scenario: nt-traffic not found (build target nt-traffic or set NT_TRAFFIC)" >&2
		return 1
	fi
}

nt_log() { echo "[$(date +%H:%M:%S.%3N)] $*" >&2; }
nt_die() { echo "scenario: $*" >&2; exit 1; }

# nt_init SCENARIO: prefix, temp dir, trap, capability checks.
nt_init() {
	local name=$1
	NT_SCENARIO=$name
	NT_PREFIX=${NT_PREFIX:-ntsc-$name-}
	if [[ $(id -u) -ne 0 ]]; then
		echo "scenario: needs root (network namespaces)" >&2
		return 77
	fi
	nt_find_traffic || return 1
	NT_TMP=$(mktemp -d "/tmp/${NT_PREFIX}XXXXXX")
	NT_SNAP_DIR=$NT_TMP/snap
	mkdir -p "$NT_SNAP_DIR"
	trap nt_cleanup EXIT
	trap 'nt_cleanup; exit 130' INT
	trap 'nt_cleanup; exit 143' TERM
}

# nt_ns HOST: creates namespace $NT_PREFIX$HOST with lo up.
nt_ns() {
	local ns=$NT_PREFIX$1
	if ip netns list | awk '{print $1}' | grep -qx -- "$ns"; then
		ip netns del "$ns" 2>/dev/null || true # left over from a killed run of ours
	fi
	ip netns add "$ns" || return 1
	NT_NSES+=("$ns")
	ip -n "$ns" link set lo up
	# Deterministic TCP behaviour regardless of the host's defaults.
	nt_sysctl "$1" net.ipv4.tcp_window_scaling=1 net.ipv4.tcp_sack=1 \
		net.ipv4.tcp_timestamps=1 net.ipv4.tcp_syncookies=0 >/dev/null
}

# nt_exec HOST CMD...: runs CMD in the host's namespace (foreground).
nt_exec() { local ns=$NT_PREFIX$1; shift; ip netns exec "$ns" "$@"; }

# nt_sysctl HOST key=value...
nt_sysctl() {
	local ns=$NT_PREFIX$1 kv; shift
	for kv in "$@"; do ip netns exec "$ns" sysctl -q -w "$kv" || return 1; done
}

# nt_link HOST_A ADDR_A/LEN HOST_B ADDR_B/LEN: a veth pair "eth-<B>" in A, "eth-<A>" in B.
nt_link() {
	local a=$1 aa=$2 b=$3 ba=$4
	local ia="eth-$b" ib="eth-$a"
	ip link add "${NT_PREFIX:0:6}$$" type veth peer name "${NT_PREFIX:0:5}p$$" || return 1
	ip link set "${NT_PREFIX:0:6}$$" netns "$NT_PREFIX$a" name "$ia"
	ip link set "${NT_PREFIX:0:5}p$$" netns "$NT_PREFIX$b" name "$ib"
	ip -n "$NT_PREFIX$a" addr add "$aa" dev "$ia"
	ip -n "$NT_PREFIX$b" addr add "$ba" dev "$ib"
	ip -n "$NT_PREFIX$a" link set "$ia" up
	ip -n "$NT_PREFIX$b" link set "$ib" up
}

# nt_route HOST PREFIX GATEWAY: a route to PREFIX (never a default route).
nt_route() { ip -n "$NT_PREFIX$1" route add "$2" via "$3"; }

# nt_router HOST: lets HOST forward IPv4 between its links.
nt_router() { nt_sysctl "$1" net.ipv4.ip_forward=1; }

# nt_tbf HOST DEV RATE BURST LIMIT: token bucket on DEV's egress (e.g. 4mbit 16kb 512kb).
nt_tbf() {
	ip netns exec "$NT_PREFIX$1" tc qdisc replace dev "$2" root tbf rate "$3" burst "$4" limit "$5"
}

# nt_qdisc HOST DEV FIELD: a statistic of DEV's root qdisc (bytes, packets,
# drops, overlimits, requeues, backlog (bytes), qlen), from tc -s -j.
nt_qdisc() {
	ip netns exec "$NT_PREFIX$1" tc -s -j qdisc show dev "$2" root 2>/dev/null |
		grep -o "\"$3\":[0-9]*" | head -1 | cut -d: -f2
}

# nt_qdisc_snapshot HOST DEV: remembers the root qdisc's counters (baseline of nt_qdisc_delta).
nt_qdisc_snapshot() {
	local f
	for f in bytes packets drops overlimits; do
		echo "$f $(nt_qdisc "$1" "$2" $f)"
	done >"$NT_SNAP_DIR/qdisc.$1.$2"
}

# nt_qdisc_delta HOST DEV FIELD: FIELD's growth since nt_qdisc_snapshot.
nt_qdisc_delta() {
	local now base
	now=$(nt_qdisc "$1" "$2" "$3")
	base=$(awk -v k="$3" '$1 == k { print $2 }' "$NT_SNAP_DIR/qdisc.$1.$2" 2>/dev/null)
	echo $((${now:-0} - ${base:-0}))
}

# nt_qdisc_backlog HOST DEV: bytes queued in DEV's root qdisc now.
nt_qdisc_backlog() { local b; b=$(nt_qdisc "$1" "$2" backlog); echo "${b:-0}"; }

# nt_bg HOST NAME CMD...: starts CMD in the host's namespace in the background;
# stdout to $NT_TMP/NAME.out, stderr to $NT_TMP/NAME.err; remembers its PID in NT_PID_<NAME>.
nt_bg() {
	local host=$1 name=$2; shift 2
	ip netns exec "$NT_PREFIX$host" "$@" >"$NT_TMP/$name.out" 2>"$NT_TMP/$name.err" &
	local pid=$!
	NT_PIDS+=("$pid")
	printf -v "NT_PID_${name//-/_}" '%s' "$pid"
}

# nt_python: sets NT_PYTHON to the real python3 interpreter (not a pyenv or
# similar shim: the process we start must be python3 itself, same pid, comm
# "python3"), or fails.
nt_python() {
	[[ -n ${NT_PYTHON:-} ]] && return 0
	NT_PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
	[[ -n $NT_PYTHON && -x $NT_PYTHON ]] || { nt_log "python3 not found"; return 1; }
}

# nt_cgroup2_root: the cgroup v2 mount point (NT_CGROUP2), or fails.
nt_cgroup2_root() {
	[[ -n ${NT_CGROUP2:-} ]] && return 0
	NT_CGROUP2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[[ -n $NT_CGROUP2 ]] || { nt_log "no cgroup2 mount"; return 1; }
}

# nt_container NAME: a cgroup v2 directory named like docker's,
# <cgroup2>/system.slice/docker-<64 hex>.scope (system.slice is created when
# missing and removed again at cleanup); sets NT_CID_<NAME> (the 64-hex id),
# NT_SHORT_<NAME> (its 12-char form, as docker ps shows it) and NT_CG_<NAME>
# (the directory). Start processes in it with nt_bg_in.
nt_container() {
	local name=${1//-/_} id dir
	nt_cgroup2_root || return 1
	id=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	[[ ${#id} -eq 64 ]] || return 1
	if [[ ! -d $NT_CGROUP2/system.slice ]]; then
		mkdir "$NT_CGROUP2/system.slice" || return 1
		NT_CGROUPS+=("$NT_CGROUP2/system.slice")
	fi
	dir=$NT_CGROUP2/system.slice/docker-$id.scope
	mkdir "$dir" || return 1
	NT_CGROUPS+=("$dir")
	printf -v "NT_CID_$name" '%s' "$id"
	printf -v "NT_SHORT_$name" '%s' "${id:0:12}"
	printf -v "NT_CG_$name" '%s' "$dir"
}

# nt_bg_in CONTAINER HOST NAME CMD...: nt_bg, with the process moved into the
# container's cgroup before it execs CMD (so its sockets are born there).
nt_bg_in() {
	local var="NT_CG_${1//-/_}"; shift
	local dir=${!var:?no container $1} host=$1 name=$2; shift 2
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' nt-bg-in "$dir" \
		ip netns exec "$NT_PREFIX$host" "$@" >"$NT_TMP/$name.out" 2>"$NT_TMP/$name.err" &
	local pid=$!
	NT_PIDS+=("$pid")
	printf -v "NT_PID_${name//-/_}" '%s' "$pid"
}

# nt_wait_listen HOST PORT [TIMEOUT_S]: waits until something listens on PORT in HOST.
nt_wait_listen() {
	local host=$1 port=$2 t=${3:-10} i
	for ((i = 0; i < t * 20; i++)); do
		if ip netns exec "$NT_PREFIX$host" ss -Hltn "sport = :$port" | grep -q .; then return 0; fi
		sleep 0.05
	done
	nt_log "nothing listens on :$port in $host after ${t}s"
	return 1
}

# nt_stop NAME [SIGNAL]: stops a background command we started, waits for it.
nt_stop() {
	local var="NT_PID_${1//-/_}" sig=${2:-TERM}
	local pid=${!var:-}
	[[ -n $pid ]] || return 0
	kill -"$sig" "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# nt_wait NAME [TIMEOUT_S]: waits for a background command to exit by itself
# (kills it after the timeout); returns its status.
nt_wait() {
	local var="NT_PID_${1//-/_}" t=${2:-60} i
	local pid=${!var:-}
	[[ -n $pid ]] || return 0
	for ((i = 0; i < t * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		nt_log "$1 (pid $pid) still running after ${t}s: killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null
}

# nt_out NAME: the stdout of a background command (its key=value line).
nt_out() { cat "$NT_TMP/$1.out" 2>/dev/null; }

# nt_field LINE KEY: value of key=value in a line.
nt_field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2; exit }'; }

# nt_counters HOST: every Tcp/TcpExt/IpExt counter of the namespace as
# "TcpExtListenOverflows 12" lines (from /proc/net/netstat and /proc/net/snmp).
nt_counters() {
	ip netns exec "$NT_PREFIX$1" cat /proc/net/netstat /proc/net/snmp | awk '
		{ pfx = $1; sub(":", "", pfx) }
		pfx in hdr { for (i = 2; i <= NF; i++) print pfx hdr[pfx, i], $i; delete hdr[pfx]; next }
		{ hdr[pfx] = 1; for (i = 2; i <= NF; i++) hdr[pfx, i] = $i }'
}

# nt_snapshot HOST: remembers the counters now (the baseline of nt_delta).
nt_snapshot() { nt_counters "$1" >"$NT_SNAP_DIR/$1"; }

# nt_delta HOST KEY...: prints "HOST.KEY=delta" since nt_snapshot for each KEY.
nt_delta() {
	local host=$1; shift
	nt_counters "$host" >"$NT_SNAP_DIR/$host.now"
	local k
	for k in "$@"; do
		awk -v k="$k" -v h="$host" '
			FNR == NR { if ($1 == k) base = $2; next }
			$1 == k { printf "%s.%s=%d\n", h, k, $2 - base }' \
			"$NT_SNAP_DIR/$host" "$NT_SNAP_DIR/$host.now"
	done
}

# nt_nft_counter HOST FAMILY TABLE NAME: packets of the named counter object.
nt_nft_counter() {
	ip netns exec "$NT_PREFIX$1" nft list counter "$2" "$3" "$4" 2>/dev/null |
		awk '/packets/ { for (i = 1; i <= NF; i++) if ($i == "packets") { print $(i + 1); exit } }'
}

# nt_cleanup: kills the PIDs we started, deletes our namespaces and temp dir.
nt_cleanup() {
	local pid ns
	trap - EXIT INT TERM
	if declare -F scenario_cleanup_hook >/dev/null; then scenario_cleanup_hook || true; fi
	for pid in "${NT_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${NT_PIDS[@]}"; do
		local i
		for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	NT_PIDS=()
	local cg n
	for ((i = ${#NT_CGROUPS[@]} - 1; i >= 0; i--)); do
		cg=${NT_CGROUPS[i]}
		# A cgroup is removable once its processes are gone (they were ours).
		for ((n = 0; n < 20; n++)); do rmdir "$cg" 2>/dev/null && break; sleep 0.1; done
	done
	NT_CGROUPS=()
	for ns in "${NT_NSES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
	NT_NSES=()
	if [[ -n $NT_TMP && -d $NT_TMP && -z ${NT_KEEP_TMP:-} ]]; then rm -rf "$NT_TMP"; fi
	NT_TMP=
}

# nt_main "$@": the command line of an executed scenario script:
#   <scenario>.sh run [--record CMD] [--keep]   setup, [recorder], traffic, oracle, teardown
#   <scenario>.sh setup | traffic | oracle       single steps are for sourcing, see above
nt_main() {
	local cmd=${1:-run} record= rec_pid
	shift || true
	while (($#)); do
		case $1 in
		--record) record=$2; shift 2 ;;
		--keep) NT_KEEP_TMP=1; shift ;;
		-h | --help)
			echo "Usage: $0 run [--record 'CMD ARGS'] [--keep]"
			echo "Runs the '$NT_SCENARIO' scenario: setup, (recorder), traffic, oracle counters, teardown."
			echo "Environment: NT_PREFIX (namespace prefix), NT_TRAFFIC (path of nt-traffic)."
			return 0 ;;
		*) echo "$0: unknown argument '$1'" >&2; return 2 ;;
		esac
	done
	[[ $cmd == run ]] || { echo "$0: unknown command '$cmd' (run)" >&2; return 2; }
	scenario_setup || nt_die "setup failed"
	if [[ -n $record ]]; then
		nt_log "starting recorder: $record"
		bash -c "exec $record" &
		rec_pid=$!
		NT_PIDS+=("$rec_pid")
		sleep "${NT_RECORD_SETTLE:-3}"
	fi
	scenario_traffic || nt_log "traffic reported a failure"
	if [[ -n $record ]]; then
		sleep 1.5 # let the last frame flush (flush interval 1 s)
		kill -INT "$rec_pid" 2>/dev/null || true
		wait "$rec_pid" 2>/dev/null || true
	fi
	scenario_oracle
	scenario_teardown
}
