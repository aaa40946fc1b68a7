"""Side-by-side benchmark: modc-compiled examples vs the fastest PyTorch
eager formulation, medians of repeated runs, same process, same inputs.

    make bench            (or: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
                           /usr/bin/python3 bench/models/bench.py build)

Prints, per model and N: modc's time (2 threads), PyTorch's best of 1 and 2
threads, their ratio, the roofline bound max(FLOPs / P, weight bytes / BW)
with P and BW measured here, and each side's fraction of the bound; then
multitask_adapters.mod specialised for one task (--specialize) with 4 and
64 tasks (-DTASKS=...) next to the general library; then modc's GEMM and
torch.matmul in GFLOP/s on the models' shapes. Writes BUILD/bench/bench.png
(time against N: modc, PyTorch, bound) when matplotlib is installed.
"""

import os
import subprocess
import sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import modrt  # noqa: E402
from timing import median_time  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
NS = [1, 16, 256, 2048]


def compile_example(name, *flags, tag=""):
    out = os.path.join(BUILD, "bench", f"lib{name}{tag}.so")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    subprocess.check_call([os.path.join(BUILD, "bin", "modc"),
                           os.path.join(ROOT, "examples", f"{name}.mod"), *flags, "-o", out])
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


def multitask_rows():
    """One library per task (--specialize forward.task_id=0) must cost the
    same whatever the number of tasks; the general library is the
    reference. Every library loads the full checkpoint of its task count."""
    rng = np.random.default_rng(1)
    B, T = 8, 64
    x = rng.standard_normal((B, T, 256)).astype(np.float32)
    ids = np.zeros(B, np.int32)
    out = []
    for tasks in (4, 64):
        times = {}
        for kind, flags in (("general", []),
                            ("specialised", ["--specialize", "forward.task_id=0"])):
            lib = compile_example("multitask_adapters", f"-DTASKS={tasks}", *flags,
                                  tag=f"_{tasks}_{kind}")
            m = modrt.load(lib)
            m.set_threads(2)
            params = random_params(m, rng)
            load_params(m, params, os.path.join(BUILD, "bench", f"multitask{tasks}.safetensors"))
            times[kind] = median_time(lambda: m.forward(x, ids))
            if kind == "specialised":
                got = m.forward(x, ids)
        out.append((tasks, times["general"], times["specialised"]))
    return out


def gemm_rows(P):
    """modc's runtime GEMM (modrt-gemm-bench) against torch.matmul, GFLOP/s,
    on the shapes the models run."""
    shapes = [(1, 512, 1024), (16, 512, 1024), (256, 512, 1024), (2048, 512, 1024),
              (256, 1024, 512), (2048, 1024, 1024)]
    exe = os.path.join(BUILD, "bin", "modrt-gemm-bench")
    if not os.path.exists(exe):
        return []
    # Its table: M K N GFLOP/s-1-thread GFLOP/s-2-threads.
    text = subprocess.run([exe], capture_output=True, text=True).stdout
    modc = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 5 and all(p.isdigit() for p in parts[:3]):
            modc[tuple(int(p) for p in parts[:3])] = float(parts[4])
    rows = []
    for (M, K, N) in shapes:
        a, b = torch.randn(M, K), torch.randn(K, N)
        best = 0.0
        for threads in (1, 2):
            torch.set_num_threads(threads)
            t = median_time(lambda: torch.matmul(a, b))
            best = max(best, 2 * M * K * N / t / 1e9)
        rows.append((M, K, N, modc.get((M, K, N)), best))
    return rows


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no plot: python3-matplotlib is not installed)")
        return
    models = sorted({r[0] for r in rows})
    fig, axes = plt.subplots(1, len(models), figsize=(6 * len(models), 4.5))
    for ax, name in zip(np.atleast_1d(axes), models):
        sel = [r for r in rows if r[0] == name]
        ns = [r[1] for r in sel]
        ax.plot(ns, [r[2] * 1e3 for r in sel], "o-", label="modc (2 threads)")
        ax.plot(ns, [r[3] * 1e3 for r in sel], "s-", label="PyTorch (best of 1, 2 threads)")
        ax.plot(ns, [r[4] * 1e3 for r in sel], "k--", label="roofline bound")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("N (tokens)")
        ax.set_ylabel("time per call (ms)")
        ax.set_title(f"{name}.mod")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


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

    print()
    print("multitask_adapters.mod, B=8 T=64, task 0 (2 threads):")
    print(f"{'tasks':>5} {'general ms':>11} {'specialised ms':>15}")
    for tasks, tg, ts in multitask_rows():
        print(f"{tasks:5d} {tg * 1e3:11.3f} {ts * 1e3:15.3f}")

    gemm = gemm_rows(P)
    if gemm:
        print()
        print("GEMM, GFLOP/s (modc: runtime GEMM, 2 threads; torch.matmul: best of 1, 2)")
        print(f"{'M':>5} {'K':>5} {'N':>5} {'modc':>8} {'torch':>8}")
        for M, K, N, gm, gt in gemm:
            gm_text = f"{gm:8.1f}" if gm is not None else f"{'?':>8}"
            print(f"{M:5d} {K:5d} {N:5d} {gm_text} {gt:8.1f}")
    plot(rows, os.path.join(BUILD, "bench", "bench.png"))


if __name__ == "__main__":
    main()
