# lib_e2e.sh: shared helpers of the recorder end-to-end tests (capability checks, recorder start/stop, JSON-lines queries, checks); source it.
#
# Environment (set by tests/e2e.cmake): NETTAPE, NETTAPE_RECORD, NT_TRAFFIC,
# NT_SCENARIOS (the scenarios/ directory). Each test sources one scenario
# script (its functions), sets NT_PREFIX to a test-specific namespace prefix
# and uses these helpers. Exit codes: 0 pass, 1 fail, 77 skip (capability
# missing: not root, no BTF, no bpf()).

E2E_FAILS=0
E2E_REC_PID=
E2E_REC_ERR=

e2e_log() { echo "[$(date +%H:%M:%S.%3N)] $*" >&2; }

e2e_skip() { echo "SKIP: $*" >&2; exit 77; }

# e2e_require: skips (77) when the machine cannot run the recorder at all.
e2e_require() {
	: "${NETTAPE:?NETTAPE not set}" "${NETTAPE_RECORD:?NETTAPE_RECORD not set}"
	: "${NT_TRAFFIC:?NT_TRAFFIC not set}" "${NT_SCENARIOS:?NT_SCENARIOS not set}"
	[[ $(id -u) -eq 0 ]] || e2e_skip "needs root (BPF, network namespaces)"
	[[ -r /sys/kernel/btf/vmlinux ]] || e2e_skip "no kernel BTF (/sys/kernel/btf/vmlinux)"
	# The recorder attaches BTF tracepoints (tp_btf) and needs no tracefs.
	command -v ip >/dev/null || e2e_skip "no iproute2"
	command -v python3 >/dev/null || e2e_skip "no python3"
}

# e2e_check DESC CMD...: one named check.
e2e_check() {
	local d=$1; shift
	if "$@"; then echo "ok   $d"; else echo "FAIL $d"; E2E_FAILS=$((E2E_FAILS + 1)); fi
}

# e2e_fail DESC: an unconditional failure with an explanation.
e2e_fail() { echo "FAIL $*"; E2E_FAILS=$((E2E_FAILS + 1)); }

e2e_finish() {
	if ((E2E_FAILS)); then echo "$E2E_FAILS check(s) failed"; exit 1; fi
	echo "all checks passed"
	exit 0
}

# e2e_start_recorder TAPE ARGS...: starts nettape-record -o TAPE ARGS in the
# background and waits until it reports that it is recording.
e2e_start_recorder() {
	local tape=$1; shift
	E2E_REC_ERR=$NT_TMP/recorder.err
	"$NETTAPE_RECORD" -o "$tape" "$@" >"$NT_TMP/recorder.out" 2>"$E2E_REC_ERR" &
	E2E_REC_PID=$!
	NT_PIDS+=("$E2E_REC_PID")
	local i
	for ((i = 0; i < 300; i++)); do
		if grep -q 'recording to' "$E2E_REC_ERR" 2>/dev/null; then
			sleep 0.5 # attached; let the first frame settle
			return 0
		fi
		if ! kill -0 "$E2E_REC_PID" 2>/dev/null; then
			# Capabilities were checked by e2e_require: a failed start is a failure, not a skip.
			wait "$E2E_REC_PID"; local rc=$?
			echo "FAIL recorder exited at start with status $rc:" >&2
			cat "$E2E_REC_ERR" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "FAIL recorder did not report 'recording to' within 30 s" >&2
	cat "$E2E_REC_ERR" >&2
	exit 1
}

# e2e_stop_recorder [SIGNAL]: stops it (SIGINT: clean), waits; returns its status.
e2e_stop_recorder() {
	local sig=${1:-INT} rc
	[[ -n $E2E_REC_PID ]] || return 0
	kill -"$sig" "$E2E_REC_PID" 2>/dev/null
	local i
	for ((i = 0; i < 150; i++)); do kill -0 "$E2E_REC_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$E2E_REC_PID" 2>/dev/null; then
		echo "FAIL recorder did not stop within 15 s of SIG$sig" >&2
		kill -KILL "$E2E_REC_PID" 2>/dev/null
	fi
	wait "$E2E_REC_PID"; rc=$?
	E2E_REC_PID=
	return $rc
}

# e2e_replay TAPE OUT [ARGS...]: nettape replay --json into OUT; fails the test on error.
e2e_replay() {
	local tape=$1 out=$2; shift 2
	if ! "$NETTAPE" replay "$tape" --json "$@" >"$out" 2>"$out.err"; then
		echo "FAIL nettape replay $tape failed:" >&2
		cat "$out.err" >&2
		E2E_FAILS=$((E2E_FAILS + 1))
		return 1
	fi
	if [[ -s $out.err ]]; then cat "$out.err" >&2; fi
}

# e2e_count FILE PYEXPR: number of JSON lines r for which PYEXPR is true.
e2e_count() {
	python3 - "$1" "$2" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    try:
        if eval(sys.argv[2], {}, {"r": r}):
            n += 1
    except (KeyError, TypeError):
        pass
print(n)
PY
}

# e2e_py FILE CODE: runs python CODE with rows = the JSON lines of FILE.
e2e_py() {
	python3 - "$1" "$2" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
exec(sys.argv[2])
PY
}

# e2e_oracle FILE KEY: the value of KEY=value in an oracle file.
e2e_oracle() { awk -F= -v k="$2" '$1 == k { print $2; exit }' "$1"; }

# e2e_summary FILE: type counts of a replay, for the log.
e2e_summary() {
	e2e_py "$1" '
import collections
c = collections.Counter(r["type"] + ("/" + str(r["kind"]) if "kind" in r else "") for r in rows)
print("replay:", ", ".join("%s=%d" % kv for kv in sorted(c.items())))' >&2
}

# e2e_lost FILE CLASS: events of CLASS (drop, retrans, ...) the recorder reported
# as lost (loss records of that class or of all classes).
e2e_lost() {
	e2e_py "$1" "print(sum(r['count'] for r in rows if r['type'] == 'loss' and r['class'] in ('$2', 'all')))"
}

# e2e_exact DESC RECORDED ORACLE LOST: RECORDED must equal ORACLE, unless the
# recorder declared LOST events of that class: then RECORDED <= ORACLE <= RECORDED + LOST
# (loss is data: declared loss is not a miscount).
e2e_exact() {
	local d=$1 rec=$2 ora=$3 lost=${4:-0}
	if ((rec == ora)); then
		echo "ok   $d: recorded $rec = oracle $ora"
	elif ((lost > 0 && rec < ora && rec + lost >= ora)); then
		echo "ok   $d: recorded $rec + declared lost $lost covers oracle $ora"
	else
		echo "FAIL $d: recorded $rec, oracle $ora (declared lost: $lost)"
		E2E_FAILS=$((E2E_FAILS + 1))
	fi
}

# e2e_trigger_fired FILE KIND PORT: the live trigger KIND fired (a pin record in
# the replay FILE) and its description names a connection on PORT.
e2e_trigger_fired() {
	local n
	n=$(e2e_count "$1" "r['type']=='pin' and r['trigger']=='$2' and ':$3' in r['description']")
	e2e_check "trigger $2 fired for the connection on port $3 ($n pin record(s))" test "$n" -ge 1
}
