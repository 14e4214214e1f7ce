#!/bin/bash
# run_cli_test.sh: runs one CLI test script and compares its output (stdout+stderr) with CASE.expect (zstd cli-tests style).
# Usage: run_cli_test.sh CASE.sh NETTAPE MKTAPE GOLDEN_DIR
set -u
case_sh=$1
export NETTAPE=$2 MKTAPE=$3 GOLDEN=$4
expect=${case_sh%.sh}.expect
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nettape-cli-XXXXXX")
export WORK
trap 'rm -rf "$WORK"' EXIT
actual=$WORK/actual
(cd "$WORK" && bash "$case_sh") >"$actual" 2>&1
if ! diff -u "$expect" "$actual"; then
	echo "FAIL: $(basename "$case_sh"): output differs from $(basename "$expect") (diff above)"
	exit 1
fi
echo "ok: $(basename "$case_sh")"
