"""A/B timing of libraries built from one model (two compiler or runtime
versions, two flags), each measurement in its own process, rounds
interleaved so that the machine's drift (its bandwidth and clock move by
20-80% within an hour here) hits every variant alike.

    /usr/bin/python3 bench/ab/ab.py ENTRY D N1,N2,... ROUNDS LIB_A LIB_B ...

ENTRY takes one f32 input [N, D] (bf16 libraries get it as bf16 bits);
prints per N and library the best and the median over the rounds of each
process's median time (ms), 2 threads.
"""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "bench"))


def worker(lib, entry, n, d):
    import numpy as np
    import modrt
    from timing import median_time
    m = modrt.load(lib)
    m.set_threads(2)
    m.init(1)
    x = np.random.default_rng(n).standard_normal((n, d)).astype(np.float32)
    if m.info.params and m.info.params[0]["dtype"] == "bf16":
        x = modrt.to_bf16(x)
    fn = getattr(m, entry)
    return median_time(lambda: fn(x), min_time=0.3, min_reps=10)


def main():
    if sys.argv[1] == "--worker":
        lib, entry, n, d = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        print(json.dumps(worker(lib, entry, n, d)))
        return
    entry, d = sys.argv[1], int(sys.argv[2])
    ns = [int(v) for v in sys.argv[3].split(",")]
    rounds, libs = int(sys.argv[4]), sys.argv[5:]
    times = {}
    for _ in range(rounds):
        for n in ns:
            for lib in libs:
                out = subprocess.check_output(
                    [sys.executable, os.path.abspath(__file__), "--worker", lib,
                     entry, str(n), str(d)])
                times.setdefault((n, lib), []).append(
                    json.loads(out.decode().strip().splitlines()[-1]) * 1e3)
    for n in ns:
        cells = []
        for lib in libs:
            t = sorted(times[(n, lib)])
            cells.append(f"{os.path.basename(lib)} {t[0]:.3f} (median {t[len(t) // 2]:.3f})")
        print(f"N={n:<5d} " + "   ".join(cells))


if __name__ == "__main__":
    main()
