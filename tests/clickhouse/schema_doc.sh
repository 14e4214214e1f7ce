#!/bin/sh
# schema_doc.sh: docs/CLICKHOUSE.md shows the schema that store/ch_schema.c defines (the text between its BEGIN/END SCHEMA markers).
# Usage: schema_doc.sh CH_SCHEMA_DOC DOCS/CLICKHOUSE.md WORKDIR   (regenerate: CH_SCHEMA_DOC --markdown, paste between the markers)
set -eu
tool=$1 doc=$2 w=$3
mkdir -p "$w"
"$tool" --markdown > "$w/want.md"
sed -n '/<!-- BEGIN SCHEMA/,/<!-- END SCHEMA/p' "$doc" | sed '1d;$d' > "$w/have.md"
if ! cmp -s "$w/want.md" "$w/have.md"; then
	diff "$w/have.md" "$w/want.md" | head -20
	echo "FAIL: docs/CLICKHOUSE.md's schema differs from store/ch_schema.c; regenerate it with $tool --markdown"
	exit 1
fi
echo "ok: docs/CLICKHOUSE.md matches the schema definition"
