#!/bin/sh
# layering.sh: fails when a source file includes a header across a layer the wrong way (format/ <- recorder/, analyzer/; bpf/ apart).
# Usage: layering.sh SOURCE_DIR
#
# The rules (docs/FORMAT.md and DESIGN.md: one library used by two programs):
#   format/    includes only format/ headers (and system headers <...>)
#   bpf/       includes only bpf/ headers: the BPF ABI is its own contract
#   recorder/  includes recorder/, format/, bpf/ headers and its generated skeleton; never analyzer/
#   analyzer/  includes analyzer/ and format/ headers; never recorder/ or bpf/
# A quoted include is looked up in the allowed folders; one found only in a forbidden folder,
# or nowhere, is a violation.
set -u
SRC=${1:?usage: layering.sh SOURCE_DIR}
cd "$SRC" || exit 2
bad=0
check() { # FOLDER ALLOWED_FOLDERS... : every '#include "x"' of FOLDER's files must be in one of them
	dir=$1
	shift
	for f in "$dir"/*.c "$dir"/*.h; do
		[ -e "$f" ] || continue
		grep -o '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]*"' "$f" | sed 's/.*"\(.*\)"/\1/' |
		while read -r h; do
			ok=0
			for a in "$@"; do
				case $a in
				skel) case $h in *.skel.h) ok=1 ;; esac ;;
				*) [ -e "$a/$h" ] && ok=1 ;;
				esac
			done
			if [ $ok = 0 ]; then
				where=$(for d in format bpf recorder analyzer; do [ -e "$d/$h" ] && printf '%s ' "$d/"; done)
				echo "layering: $f includes \"$h\" (${where:-not in the tree}), outside what $dir/ may include: $*"
				echo x
			fi
		done
	done
}
out=$( { check format format; check bpf bpf; check recorder recorder format bpf skel; check analyzer analyzer format; } )
printf '%s\n' "$out" | grep -v '^x$' | grep . && bad=1
if [ $bad = 0 ]; then
	echo "layering: ok (format/, bpf/, recorder/, analyzer/)"
	exit 0
fi
exit 1
