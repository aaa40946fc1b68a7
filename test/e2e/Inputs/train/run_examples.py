"""The examples trained: each examples/*.mod with a train block appended
(one sgd(lr = 1.0) step over every trainable instance of the example),
compiled, run on the example's own random weights and inputs, and checked
against reference.py's forward (PyTorch, float64) under autograd: every
updated parameter changes by minus its gradient, the others not at all.

    run_examples.py EXAMPLES_DIR WORKDIR [--adamw STEPS] [OPT...]

With --adamw: lora, moe and polytropon with an adamw(lr = 1e-3) train
block, STEPS steps on fresh batches tracked against torch.optim.AdamW on the
reference (moe on 64 rows: with a handful, most expert gradients are a few
rows' worth and Adam's normalisation turns their float32 rounding into
steps of lr).
"""

import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import run_example as ex_mod  # noqa: E402
from harness import modrt  # noqa: E402
from reference import tensor  # noqa: E402

# The train block of each example: its arguments are the entry's plus the
# target; `update` names every trainable instance and parameter.
TRAIN = {
    "lora": ("train fit(x: f32[N, D], target: f32[N, D]) {\n"
             "  minimize mse(forward(x), target);\n"
             "  update adapter with sgd(lr = 1.0);\n}\n", {"N": 7}),
    "moe": ("train fit(x: f32[N, D], target: f32[N, D]) {\n"
            "  minimize mse(forward(x), target) + 0.1 * load_balance(router_logits(x), 2);\n"
            "  update gate, experts with sgd(lr = 1.0);\n}\n", {"N": 7}),
    "adapter_fusion": ("train fit(x: f32[N, D], target: f32[N, D]) {\n"
                       "  minimize mse(forward(x), target);\n"
                       "  update fuse with sgd(lr = 1.0);\n}\n", {"N": 5}),
    "hash_moe": ("train fit(ids: i64[N], target: f32[N, D]) {\n"
                 "  minimize mse(forward(ids), target);\n"
                 "  update emb, experts with sgd(lr = 1.0);\n}\n", {"N": 9}),
    "multitask_adapters": (
        "train fit(x: f32[B, T, D], task_id: i32[B], target: f32[B, T, D]) {\n"
        "  minimize mse(forward(x, task_id), target);\n"
        "  update adapters with sgd(lr = 1.0);\n}\n", {"B": 3, "T": 5}),
    "prefix_mad_x": (
        "train fit(x: f32[B, T, D], lang: i32[B], target: f32[B, T, D]) {\n"
        "  minimize mse(forward(x, lang), target);\n"
        "  update prefix_k, prefix_v, ia3_v, lang_adapters, task_adapter "
        "with sgd(lr = 1.0);\n}\n", {"B": 3, "T": 5}),
    "routing_network": ("train fit(x: f32[N, D], labels: i64[N]) {\n"
                        "  minimize cross_entropy(forward(x), labels);\n"
                        "  update routers, blocks, head with sgd(lr = 1.0);\n}\n",
                        {"N": 7}),
    "polytropon": ("train fit(x: f32[N, D], task: i32[N], target: f32[N, D]) {\n"
                   "  minimize mse(forward(x, task), target);\n"
                   "  update Z, skills with sgd(lr = 1.0);\n}\n", {"N": 7}),
}


class Lora(ex_mod.Example):
    """examples/lora.mod (run_example.py tests it through lora_e2e.py)."""
    model = "lora"

    def params(self, rng):
        return {"base.w": ex_mod.fan_in(rng, (1024, 1024)),
                "base.b": ex_mod.normal(rng, 1024, 0.1),
                "adapter.A": ex_mod.fan_in(rng, (1024, 16)),
                "adapter.B": ex_mod.normal(rng, (16, 1024), 0.2)}

    def inputs(self, entry, rng, size, P):
        return [ex_mod.normal(rng, (size["N"], 1024), 1.0)]

    def reference(self, entry, P, x):
        base = x @ P["base.w"] + P["base.b"]
        return base + (x @ P["adapter.A"]) @ P["adapter.B"] * 2.0


# The same blocks with AdamW (moe without its auxiliary loss, on more rows).
def _adamw(name):
    return (TRAIN[name][0].replace("sgd(lr = 1.0)", "adamw(lr = 1e-3)"), TRAIN[name][1])


ADAMW = {
    "lora": _adamw("lora"),
    "moe": ("train fit(x: f32[N, D], target: f32[N, D]) {\n"
            "  minimize mse(forward(x), target);\n"
            "  update gate, experts with adamw(lr = 1e-3);\n}\n", {"N": 64}),
    "polytropon": _adamw("polytropon"),
}


def compile_with(examples, work, name, block, opts):
    src = open(os.path.join(examples, name + ".mod")).read() + "\n" + block
    path = os.path.join(work, name + "_train.mod")
    with open(path, "w") as f:
        f.write(src)
    lib = os.path.join(work, "lib" + name + "_train.so")
    subprocess.run(["modc", path, "-o", lib] + opts, check=True)
    return modrt.load(lib)


