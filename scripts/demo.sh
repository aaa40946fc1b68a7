#!/usr/bin/env bash
# Compiles examples/lora.mod into a shared library and runs it from a small
# C host program (examples/host/lora_demo.c).
set -euo pipefail
build=${1:-build}
out="$build/demo"
mkdir -p "$out"
echo "+ modc examples/lora.mod -o $out/liblora.so --header $out/lora.h"
"$build/bin/modc" examples/lora.mod -o "$out/liblora.so" --header "$out/lora.h"
/usr/bin/clang-19 -O2 -I "$out" examples/host/lora_demo.c -o "$out/lora_demo" \
  -L "$out" -llora -Wl,-rpath,"$(cd "$out" && pwd)" -lm
echo "+ $out/lora_demo"
"$out/lora_demo" "$out/lora_weights.safetensors"
