# verify_damaged.sh: truncated, corrupted and missing chunks are reported one line each, exit 1.
"$MKTAPE" -q -o tape --events 50000 --conns 200 --chunk-time 1 --rate 20000 --seed 11 --mix sample=70,drop=6,retrans=8,cong=4,state=2,reset=2,packet=2,loss=1,pin=1
cp -r tape cut
# cut the last chunk in the middle (as a copy interrupted by a full disk)
size=$(stat -c %s cut/chunk-00000003.ntc)
truncate -s $((size / 2)) cut/chunk-00000003.ntc
"$NETTAPE" verify cut | sed -E 's/offset [0-9]+/offset N/; s/file ends inside a frame header \([0-9]+ of [0-9]+ bytes\)/truncated (X of Y bytes present)/; s/\([0-9]+ of [0-9]+ bytes present\)/(X of Y bytes present)/; s/frame [0-9]+/frame F/; s/recoverable: [0-9]+/recoverable: R/'
echo "exit=${PIPESTATUS[0]}"
# flip a byte in the middle of chunk 2: a CRC32C catches it, the rest is still read
cp -r tape flip
size=$(stat -c %s flip/chunk-00000002.ntc)
printf '\xff' | dd of=flip/chunk-00000002.ntc bs=1 seek=$((size / 2)) conv=notrunc status=none
"$NETTAPE" verify flip > out.txt; echo "exit=$?"
grep -cE '^chunk-00000002\.ntc: offset [0-9]+: (payload CRC32C mismatch|frame header CRC32C mismatch|no frame magic|.*) in frame [0-9]+ \(recoverable: [0-9]+ records before it\)$' out.txt
grep -c CRC32C out.txt
# a missing chunk in the middle: a sequence gap
cp -r tape gap
rm gap/chunk-00000002.ntc
"$NETTAPE" verify gap; echo "exit=$?"
# the golden bad files: exact messages
"$NETTAPE" verify "$GOLDEN/payload-crc.chunk" "$GOLDEN/bad-record-length.chunk" "$GOLDEN/future-major.chunk" "$GOLDEN/truncated-frame.chunk"; echo "exit=$?"
