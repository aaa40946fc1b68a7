#!/usr/bin/env bash
# Runs `modc --check` on every .mod file of the folder $1 and fails if any
# exits with a status other than 0 or 1 (a signal is 128 + N, a hang 124).
set -u
dir=$1
fail=0
count=0
for f in "$dir"/*.mod; do
  count=$((count + 1))
  timeout 20 modc "$f" --check > /dev/null 2>&1
  rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
    echo "FAIL: modc $f --check exited with status $rc"
    fail=1
  fi
done
echo "$count regression inputs checked"
exit $fail
