#!/bin/bash
# ptxas_all.sh PTXAS WORKDIR FILE.mod...: each program's PTX for sm_80 and
# sm_90 through ptxas; stops at the first failure.
set -e
ptxas=$1 work=$2
shift 2
for f in "$@"; do
  for arch in sm_80 sm_90; do
    modc "$f" --target=cuda --gpu-arch=$arch --emit=ptx -o "$work/k.ptx"
    "$ptxas" -arch=$arch "$work/k.ptx" -o "$work/k.cubin"
    echo "ok $arch $(basename "$f")"
  done
done
echo "all accepted"
