"""Side-by-side benchmark: modc-compiled examples vs the fastest PyTorch
eager formulation, medians of repeated runs, same process, same inputs.

    make bench            (or: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
                           /usr/bin/python3 bench/models/bench.py build)

Prints, per model and N: modc's time (2 threads), PyTorch's best of 1 and 2
threads, their ratio, the roofline bound max(FLOPs / P, weight bytes / BW)
with P and BW measured here, and each side's fraction of the bound.
"""

import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
import modrt  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
NS = [1, 16, 256, 2048]


def median_time(fn, min_time=0.25, min_reps=5):
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or time.perf_counter() - start < min_time:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        if len(times) > 2000:
            break
    return statistics.median(times)


def compile_example(name):
    out = os.path.join(BUILD, "bench", f"lib{name}.so")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    subprocess.check_call([os.path.join(BUILD, "bin", "modc"),
                           os.path.join(ROOT, "examples", f"{name}.mod"), "-o", out])
    return out


def torch_best(make_fn):
    best = None
    for threads in (1, 2):
        torch.set_num_threads(threads)
        t = median_time(make_fn())
        best = t if best is None else min(best, t)
    return best


def peak_gflops():
    torch.set_num_threads(2)
    a = torch.randn(2048, 2048)
    b = torch.randn(2048, 2048)
    t = median_time(lambda: torch.matmul(a, b), min_reps=5)
    return 2 * 2048 ** 3 / t / 1e9


def stream_gbs():
    a = np.ones(64 * 1024 * 1024 // 4, np.float32)  # 64 MiB, beyond L3
    t = median_time(lambda: a.sum(), min_reps=5)
    return a.nbytes / t / 1e9


def moe_case(m, n, params):
    """moe.mod: top-2 of 8 SwiGLU experts, softmax over the chosen logits."""
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, 512)).astype(np.float32)
    gate = torch.from_numpy(params["gate.w"])
    ws = [(torch.from_numpy(params[f"experts.{e}.w_gate"]),
           torch.from_numpy(params[f"experts.{e}.w_up"]),
           torch.from_numpy(params[f"experts.{e}.w_down"])) for e in range(8)]
    xt = torch.from_numpy(x)

    def torch_fn():
        def run():
            with torch.no_grad():
                logits = xt @ gate
                top, idx = torch.topk(logits, 2, dim=-1)
                w = torch.softmax(top, dim=-1)
                y = torch.zeros_like(xt)
                for e in range(8):
                    rows, slot = torch.nonzero(idx == e, as_tuple=True)
                    if rows.numel() == 0:
                        continue
                    h = xt[rows]
                    g, u, d = ws[e]
                    out = (torch.nn.functional.silu(h @ g) * (h @ u)) @ d
                    y.index_add_(0, rows, out * w[rows, slot].unsqueeze(1))
                return y
        return run

    y = m.forward(x)
    ref = torch_fn()().numpy()
    err = float(np.abs(y - ref).max())
    # Each token: gate (512x8) + 2 experts of 3 matmuls 512x1024.
    flops = n * (2 * 512 * 8 + 2 * 3 * 2 * 512 * 1024)
    experts_touched = min(8, 2 * n)
    bytes_ = 4 * (512 * 8 + experts_touched * 3 * 512 * 1024)
    return (lambda: m.forward(x)), torch_fn, flops, bytes_, err


def lora_case(m, n, params):
    """lora.mod against x @ W' + b with the adapter pre-merged into W'."""
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, 1024)).astype(np.float32)
    W = torch.from_numpy(params["base.w"])
    b = torch.from_numpy(params["base.b"])
    A = torch.from_numpy(params["adapter.A"])
    B = torch.from_numpy(params["adapter.B"])
    merged = W + (A @ B) * 2.0
    xt = torch.from_numpy(x)

    def torch_fn():
        def run():
            with torch.no_grad():
                return torch.addmm(b, xt, merged)
        return run

    y = m.forward(x)
    ref = torch_fn()().numpy()
    err = float(np.abs(y - ref).max())
    flops = n * 2 * 1024 * 1024
    bytes_ = 4 * (1024 * 1024 + 1024)
    return (lambda: m.forward(x)), torch_fn, flops, bytes_, err


def random_params(m, rng):
    out = {}
    for p in m.params:
        out[p["name"]] = (rng.standard_normal(p["shape"]) * 0.05).astype(np.float32)
    return out


def load_params(m, params, path):
    sys.path.insert(0, os.path.join(ROOT, "test", "e2e", "Inputs"))
    from harness import write_safetensors
    write_safetensors(path, params)
    m.load(path)


def main():
    print(f"torch {torch.__version__}, OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}")
    P = peak_gflops()
    BW = stream_gbs()
    print(f"P (torch.matmul 2048^3, 2 threads) = {P:.0f} GFLOP/s; BW (stream read) = {BW:.1f} GB/s")
    rows = []
    for name, case in (("moe", moe_case), ("lora", lora_case)):
        lib = compile_example(name)
        m = modrt.load(lib)
        m.set_threads(2)
        params = random_params(m, np.random.default_rng(0))
        load_params(m, params, os.path.join(BUILD, "bench", f"{name}.safetensors"))
        for n in NS:
            modc_fn, torch_fn, flops, bytes_, err = case(m, n, params)
            t_modc = median_time(modc_fn)
            t_torch = torch_best(torch_fn)
            bound = max(flops / (P * 1e9), bytes_ / (BW * 1e9))
            rows.append((name, n, t_modc, t_torch, bound, err))
    print()
    print(f"{'model':6} {'N':>5} {'modc ms':>9} {'torch ms':>9} {'torch/modc':>10} "
          f"{'bound ms':>9} {'modc %bound':>11} {'torch %bound':>12} {'max err':>9}")
    for name, n, tm, tt, bound, err in rows:
        print(f"{name:6} {n:5d} {tm * 1e3:9.3f} {tt * 1e3:9.3f} {tt / tm:10.2f} "
              f"{bound * 1e3:9.3f} {100 * bound / tm:10.1f}% {100 * bound / tt:11.1f}% {err:9.2e}")


if __name__ == "__main__":
    main()
