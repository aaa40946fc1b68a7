#!/usr/bin/env bash
# Installs the Debian packages modc needs to build and test. Idempotent: when everything is
# already present it only runs dpkg-query and returns in well under a second.
set -euo pipefail

PACKAGES=(
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools clang-19 lld-19 liblld-19-dev
  antlr4 libantlr4-runtime-dev
  libgtest-dev cmake ninja-build ccache make
  python3-numpy python3-torch python3-venv libopenblas0-pthread
  clang-format libclang-rt-19-dev
)
# Extra packages for one target, e.g. `setup-deps.sh python3-matplotlib` for
# `make bench`'s plot.
PACKAGES+=("$@")

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
