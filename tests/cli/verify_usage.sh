# verify_usage.sh: usage errors exit 2, a missing tape is a one-line error with exit 1.
"$NETTAPE" verify; echo "exit=$?"
"$NETTAPE" verify --bogus tape; echo "exit=$?"
"$NETTAPE" verify does-not-exist; echo "exit=$?"
mkdir empty
"$NETTAPE" verify empty; echo "exit=$?"
"$NETTAPE" verify --help | head -1; echo "exit=${PIPESTATUS[0]}"
