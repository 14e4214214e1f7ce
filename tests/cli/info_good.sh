# info_good.sh: 'nettape info' on a clean tape (text and JSON); sizes vary with the zstd version and are masked.
"$MKTAPE" -q -o tape --events 50000 --conns 200 --chunk-time 1 --rate 20000 --seed 11 --host web-1 --mix sample=70,drop=10,retrans=10,loss=1,pin=0
"$NETTAPE" info tape | sed -E 's/^(  recording id   ).*/\1ID/; s/^(  command line   ).*/\1CMD/; s/^(  size           ).*/\1SIZE/; s/^(  per event      ).*/\1PER_EVENT/'
echo "exit=${PIPESTATUS[0]}"
"$NETTAPE" info --json tape > info.json; echo "exit=$?"
python3 - <<'PY'
import json
d = json.load(open("info.json"))
t = d["tapes"][0]
print(t["host"], t["chunks"], t["events"], t["by_type"].get("sample"), t["damage"])
print(t["time"]["first"], t["time"]["last"], t["compression_ratio"] > 1, t["bytes_per_event"] > 0)
PY
