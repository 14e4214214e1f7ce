# verify_good.sh: a clean tape of 3 chunks verifies OK (exit 0); -q prints nothing.
"$MKTAPE" -q -o tape --events 50000 --conns 200 --chunk-time 1 --rate 20000 --seed 11 --mix sample=70,drop=6,retrans=8,cong=4,state=2,reset=2,packet=2,loss=1,pin=1
"$NETTAPE" verify tape; echo "exit=$?"
"$NETTAPE" verify -q tape; echo "exit=$?"
"$NETTAPE" verify tape/chunk-00000002.ntc; echo "exit=$?"
# kill -9 while recording: the last chunk stays .partial, without index, and is still clean
"$MKTAPE" -q -o crashed --events 5000 --conns 50 --seed 12 --crash --mix sample=70,drop=6,retrans=8,state=2,loss=1
ls crashed
"$NETTAPE" verify crashed; echo "exit=$?"
