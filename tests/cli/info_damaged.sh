# info_damaged.sh: info on a crashed and a cut tape; usage errors.
"$MKTAPE" -q -o crashed --events 5000 --conns 50 --seed 12 --crash --mix sample=1
"$NETTAPE" info crashed | grep -E '^  (chunks|records|damage) '
"$MKTAPE" -q -o cut --events 5000 --conns 50 --seed 12 --mix sample=1
size=$(stat -c %s cut/chunk-00000001.ntc)
truncate -s $((size - 3000)) cut/chunk-00000001.ntc
"$NETTAPE" info cut | grep -E '^  (chunks|damage) ' | sed -E 's/offset [0-9]+/offset N/; s/frame [0-9]+/frame F/; s/file ends inside a frame header \([0-9]+ of [0-9]+ bytes\)/truncated (X of Y bytes present)/; s/\([0-9]+ of [0-9]+ bytes present\)/(X of Y bytes present)/'
echo "exit=${PIPESTATUS[0]}"
"$NETTAPE" info; echo "exit=$?"
"$NETTAPE" info -x crashed; echo "exit=$?"
"$NETTAPE" info nothing-here; echo "exit=$?"
"$NETTAPE" info "$GOLDEN/bad-magic.chunk" 2>&1 | sed "s|$GOLDEN|GOLDEN|"; echo "exit=${PIPESTATUS[0]}"
