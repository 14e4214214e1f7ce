# lib_cli.sh: shared by the pcap/bundle CLI tests (sourced). Set CMD to the
# subcommand under test ("pcap", "bundle") before calling expect_rc.

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_rc WANT CMD...: runs CMD with stdout in out.txt and stderr in err.txt;
# its exit code must be WANT and, when WANT is not 0, stderr one line that
# starts with "nettape $CMD: ".
expect_rc() {
	local want=$1; shift
	set +e
	"$@" >out.txt 2>err.txt
	local rc=$?
	set -e
	[ "$rc" = "$want" ] || { cat err.txt >&2; fail "'$*' exited $rc, want $want"; }
	if [ "$want" != 0 ]; then
		[ "$(wc -l <err.txt)" = 1 ] || { cat err.txt >&2; fail "'$*': want one error line"; }
		grep -q "^nettape $CMD: " err.txt || fail "'$*': error does not name the command"
	fi
}

# tshark_workdir W GEN: the pcap export tests' start: skip (77) without
# tshark, a fresh work dir W as the current directory, GEN's synthetic tape
# written there and its variables (FROM TO T_SYN NPKT_WINDOW) set.
tshark_workdir() {
	command -v tshark >/dev/null || { echo "SKIP: tshark not installed (apt-get install tshark)"; exit 77; }
	rm -rf "$1"
	mkdir -p "$1"
	cd "$1"
	eval "$("$2" tape)"
}

# ts CAPTURE ARGS...: tshark -r CAPTURE ARGS, its complaints dropped.
ts() { tshark -r "$1" "${@:2}" 2>/dev/null; }
