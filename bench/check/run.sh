#!/usr/bin/env bash
# Times `modc --check` against the front end's targets (not a timed test):
#   a generated ~50,000-line program   median of 5   < 2 s
#   each example                       median of 20  < 20 ms
# Each line also shows the front end's share: the median over paired runs
# of (modc FILE --check) - (modc --version), the second being the start-up
# every command pays (loading the shared libraries) before reading a file.
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
  timer=hyperfine
  median_ms() {
    local runs=$1; shift
    hyperfine -N --style none --warmup 1 --runs "$runs" \
      --export-json "$work/h.json" "$(printf '%q ' "$@")" > /dev/null 2>&1
    python3 -c 'import json,sys; print("%.1f" % (1000 * json.load(open(sys.argv[1]))["results"][0]["median"]))' "$work/h.json"
  }
else
  timer="a Python loop"
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

# front_ms RUNS FILE: median of paired differences (check - version), ms.
front_ms() {
  python3 - "$modc" "$@" <<'PY'
import statistics, subprocess, sys, time
modc, runs, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def once(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start
diffs = [once([modc, path, "--check"]) - once([modc, "--version"])
         for _ in range(runs)]
print("%.1f" % (1000 * max(0.0, statistics.median(diffs))))
PY
}

status=0
# report NAME FILE RUNS LIMIT_MS: one line; a missed target sets status.
report() {
  local t front verdict=ok
  t=$(median_ms "$3" "$modc" "$2" --check)
  front=$(front_ms "$3" "$2")
  if ! python3 -c "import sys; sys.exit(float(sys.argv[1]) >= float(sys.argv[2]))" "$t" "$4"; then
    verdict=MISSED
    status=1
  fi
  printf '%-26s %9s ms   front end %8s ms   target < %s ms: %s\n' "$1" "$t" "$front" "$4" "$verdict"
}

echo "median wall times, by $timer"
printf '%-26s %9s ms   start-up of every command\n' "modc --version" "$(median_ms 20 "$modc" --version)"
report "generated, $lines lines" "$work/big.mod" 5 2000
for f in "$root"/examples/*.mod; do
  report "$(basename "$f")" "$f" 20 20
done
exit $status