def track_adamw(examples, work, opts, classes, rng, steps):
    """`steps` AdamW steps against torch.optim.AdamW on the reference, from
    the same weights and batches: the loss of every step within 1e-4."""
    for name, (block, size) in ADAMW.items():
        m = compile_with(examples, work, name, block, opts)
        ex = classes[name]()
        params = ex.params(rng)
        m.load_state_dict(params)
        trainable = {p["name"] for p in m.info.params if p["trainable"]}
        P = {k: torch.tensor(v.astype(np.float64), requires_grad=k in trainable)
             for k, v in m.state_dict().items()}
        opt = torch.optim.AdamW([P[k] for k in sorted(trainable)], lr=1e-3)
        worst = 0.0
        for i in range(steps):
            inputs = ex.inputs("forward", rng, size, params)
            target = ex_mod.normal(rng, m.forward(*inputs).shape, 1.0)
            loss = m.fit(*inputs, target)
            opt.zero_grad()
            want = ex.reference("forward", P, *[tensor(a) for a in inputs])
            ref = F.mse_loss(want, tensor(target))
            ref.backward()
            opt.step()
            rel = abs(loss - ref.item()) / abs(ref.item())
            worst = max(worst, rel)
            assert rel < 1e-4, f"{name}: step {i}: loss {loss} vs {ref.item()}"
        after = m.state_dict()
        for k in after:
            want_k = P[k].detach().numpy()
            assert np.max(np.abs(after[k] - want_k), initial=0.0) < 1e-3, k
        print(f"ok {name}: {steps} adamw steps track torch.optim.AdamW "
              f"(worst relative loss error {worst:.1e})")
        m.close()


def main():
    examples, work = sys.argv[1], sys.argv[2]
    opts = sys.argv[3:]
    steps = 0
    if opts[:1] == ["--adamw"]:
        steps, opts = int(opts[1]), opts[2:]
    classes = dict(ex_mod.EXAMPLES)
    classes["lora"] = Lora
    rng = np.random.default_rng(77)
    if steps:
        track_adamw(examples, work, opts, classes, rng, steps)
        print("PASS examples tracked")
        return
    for name, (block, size) in TRAIN.items():
        src = open(os.path.join(examples, name + ".mod")).read() + "\n" + block
        path = os.path.join(work, name + "_train.mod")
        with open(path, "w") as f:
            f.write(src)
        lib = os.path.join(work, "lib" + name + "_train.so")
        subprocess.run(["modc", path, "-o", lib] + opts, check=True)
        ex = classes[name]()
        m = modrt.load(lib)
        params = ex.params(rng)
        m.load_state_dict(params)
        inputs = ex.inputs("forward", rng, size, params)
        y = m.forward(*inputs)
        if name == "routing_network":
            extra = [rng.integers(0, y.shape[-1], y.shape[0]).astype(np.int64)]
        else:
            extra = [ex_mod.normal(rng, y.shape, 1.0)]
        before = m.state_dict()
        loss = m.fit(*inputs, *extra)
        after = m.state_dict()
        trainable = {p["name"] for p in m.info.params if p["trainable"]}
        P = {k: torch.tensor(v.astype(np.float64), requires_grad=k in trainable)
             for k, v in before.items()}
        want = ex.reference("forward", P, *[tensor(a) for a in inputs])
        if name == "routing_network":
            ref = F.cross_entropy(want, tensor(extra[0]))
        else:
            ref = F.mse_loss(want, tensor(extra[0]))
            if name == "moe":
                logits = ex.reference("router_logits", P, tensor(inputs[0]))
                mask = torch.zeros_like(logits).scatter(
                    1, logits.topk(2, -1).indices, 1.0)
                f = mask.sum(0) / (logits.shape[0] * 2)
                lb = 8 * (f * torch.softmax(logits, -1).mean(0)).sum()
                ref = ref + 0.1 * lb
        ref.backward()
        assert abs(loss - ref.item()) <= 1e-4 * max(1.0, abs(ref.item())), \
            f"{name}: loss {loss} vs {ref.item()}"
        worst = 0.0
        for k, v in before.items():
            g = P[k].grad
            if k not in trainable or g is None:
                if k not in trainable:
                    assert np.array_equal(after[k], v), f"{name}: frozen {k} changed"
                    continue
                g = torch.zeros(v.shape, dtype=torch.float64)
            want_k = v.astype(np.float64) - g.numpy()
            scale = max(1.0, float(g.abs().max())) if g.numel() else 1.0
            err = float(np.max(np.abs(after[k] - want_k), initial=0.0))
            worst = max(worst, err / scale)
            assert err <= 1e-4 * scale, f"{name}: {k} off by {err}"
        print(f"ok {name}: one sgd step = minus the PyTorch gradient "
              f"(worst {worst:.1e})")
        m.close()
    print("PASS examples trained")


main()
