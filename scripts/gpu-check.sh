#!/usr/bin/env bash
# The GPU check of docs/gpu.md, in two halves:
#
#   scripts/gpu-check.sh prepare DIR   # here: build libraries and references
#   scripts/gpu-check.sh run DIR       # on the GPU machine: check and time
#
# `prepare` (a machine with modc built) compiles each example entry below
# twice, for the CPU (the reference) and with --target=cuda, builds the host
# driver (scripts/gpu-check/driver.c: libc and dlopen only), and writes the
# CPU outputs into DIR/ref. `run` needs nothing but the NVIDIA driver: it
# runs every cuda library on the GPU against those outputs (entries in their
# host and device forms; train blocks for two steps: both losses), then
# times moe.mod's forward at N = 1, 16, 256, 2048, 8192 (GPU host and
# device forms, CPU build), and prints the tables. Exit status: non-zero
# if any output differs.
set -euo pipefail
mode=${1:?usage: gpu-check.sh prepare|run DIR}
dir=${2:?usage: gpu-check.sh prepare|run DIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
modc=${MODC:-$root/build/bin/modc}

# example model entry N: single-dyn entries with float outputs.
cases=(
  "lora lora forward 64"
  "moe moe forward 64"
  "adapter_fusion fusion forward 8"
  "compacter compacter adapt 16"
  "hash_moe hash_moe forward 32"
  "polytropon polytropon forward 16"
  "train/moe moe_train fit 64"
  "train/multitask_lora multitask_lora fit 64"
  "adapter_anywhere anywhere fit 4"
)

case "$mode" in
prepare)
  mkdir -p "$dir/lib" "$dir/ref"
  clang-19 -O2 -I"$root/runtime/include" "$here/gpu-check/driver.c" \
    -o "$dir/driver" -ldl -lm
  for c in "${cases[@]}"; do
    read -r ex model entry n <<<"$c"
    name=${ex//\//_}
    "$modc" "$root/examples/$ex.mod" -o "$dir/lib/lib${name}_cpu.so"
    "$modc" "$root/examples/$ex.mod" --target=cuda -o "$dir/lib/lib${name}_cuda.so"
    "$dir/driver" "$dir/lib/lib${name}_cpu.so" "$model" "$entry" "$n" \
      "$dir/ref/$name.bin"
  done
  printf '%s\n' "${cases[@]}" >"$dir/cases"
  echo "prepared $dir: copy it to the GPU machine and run: $0 run DIR"
  ;;
run)
  status=0
  echo "| example | N | result |"
  echo "|---|---|---|"
  while read -r ex model entry n; do
    name=${ex//\//_}
    out=$("$dir/driver" "$dir/lib/lib${name}_cuda.so" "$model" "$entry" "$n" \
      "$dir/out_$name.bin" "$dir/ref/$name.bin" 2>&1) || status=1
    echo "| $ex.$entry | $n | ${out//$'\n'/; } |"
  done <"$dir/cases"
  echo
  # moe.mod: D = 512, H = 1024, E = 8 SwiGLU experts, top 2, f32: per token
  # 2 x 3 x 2 x 512 x 1024 flops; 3 x 512 x 1024 x 4 bytes per expert
  # touched (all 8 from 4 tokens). Peaks: H200 4.8 TB/s HBM, 67 TFLOP/s
  # f32 FMA (989 TFLOP/s is bf16 on tensor cores, which modc does not use yet).
  echo "| moe.mod forward | GPU ms (host arrays) | GPU ms (device) | CPU ms | GPU GFLOP/s | GPU GB/s (weights) |"
  echo "|---|---|---|---|---|---|"
  for n in 1 16 256 2048 8192; do
    t=$("$dir/driver" "$dir/lib/libmoe_cuda.so" moe forward "$n" \
      "$dir/t.bin" - 20 2>&1 || true)
    g=$(sed -n 's/.*: median //p;s/^FAIL.*code/code/p' <<<"$t")
    dv=$(sed -n 's/.*device median //p' <<<"$t")
    c=$("$dir/driver" "$dir/lib/libmoe_cpu.so" moe forward "$n" \
      "$dir/t.bin" - 5 2>&1 | sed -n 's/.*median //p' || true)
    ms=${dv%% ms}
    rates=$(awk -v n="$n" -v ms="$ms" 'BEGIN {
      if (ms + 0 <= 0) { print "- | -"; exit }
      e = 2 * n; if (e > 8) e = 8
      printf "%.0f | %.0f", n * 6291456 / ms / 1e6, e * 6291456 / ms / 1e6 }')
    echo "| N = $n | $g | ${dv:--} | $c | $rates |"
  done
  exit $status
  ;;
*)
  echo "usage: gpu-check.sh prepare|run DIR" >&2
  exit 2
  ;;
esac
