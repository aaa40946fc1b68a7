"""One training step (forward, backward, AdamW) of modc against PyTorch
eager doing the same math with torch.optim.AdamW, each timed in its own
process (worker threads of one never slow the other), medians.

    make bench-train    (or: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
                         /usr/bin/python3 bench/train/bench.py [BUILD])

Models: examples/moe.mod (top-2 of 8 SwiGLU experts, gate and experts
trained) and examples/lora.mod (frozen 1024x1024 base, LoRA trained), each
with the train block below appended, at N = 16, 256, 2048. PyTorch: best of
1 and 2 threads; its MoE runs each expert on its own rows (index_select,
index_add_), as a sparse eager implementation does. Prints the ratio
torch / modc (> 1: modc faster).
"""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NS = [16, 256, 2048]
sys.path.insert(0, os.path.join(ROOT, "bench"))
from timing import median_time  # noqa: E402

TRAIN = {
    "moe": "train step(x: f32[N, D], target: f32[N, D]) {\n"
           "  minimize mse(forward(x), target);\n"
           "  update gate, experts with adamw(lr = 1e-3);\n}\n",
    "lora": "train step(x: f32[N, D], target: f32[N, D]) {\n"
            "  minimize mse(forward(x), target);\n"
            "  update adapter with adamw(lr = 1e-3);\n}\n",
}


def modc_worker(build, model, n):
    import numpy as np
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import modrt
    src = open(os.path.join(ROOT, "examples", model + ".mod")).read() + TRAIN[model]
    work = os.path.join(build, "bench", "train")
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, model + "_train.mod")
    with open(path, "w") as f:
        f.write(src)
    lib = os.path.join(work, "lib" + model + "_train.so")
    subprocess.check_call([os.path.join(build, "bin", "modc"), path, "-o", lib])
    m = modrt.load(lib)
    m.init(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 512 if model == "moe" else 1024)).astype(np.float32)
    t = rng.standard_normal(x.shape).astype(np.float32)
    return median_time(lambda: m.step(x, t), min_time=1.0, warmup=2)


def torch_worker(model, n, threads):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    if model == "moe":
        d, h, e = 512, 1024, 8
        gate = torch.randn(d, e).mul_(0.02).requires_grad_()
        ws = [[torch.randn(d, h).mul_(0.04).requires_grad_(),
               torch.randn(d, h).mul_(0.04).requires_grad_(),
               torch.randn(h, d).mul_(0.03).requires_grad_()] for _ in range(e)]
        params = [gate] + [w for ex in ws for w in ex]

        def forward(x):
            logits = x @ gate
            vals, idx = logits.topk(2, dim=-1)
            w = torch.softmax(vals, -1)
            y = torch.zeros_like(x)
            for j in range(e):
                rows, slot = (idx == j).nonzero(as_tuple=True)
                if rows.numel() == 0:
                    continue
                xr = x.index_select(0, rows)
                wg, wu, wd = ws[j]
                out = (torch.nn.functional.silu(xr @ wg) * (xr @ wu)) @ wd
                y.index_add_(0, rows, out * w[rows, slot].unsqueeze(1))
            return y
    else:
        d = 1024
        base_w = torch.randn(d, d).mul_(0.03)
        base_b = torch.zeros(d)
        a = torch.randn(d, 16).mul_(0.02).requires_grad_()
        b = torch.randn(16, d).mul_(0.02).requires_grad_()
        params = [a, b]

        def forward(x):
            return torch.addmm(base_b, x, base_w) + (x @ a) @ b * 2.0
    opt = torch.optim.AdamW(params, lr=1e-3)
    x = torch.randn(n, 512 if model == "moe" else 1024)
    t = torch.randn(x.shape)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(forward(x), t)
        loss.backward()
        opt.step()
    return median_time(step, min_time=1.0, warmup=2)


def run(*args):
    out = subprocess.check_output([sys.executable, __file__, "--worker", *args],
                                  text=True)
    return float(out.strip().splitlines()[-1])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        kind = sys.argv[2]
        if kind == "modc":
            print(modc_worker(sys.argv[3], sys.argv[4], int(sys.argv[5])))
        else:
            print(torch_worker(sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
        return
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
    print(f"{'model':6} {'N':>5} {'modc ms':>9} {'torch ms':>9} {'torch/modc':>10}")
    for model in ("moe", "lora"):
        for n in NS:
            tm = run("modc", build, model, str(n))
            tt = min(run("torch", model, str(n), str(th)) for th in (1, 2))
            print(f"{model:6} {n:5d} {tm * 1e3:9.2f} {tt * 1e3:9.2f} {tt / tm:10.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
