#!/usr/bin/python3
"""GFLOP/s of torch.matmul on the shapes of modrt-gemm-bench.

The baseline for docs/gemm.md. Run it with Debian's python3 and OpenBLAS's
AVX-512 kernels (the machines pin OpenBLAS to AVX2 otherwise):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 \
        bench/gemm/torch_matmul.py [--threads=1,2] [M K N ...]

"T threads" means torch.set_num_threads(T) and, when torch's BLAS is
OpenBLAS, openblas_set_num_threads(T): torch cannot tell Debian's OpenBLAS
its thread count, and OpenBLAS otherwise uses every core. The script prints
which BLAS library the process loaded; Debian's reference BLAS (libblas3
without libopenblas0) is 20-40x slower and no baseline at all.
"""

import ctypes
import statistics
import sys
import time

import torch

DEFAULT_SHAPES = [(m, k, n) for m in (1, 16, 256, 2048)
                  for (k, n) in ((512, 1024), (1024, 512), (1024, 1024),
                                 (512, 8), (1024, 16), (16, 1024))]


def loaded_blas():
    """The BLAS shared object mapped into this process, or None."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "/" in line}
    for path in sorted(paths):
        if "openblas" in path or "/libblas" in path or "mkl" in path:
            return path
    return None


def set_blas_threads(path, threads):
    """Tells OpenBLAS its thread count; False if the library is not it."""
    if not path or "openblas" not in path:
        return False
    lib = ctypes.CDLL(path)
    if not hasattr(lib, "openblas_set_num_threads"):
        return False
    lib.openblas_set_num_threads(ctypes.c_int(threads))
    return True


def measure(m, k, n, samples=11):
    """Median GFLOP/s of torch.matmul(a, b) over samples of >= 10 ms."""
    gen = torch.Generator().manual_seed(42)
    a = torch.rand(m, k, generator=gen) * 2 - 1
    b = torch.rand(k, n, generator=gen) * 2 - 1
    out = torch.empty(m, n)
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < 0.05:
        torch.matmul(a, b, out=out)
        calls += 1
    per_call = (time.perf_counter() - start) / calls
    reps = max(1, int(0.01 / per_call))
    rates = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(reps):
            torch.matmul(a, b, out=out)
        elapsed = (time.perf_counter() - t0) / reps
        rates.append(2.0 * m * n * k / elapsed / 1e9)
    return statistics.median(rates)


def main(argv):
    threads = [1, 2]
    dims = []
    for arg in argv:
        if arg.startswith("--threads="):
            threads = [int(t) for t in arg[len("--threads="):].split(",")]
        else:
            dims.append(int(arg))
    shapes = [tuple(dims[i:i + 3]) for i in range(0, len(dims) - 2, 3)]
    shapes = shapes or DEFAULT_SHAPES

    torch.matmul(torch.ones(2, 2), torch.ones(2, 2))  # Loads the BLAS.
    blas = loaded_blas()
    print(f"torch {torch.__version__} matmul, BLAS {blas or 'unknown'}, "
          "GFLOP/s (median)")
    print(f"{'M':>6} {'K':>6} {'N':>6}" +
          "".join(f"  {t:5d} thr" for t in threads))
    for m, k, n in shapes:
        row = f"{m:6d} {k:6d} {n:6d}"
        for t in threads:
            torch.set_num_threads(t)
            set_blas_threads(blas, t)
            row += f"  {measure(m, k, n):9.1f}"
        print(row, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
