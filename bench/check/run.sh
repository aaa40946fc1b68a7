#!/usr/bin/env bash
# Times `modc --check` against the front end's targets (not a timed test):
#   a generated ~50,000-line program   median of 5   < 2 s
#   each example                       median of 20  < 20 ms
# and `modc --version` as the start-up floor (loading the tool's shared
# libraries), which every command pays before the front end runs.
#
#   bench/check/run.sh [BUILD_DIR]      (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
modc=$build/bin/modc
[ -x "$modc" ] || { echo "no $modc: build it first (make build)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$root/bench/check/gen_program.py" 50000 > "$work/big.mod"
lines=$(wc -l < "$work/big.mod")
"$modc" "$work/big.mod" --check   # must be valid: fail loudly if not

# median_ms RUNS CMD...: median wall time of RUNS runs, in milliseconds.
if command -v hyperfine > /dev/null; then
  median_ms() {
    local runs=$1; shift
    hyperfine -N --style none --warmup 1 --runs "$runs" \
      --export-json "$work/h.json" "$(printf '%q ' "$@")" > /dev/null 2>&1
    python3 -c 'import json,sys; print("%.1f" % (1000 * json.load(open(sys.argv[1]))["results"][0]["median"]))' "$work/h.json"
  }
else
  median_ms() {
    python3 - "$@" <<'PY'
import statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # warm-up
times = []
for _ in range(runs):
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    times.append(time.perf_counter() - start)
print("%.1f" % (1000 * statistics.median(times)))
PY
  }
fi

status=0
# report NAME MS LIMIT_MS FLOOR_MS: one line; a missed target sets status.
report() {
  local verdict=ok
  if ! python3 -c "import sys; sys.exit(float(sys.argv[1]) >= float(sys.argv[2]))" "$2" "$3"; then
    verdict=MISSED
    status=1
  fi
  local front
  front=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[1]) - float(sys.argv[2])))" "$2" "$4")
  printf '%-26s %9s ms  (front end ~%7s ms)  target < %s ms: %s\n' "$1" "$2" "$front" "$3" "$verdict"
}

floor=$(median_ms 20 "$modc" --version)
printf '%-26s %9s ms  start-up floor: loading the shared libraries\n' "modc --version" "$floor"

big=$(median_ms 5 "$modc" "$work/big.mod" --check)
report "generated, $lines lines" "$big" 2000 "$floor"

for f in "$root"/examples/*.mod; do
  report "$(basename "$f")" "$(median_ms 20 "$modc" "$f" --check)" 20 "$floor"
done
exit $status
