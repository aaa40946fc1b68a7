#!/usr/bin/env bash
# Runs every lit test and every GoogleTest test in one lit invocation and
# ends with the line "N passed, M failed" (exit status non-zero on failure).
set -uo pipefail
build=${1:-build}
lit=${2:-/usr/lib/llvm-19/build/utils/lit/lit.py}
log=$(mktemp)
python3 "$lit" -v --no-progress-bar "$build/test" "$build/test/unit" "$build/test/via-mlir" "$build/test/gpu-mapped" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
count() { sed -n "s/^ *$1 *: *\([0-9]*\).*/\1/p" "$log" | head -n1; }
passed=$(( $(count Passed || true) + 0 ))
xfail=$(( $(count "Expectedly Failed" || true) + 0 ))
failed=$(( $(count Failed || true) + 0 ))
xpass=$(( $(count "Unexpectedly Passed" || true) + 0 ))
unresolved=$(( $(count Unresolved || true) + 0 ))
timedout=$(( $(count "Timed Out" || true) + 0 ))
skipped=$(( $(count Unsupported || true) + 0 ))
rm -f "$log"
ok=$((passed + xfail))
bad=$((failed + xpass + unresolved + timedout))
if [ "$status" -ne 0 ] && [ "$bad" -eq 0 ]; then
  bad=1
fi
if [ "$skipped" -gt 0 ]; then
  echo "$ok passed, $bad failed, $skipped skipped"
else
  echo "$ok passed, $bad failed"
fi
[ "$bad" -eq 0 ]
