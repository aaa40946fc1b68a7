"""Small-batch (decode) speed of moe.mod against the memory bound, and the
bf16 builds of moe.mod and lora.mod against their f32 builds; each
measurement in its own process (issue 13: "Speed of the f32 path too" and
the bf16 speed-ups).

    make bench-decode   (or: /usr/bin/python3 bench/decode/bench.py build)

For moe.mod at N in 1, 4, 8, 16, 32, 256, 2048 tokens and lora.mod at 1,
16, 256, 2048: modc's forward time (2 threads, median),
the bytes of the experts the routing touches (plus the gate), the stream
bound = bytes / BW with BW the best of a 1- and 2-thread read of 256 MiB
(NumPy, PyTorch) measured in its own process just before each row (this
machine's bandwidth drifts), and modc's fraction of the bound; then
the bf16 build (every f32 in moe.mod spelled bf16) and its speed-up over
f32. With --busy, the same with one core kept busy (`yes > /dev/null`)
and modc's time against its quiet time.
"""

import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "bench"))

CASES = [("moe", 512, [1, 4, 8, 16, 32, 256, 2048]),
         ("lora", 1024, [1, 16, 256, 2048])]


def worker_bandwidth():
    import numpy as np
    import torch
    from timing import median_time
    a = np.ones(256 * 1024 * 1024 // 4, np.float32)
    best = 0.0
    for threads in (1, 2):
        torch.set_num_threads(threads)
        t = torch.from_numpy(a)
        s = median_time(lambda: t.sum(), min_reps=5)
        best = max(best, a.nbytes / s / 1e9)
    s = median_time(lambda: a.sum(), min_reps=5)
    best = max(best, a.nbytes / s / 1e9)
    return {"bw": best}


def worker_modc(lib, n, dtype, d):
    import numpy as np
    import modrt
    from timing import median_time
    m = modrt.load(lib)
    m.set_threads(2)
    m.init(1)
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, d)).astype(np.float32)
    if dtype == "bf16":
        x = modrt.to_bf16(x)
    touched = 0
    if hasattr(m, "router_logits"):
        logits = m.router_logits(x)
        if dtype == "bf16":
            logits = modrt.from_bf16(logits)
        top = np.argsort(-logits, axis=1)[:, :2]
        touched = len(np.unique(top))
    t = median_time(lambda: m.forward(x), min_time=0.5, min_reps=10)
    return {"t": t, "touched": touched}


def run_worker(*args):
    out = subprocess.check_output(
        [sys.executable, os.path.abspath(__file__), "--worker", *map(str, args)])
    return json.loads(out.decode().strip().splitlines()[-1])


def build(build_dir, name, dtype):
    src = os.path.join(ROOT, "examples", f"{name}.mod")
    out = os.path.join(build_dir, "bench", f"lib{name}_decode_{dtype}.so")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(src) as f:
        text = f.read()
    if dtype == "bf16":
        text = text.replace("f32", "bf16")
    with tempfile.NamedTemporaryFile("w", suffix=".mod", delete=False) as f:
        f.write(text)
        path = f.name
    subprocess.check_call([os.path.join(build_dir, "bin", "modc"), path, "-o", out])
    os.unlink(path)
    return out


def weight_bytes(name, touched):
    """Elements of the weights one forward reads."""
    if name == "moe":
        return touched * 3 * 512 * 1024 + 512 * 8
    return 1024 * 1024 + 1024 + 2 * 1024 * 16


def main():
    if sys.argv[1] == "--worker":
        kind = sys.argv[2]
        if kind == "bw":
            res = worker_bandwidth()
        else:
            res = worker_modc(sys.argv[3], int(sys.argv[4]), sys.argv[5],
                              int(sys.argv[6]))
        print(json.dumps(res))
        return
    build_dir = sys.argv[1]
    busy = "--busy" in sys.argv
    print("bound: the weights read once (moe: the experts the routing "
          "touches) / BW, BW measured before each row")
    print(f"{'model':5} {'N':>5} {'BW GB/s':>7} {'experts':>7} {'f32 ms':>8} "
          f"{'bound ms':>8} {'%bound':>7} {'bf16 ms':>8} {'%bound':>7} "
          f"{'bf16 x':>6}" + ("  busy f32 ms  busy/quiet" if busy else ""))
    for name, d, ns in CASES:
        libs = {t: build(build_dir, name, t) for t in ("f32", "bf16")}
        for n in ns:
            bw = run_worker("bw")["bw"]
            r32 = run_worker("modc", libs["f32"], n, "f32", d)
            r16 = run_worker("modc", libs["bf16"], n, "bf16", d)
            b32 = weight_bytes(name, r32["touched"]) * 4 / (bw * 1e9)
            b16 = weight_bytes(name, r16["touched"]) * 2 / (bw * 1e9)
            line = (f"{name:5} {n:5d} {bw:7.1f} {r32['touched']:7d} "
                    f"{r32['t'] * 1e3:8.3f} {b32 * 1e3:8.3f} "
                    f"{100 * b32 / r32['t']:6.1f}% {r16['t'] * 1e3:8.3f} "
                    f"{100 * b16 / r16['t']:6.1f}% {r32['t'] / r16['t']:6.2f}")
            if busy and n <= 32:
                hog = subprocess.Popen(["yes"], stdout=subprocess.DEVNULL)
                try:
                    rb = run_worker("modc", libs["f32"], n, "f32", d)
                finally:
                    hog.kill()
                    hog.wait()
                line += f"  {rb['t'] * 1e3:11.3f}  {rb['t'] / r32['t']:10.2f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
