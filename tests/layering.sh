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
# And only analyzer/store/ includes <sqlite3.h>, directly or through a header: a file outside it
# that includes <sqlite3.h>, or a store/ header that does (store/db.h; store/store.h is the
# seam and must not), is a violation. tests/ may use sqlite3 directly.
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
# The store/ headers that bring <sqlite3.h> in, directly or through another store/ header.
sqlite_headers() {
	set -- $(grep -l '^[[:space:]]*#[[:space:]]*include[[:space:]]*<sqlite3\.h>' analyzer/store/*.h 2>/dev/null)
	prev=
	while [ "$*" != "$prev" ]; do
		prev=$*
		for h in analyzer/store/*.h; do
			case " $* " in *" $h "*) continue ;; esac
			for t in "$@"; do
				grep -q "^[[:space:]]*#[[:space:]]*include[[:space:]]*\"store/${t##*/}\"" "$h" && { set -- "$@" "$h"; break; }
			done
		done
	done
	echo "$@"
}
check_sqlite() { # only analyzer/store/ includes <sqlite3.h> (directly or through a store/ header)
	tainted=$(sqlite_headers)
	for h in $tainted; do
		[ "$h" = analyzer/store/store.h ] && echo "layering: analyzer/store/store.h brings in <sqlite3.h>: the seam must not expose the engine" && echo x
	done
	for f in $(find format bpf recorder analyzer -name '*.[ch]' ! -path 'analyzer/store/*' | sort); do
		grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*<sqlite3\.h>' "$f" >/dev/null &&
			echo "layering: $f includes <sqlite3.h>; only analyzer/store/ may (use store/store.h)" && echo x
		for h in $tainted; do
			grep -q "^[[:space:]]*#[[:space:]]*include[[:space:]]*\"store/${h##*/}\"" "$f" &&
				echo "layering: $f includes \"store/${h##*/}\", which brings in <sqlite3.h>; only analyzer/store/ may (use store/store.h)" && echo x
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
	check_sqlite
} )
printf '%s\n' "$out" | grep -v '^x$' | grep . && bad=1
if [ $bad = 0 ]; then
	echo "layering: ok (format/, bpf/, recorder/, analyzer/ and its folders; <sqlite3.h> only in analyzer/store/)"
	exit 0
fi
exit 1
