#!/bin/sh
# layering.sh: fails when a source file includes a header across a layer the wrong way (docs/ARCHITECTURE.md).
# Usage: layering.sh SOURCE_DIR
#
# The rules (docs/ARCHITECTURE.md: one format library used by two programs; the analyzer in layers):
#   format/    includes only format/ headers (and system headers <...>)
#   bpf/       includes only bpf/ headers: the BPF ABI is its own contract
#   recorder/  includes recorder/, format/, bpf/ headers and its generated skeleton; never analyzer/
#   analyzer/  includes analyzer/ and format/ headers; never recorder/ or bpf/. Inside it, headers
#              are named from analyzer/ ("store/db.h") and each folder includes only the folders
#              below it:
#                util/      util
#                store/     store util
#                import/    import store util
#                pcap/      pcap import store util
#                detect/    detect store util
#                incident/  incident detect store util
#                report/    report incident detect store util
#                bundle/    bundle report incident detect pcap import store util
#                cmd/       everything
#              so detect/ and incident/ never include report/ or cmd/, and nothing but cmd/
#              includes cmd/.
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
				*:*) # ROOT:FOLDER: a header named "FOLDER/x.h" from ROOT
					case $h in "${a#*:}"/*) [ -e "${a%%:*}/$h" ] && ok=1 ;; esac ;;
				*) [ -e "$a/$h" ] && ok=1 ;;
				esac
			done
			if [ $ok = 0 ]; then
				where=$(for d in format bpf recorder analyzer; do [ -e "$d/$h" ] && printf '%s ' "$d/$h"; done)
				echo "layering: $f includes \"$h\" (${where:-not in the tree}), outside what $dir/ may include: $*"
				echo x
			fi
		done
	done
}
A=analyzer
out=$( {
	check format format
	check bpf bpf
	check recorder recorder format bpf skel
	check $A format
	check $A/util format $A:util
	check $A/store format $A:util $A:store
	check $A/import format $A:util $A:store $A:import
	check $A/pcap format $A:util $A:store $A:import $A:pcap
	check $A/detect format $A:util $A:store $A:detect
	check $A/incident format $A:util $A:store $A:detect $A:incident
	check $A/report format $A:util $A:store $A:detect $A:incident $A:report
	check $A/bundle format $A:util $A:store $A:import $A:pcap $A:detect $A:incident $A:report $A:bundle
	check $A/cmd format $A:util $A:store $A:import $A:pcap $A:detect $A:incident $A:report $A:bundle $A:cmd
} )
printf '%s\n' "$out" | grep -v '^x$' | grep . && bad=1
if [ $bad = 0 ]; then
	echo "layering: ok (format/, bpf/, recorder/, analyzer/ and its folders)"
	exit 0
fi
exit 1
