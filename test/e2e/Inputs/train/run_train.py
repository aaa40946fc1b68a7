"""Train blocks against PyTorch autograd (float64 references).

  run_train.py LIB MODEL [--adamw-steps K]

For each train block of MODEL's library: one `sgd(lr = 1.0)` step must
change every updated parameter by minus its gradient (PyTorch's, float64,
same weights and batch) and leave every other parameter bit-identical; the
returned loss is the loss before the step. Then AdamW: K steps tracked
against torch.optim.AdamW from the same initial weights and data (float64),
the loss at every step within 1e-4 relative.
"""

import argparse
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from harness import modrt, read_safetensors  # noqa: E402

torch.set_default_dtype(torch.float64)


def lora_forward(p, x):
    base = x @ p["base.w"] + p["base.b"]
    ad = (x @ p["adapter.A"]) @ p["adapter.B"] * (8.0 / 4)
    return (base + ad) @ p["head.w"] + p["head.b"]


def lora_loss(p, x, target):
    return F.mse_loss(lora_forward(p, x), target)


def layernorm(x, g, b, eps=1e-5):
    m = x.mean(-1, keepdim=True)
    v = ((x - m) ** 2).mean(-1, keepdim=True)
    return (x - m) / torch.sqrt(v + eps) * g + b


def attention(q, k, v, heads, causal):
    bsz, tq, d = q.shape
    tk = k.shape[1]
    dh = d // heads
    qh = q.reshape(bsz, tq, heads, dh).transpose(1, 2)
    kh = k.reshape(bsz, tk, heads, dh).transpose(1, 2)
    vh = v.reshape(bsz, tk, heads, dh).transpose(1, 2)
    s = qh @ kh.transpose(-1, -2) / math.sqrt(dh)
    if causal:
        t = torch.arange(tq).unsqueeze(1)
        j = torch.arange(tk).unsqueeze(0)
        s = s.masked_fill(j > t + (tk - tq), float("-inf"))
    o = torch.softmax(s, -1) @ vh
    return o.transpose(1, 2).reshape(bsz, tq, d)


def mlp_logits(p, x):
    bsz, t, _ = x.shape
    h = F.gelu(layernorm(x @ p["w1"] + p["b1"], p["g"], p["beta"]))
    a = attention(h @ p["wq"], h @ p["wk"], torch.tanh(h @ p["wf"]), 2, True)
    s = torch.softmax(a, -1) * torch.sigmoid(h) + torch.relu(h) * 0.5
    m = s.max(2, keepdim=True).values
    n = torch.sqrt(s.abs() + 1.0) + torch.log(torch.exp(s - m) + 1.0)
    u = n.reshape(bsz, t, 4, 4).transpose(2, 3).reshape(bsz, t, 16)
    return torch.cat([u, h - h.mean(2, keepdim=True)], 2) @ p["w2"]


def mlp_loss(p, x, labels):
    z = mlp_logits(p, x)
    ce = F.cross_entropy(z.reshape(-1, z.shape[-1]), labels.reshape(-1))
    zl = (torch.logsumexp(z, -1) ** 2).mean()
    return ce + 0.1 * zl


def expert(p, e, x):
    pre = x @ p[f"experts.{e}.w1"] + p[f"experts.{e}.b1"]
    return F.gelu(pre) @ p[f"experts.{e}.w2"]


def all_experts(p, x):
    return torch.stack([expert(p, e, x) for e in range(4)])  # [E, N, D]


def gate(p, x):
    return x @ p["gate.w"]


def combine(outs, weights):
    """sum_e weights[r, e] * outs[e, r] (weights 0 where not chosen)."""
    return torch.einsum("re,erd->rd", weights, outs)


def topk_mask(logits, k):
    idx = logits.topk(k, dim=-1).indices
    return torch.zeros_like(logits).scatter(1, idx, 1.0), idx


def load_balance(logits, k):
    e = logits.shape[-1]
    mask, _ = topk_mask(logits, k)
    f = mask.sum(0) / (logits.shape[0] * k)
    return e * (f * torch.softmax(logits, -1).mean(0)).sum()


def route_topk(p, x, k, normalize=True):
    logits = gate(p, x)
    mask, idx = topk_mask(logits, k)
    if normalize:
        chosen = torch.softmax(logits.gather(1, idx), -1)
        w = torch.zeros_like(logits).scatter(1, idx, chosen)
    else:
        w = torch.softmax(logits, -1) * mask
    return combine(all_experts(p, x), w), logits


def routes_loss(block):
    def top2(p, x, t):
        y, logits = route_topk(p, x, 2)
        return (F.mse_loss(y, t) + 0.1 * load_balance(logits, 2)
                + 0.01 * (torch.logsumexp(logits, -1) ** 2).mean())

    def raw(p, x, t):
        return F.mse_loss(route_topk(p, x, 1, normalize=False)[0], t)

    def soft(p, x, t):
        w = torch.softmax(gate(p, x), -1)
        return F.mse_loss(combine(all_experts(p, x), w), t)

    def mean(p, x, t):
        mask, _ = topk_mask(gate(p, x), 2)
        return F.mse_loss(combine(all_experts(p, x), mask / 2), t)

    def total(p, x, t):
        mask, _ = topk_mask(gate(p, x), 3)
        return F.mse_loss(combine(all_experts(p, x), mask), t)

    def ec(p, x, t):
        probs = torch.softmax(gate(p, x), -1)
        cap = math.ceil(1.0 * x.shape[0] / 4)
        w = torch.zeros_like(probs)
        for e in range(4):
            # Largest p[:, e] first, ties to the lower row.
            order = sorted(range(x.shape[0]), key=lambda r: -probs[r, e].item())
            for r in order[:cap]:
                w[r, e] = 1.0
        return F.mse_loss(combine(all_experts(p, x), w * probs), t)

    def weights(p, x, t):
        return F.mse_loss(combine(all_experts(p, x), torch.relu(gate(p, x))), t)

    def task(p, x, ids, t):
        w = F.one_hot(ids, 4).to(x.dtype)
        return F.mse_loss(combine(all_experts(p, x), w), t)

    return {"step_top2": top2, "step_raw": raw, "step_soft": soft,
            "step_mean": mean, "step_sum": total, "step_ec": ec,
            "step_weights": weights, "step_task": task}[block]


def routes2_loss(block):
    import reference as ref

    def expert_fn(p, x):
        return F.gelu(x @ p["w1"] + p["b1"]) @ p["w2"]

    def seq_fn(p, x):
        return torch.tanh(x @ p["w1"]) @ p["w2"]

    def att_fn(p, x):
        return ref.attention(x @ p["w"], x, x, heads=2)

    def experts(p):
        return [ref.instance_from(expert_fn, p, f"experts.{e}") for e in range(4)]

    def loss(block, p, *args):
        if block in ("per_example", "merged_example"):
            xs, t = args
            logits = xs.mean(1) @ p["gate.w"]
            seqs = [ref.instance_from(seq_fn, p, f"seq.{e}") for e in range(4)]
            combine = "merge" if block == "merged_example" else None
            return F.mse_loss(ref.route(xs, seqs, ref.Topk(logits, 2), combine), t)
        if block == "nested":
            x, t = args
            ex = [ref.instance_from(expert_fn, p, f"block.ex.{e}") for e in range(4)]
            y = x + ref.route(x, ex, ref.Topk(x @ p["block.g.w"], 2))
            return F.mse_loss(y, t)
        if block == "merged_task":
            xs, ids, t = args
            atts = [ref.instance_from(att_fn, p, f"att.{e}") for e in range(4)]
            return F.mse_loss(ref.route(xs, atts, ref.Task(ids), "merge"), t)
        if block in ("merged_attention", "merged_attention_top2",
                     "routed_attention"):
            xs, t = args
            atts = [ref.instance_from(att_fn, p, f"att.{e}") for e in range(4)]
            logits = xs.mean(1) @ p["gate.w"]
            router = (ref.Softmax(logits) if block == "merged_attention"
                      else ref.Topk(logits, 2))
            combine = None if block == "routed_attention" else "merge"
            return F.mse_loss(ref.route(xs, atts, router, combine), t)
        if block == "hashed":
            x, ids, t = args
            return F.mse_loss(ref.route(x, experts(p), ref.Hash(ids)), t)
        x, t = args
        gate = x @ p["gate.w"]
        router, combine = {
            "cap": (ref.Topk(gate, 2, capacity=0.75), None),
            "maxagg": (ref.Topk(gate, 2), "max"),
            "global_mean": (ref.All(), "mean"),
            "global_max": (ref.Fixed(0, 2), "max"),
            "global_concat": (ref.Fixed(3, 1), "concat"),
            "merged": (ref.Topk(gate, 2), "merge"),
        }[block]
        return F.mse_loss(ref.route(x, experts(p), router, combine), t)

    return lambda p, *args: loss(block, p, *args)


def routes2_batch(block):
    def batch(rng):
        if block == "merged_task":
            return (rng.standard_normal((5, 3, 8)).astype(np.float32),
                    np.array([2, 0, 2, 3, 0], np.int64),
                    rng.standard_normal((5, 3, 8)).astype(np.float32))
        if block in ("per_example", "merged_example", "merged_attention",
                     "merged_attention_top2", "routed_attention"):
            return (rng.standard_normal((5, 3, 8)).astype(np.float32),
                    rng.standard_normal((5, 3, 8)).astype(np.float32))
        x = rng.standard_normal((9, 8)).astype(np.float32)
        cols = 16 if block == "global_concat" else 8
        t = rng.standard_normal((9, cols)).astype(np.float32)
        if block == "hashed":
            return x, rng.integers(-50, 50, 9).astype(np.int64), t
        return x, t
    return batch


def routes3_loss(block):
    import reference as ref

    def squash_fn(p, x):
        return x @ torch.tanh(p["w"]) + p["b"] * p["b"]

    def prefix_fn(p, x):
        b = x.shape[0]
        k = torch.cat([p["pk"].expand(b, -1, -1), x], dim=1)
        v = torch.cat([p["pv"].expand(b, -1, -1), x], dim=1)
        return ref.attention(x, k, v, heads=2)

    def tatt_fn(p, x):
        return ref.attention(x @ torch.tanh(p["w"]), x, x, heads=2)

    def lin_fn(p, x):
        return x @ p["w"]

    def outer_fn(p, x):
        subs = [ref.Instance(lin_fn, {"w": p[f"sub.{e}.w"]}) for e in range(2)]
        return ref.route(x, subs, ref.Softmax(x @ p["g"]))

    def loss(p, x, *rest):
        def targets(fn, name, n=3):
            return [ref.instance_from(fn, p, f"{name}.{e}") for e in range(n)]
        if block == "merged_nested":
            w, t = rest
            h = ref.instance_from(outer_fn, p, "first")(x)
            y = ref.route(h, targets(outer_fn, "outers", 2), ref.Weights(w),
                          "merge")
            return F.mse_loss(y, t)
        t, = rest
        if block == "max_fused":
            router = ref.Topk(x @ p["gate.w"], 2)
            return F.mse_loss(ref.route(x, targets(lin_fn, "lin"), router,
                                        "max"), t)
        if block in ("merged_rows", "merged_dropped"):
            logits = x @ p["gate.w"]
            router = (ref.Softmax(logits) if block == "merged_rows"
                      else ref.Topk(logits, 1, capacity=0.5))
            y = ref.route(x, targets(squash_fn, "squash"), router, "merge")
        elif block == "merged_prefix":
            router = ref.Topk(x.mean(1) @ p["gate.w"], 2)
            y = ref.route(x, targets(prefix_fn, "prefix"), router, "merge")
        else:
            router = ref.Softmax(x.mean(1) @ p["gate.w"])
            y = ref.route(x, targets(tatt_fn, "tatt"), router, "merge")
        return F.mse_loss(y, t)

    return loss


def routes3_batch(block):
    def batch(rng):
        if block == "merged_nested":
            return (rng.standard_normal((7, 8)).astype(np.float32),
                    rng.random((7, 2)).astype(np.float32),
                    rng.standard_normal((7, 8)).astype(np.float32))
        rows = ("merged_rows", "merged_dropped", "max_fused")
        shape = (7, 8) if block in rows else (5, 3, 8)
        return (rng.standard_normal(shape).astype(np.float32),
                rng.standard_normal(shape).astype(np.float32))
    return batch


def ties_loss(block):
    def loss(p, t):
        if block == "clamp_bounds":
            y = (torch.clamp(p["a"], -1.0, 1.0) * t
                 + torch.clamp(p["a"], p["lo"],
                               torch.tensor(0.75, dtype=torch.float64)) * t)
        elif block == "relu_abs":
            y = (torch.relu(p["r"]) + torch.abs(p["r"])) * t
        elif block == "edges":
            e = p["e"]
            y = (torch.pow(e, 0.0) + F.softplus(e) + torch.sigmoid(e)
                 + F.silu(e)) * t
        else:
            zero = torch.zeros((), dtype=torch.float64)
            y = (torch.maximum(p["p"], p["q"]) + 2 * torch.minimum(p["p"], p["q"])
                 + 4 * torch.maximum(p["p"], zero)
                 + 8 * torch.minimum(zero + 0.5, p["q"])) * t
        return y.sum()
    return loss


def ties_batch(block):
    return lambda rng: (rng.standard_normal((3, 4)).astype(np.float32),)


def ties_setup(m):
    m["a"] = np.array([[1, -1, 0.5, 2], [-1, -3, 0.75, 0.2],
                       [0.25, 1, -1, 0.75]], np.float32)
    m["lo"] = np.array([0.5, -1, 0.25, 0.2], np.float32)
    m["r"] = np.array([[0, 1, -1, 0], [0, 0, 2, -2], [0.5, 0, 0, -0.5]],
                      np.float32)
    m["p"] = np.array([[0, 1, -1, 0.5], [2, 0, 0.25, -2], [0.5, 0, 3, -0.5]],
                      np.float32)
    m["e"] = np.array([[0, -0.0, -100, -89], [100, 1, -1, -1000],
                       [0.5, -88, 89, 0]], np.float32)
    m["q"] = np.array([[0, 1, -2, 0.5], [1, 0.5, 0.25, -1], [0.5, -1, 3, 0.75]],
                      np.float32)


def routes_batch(rng):
    return (rng.standard_normal((9, 12)).astype(np.float32),
            rng.standard_normal((9, 12)).astype(np.float32))


def task_batch(rng):
    return (rng.standard_normal((9, 12)).astype(np.float32),
            rng.integers(0, 4, 9).astype(np.int64),
            rng.standard_normal((9, 12)).astype(np.float32))


EXPERTS = [f"experts.{e}.{n}" for e in range(4) for n in ("w1", "b1", "w2")]

MODELS = {
    "lora": {
        "loss": lora_loss,
        "batch": lambda rng: (rng.standard_normal((7, 24)).astype(np.float32),
                              rng.standard_normal((7, 24)).astype(np.float32)),
        "blocks": {"sgd_step": ["adapter.A", "adapter.B"]},
        "adamw": ("adamw_step", ["adapter.A", "adapter.B", "head.w", "head.b"], 0.01),
    },
    "mlp": {
        "loss": mlp_loss,
        "batch": lambda rng: (rng.standard_normal((3, 5, 8)).astype(np.float32),
                              rng.integers(0, 5, (3, 5)).astype(np.int64)),
        "blocks": {"step": ["w1", "b1", "g", "beta", "wq", "wk", "w2", "unused"]},
        "adamw": None,
    },
    "routes": {
        "blocks": {b: ["gate.w"] * (b != "step_mean") + EXPERTS
                   for b in ("step_top2", "step_raw", "step_soft", "step_mean",
                             "step_sum", "step_ec", "step_weights")},
        "adamw": None,
    },
}
EXPERTS2 = [f"experts.{e}.{n}" for e in range(4) for n in ("w1", "b1", "w2")]
SEQ2 = [f"seq.{e}.{n}" for e in range(4) for n in ("w1", "w2")]
MODELS["routes2"] = {
    "blocks": {"cap": ["gate.w"] + EXPERTS2, "maxagg": EXPERTS2,
               "global_mean": EXPERTS2, "global_max": EXPERTS2,
               "global_concat": EXPERTS2, "per_example": ["gate.w"] + SEQ2,
               "merged_example": ["gate.w"] + SEQ2,
               "merged_task": [f"att.{e}.w" for e in range(4)],
               "merged_attention": ["gate.w"] + [f"att.{e}.w" for e in range(4)],
               "merged_attention_top2": ["gate.w"] + [f"att.{e}.w"
                                                      for e in range(4)],
               "routed_attention": ["gate.w"] + [f"att.{e}.w"
                                                 for e in range(4)],
               "hashed": EXPERTS2, "merged": ["gate.w"] + EXPERTS2,
               "nested": ["block.g.w"] + [f"block.ex.{e}.{n}" for e in range(4)
                                          for n in ("w1", "b1", "w2")]},
    "adamw": None,
    "per_block": (routes2_loss, routes2_batch),
}
MODELS["ties"] = {
    "blocks": {"clamp_bounds": ["a", "lo"], "relu_abs": ["r"],
               "split_ties": ["p", "q"], "edges": ["e"]},
    "adamw": None,
    "per_block": (ties_loss, ties_batch),
    "setup": ties_setup,
}
MODELS["routes3"] = {
    "blocks": {"merged_rows": ["gate.w"] + [f"squash.{e}.{n}" for e in range(3)
                                            for n in ("w", "b")],
               "merged_dropped": ["gate.w"] + [f"squash.{e}.{n}"
                                               for e in range(3)
                                               for n in ("w", "b")],
               "merged_prefix": ["gate.w"] + [f"prefix.{e}.{n}"
                                              for e in range(3)
                                              for n in ("pk", "pv")],
               "merged_tanh": [f"tatt.{e}.w" for e in range(3)],
               "max_fused": ["gate.w"] + [f"lin.{e}.w" for e in range(3)],
               "merged_nested": [f"{i}.{n}" for i in ("first", "outers.0",
                                                      "outers.1")
                                 for n in ("g", "sub.0.w", "sub.1.w")]},
    "adamw": None,
    "per_block": (routes3_loss, routes3_batch),
}
MODELS["routes"]["blocks"]["step_task"] = [
    n for n in EXPERTS if n.startswith(("experts.0.", "experts.2."))]


def torch_params(state):
    return {k: torch.tensor(v.astype(np.float64), requires_grad=True)
            for k, v in state.items()}


def torch_batch(batch):
    return [torch.tensor(b.astype(np.float64)) if b.dtype.kind == "f"
            else torch.tensor(b) for b in batch]


def check_sgd(m, spec, block, updated, rng):
    m.init(7)
    if spec.get("setup"):
        spec["setup"](m)
    before = m.state_dict()
    if spec.get("per_block"):
        loss_of, batch_of = spec["per_block"]
        loss_fn, batch_fn = loss_of(block), batch_of(block)
    else:
        loss_fn = spec["loss"] if "loss" in spec else routes_loss(block)
        batch_fn = spec.get("batch") or (task_batch if block == "step_task"
                                          else routes_batch)
    batch = batch_fn(rng)
    loss = getattr(m, block)(*batch)
    after = m.state_dict()
    p = torch_params(before)
    ref = loss_fn(p, *torch_batch(batch))
    ref.backward()
    rel = abs(loss - ref.item()) / max(1.0, abs(ref.item()))
    assert rel < 1e-5, f"{block}: loss {loss} vs {ref.item()}"
    worst = 0.0
    for name, value in before.items():
        if name in updated:
            grad = p[name].grad
            grad = np.zeros(value.shape) if grad is None else grad.numpy()
            want = value.astype(np.float64) - grad
            err = np.max(np.abs(after[name] - want)) if want.size else 0.0
            scale = max(1.0, float(np.max(np.abs(grad), initial=0.0)))
            worst = max(worst, err / scale)
            if err > 1e-4 * scale:
                print(f"BAD {block}: {name} off by {err}")
            assert err <= 1e-4 * scale or os.environ.get("KEEP_GOING"), f"{block}: {name} off by {err}"
        else:
            assert np.array_equal(after[name], value), f"{block}: {name} changed"
    print(f"ok {block} sgd step = minus the gradient (worst {worst:.2e})")


def check_adamw(m, spec, steps, rng):
    block, updated, lr = spec["adamw"]
    m.init(11)
    state = m.state_dict()
    p = torch_params(state)
    for name in p:
        if name not in updated:
            p[name].requires_grad_(False)
    opt = torch.optim.AdamW([p[n] for n in updated], lr=lr)
    worst = 0.0
    for i in range(steps):
        batch = spec["batch"](rng)
        loss = getattr(m, block)(*batch)
        opt.zero_grad()
        ref = spec["loss"](p, *torch_batch(batch))
        ref.backward()
        opt.step()
        rel = abs(loss - ref.item()) / abs(ref.item())
        worst = max(worst, rel)
        assert rel < 1e-4, f"{block}: step {i} loss {loss} vs {ref.item()}"
    after = m.state_dict()
    for name in state:
        if name not in updated:
            assert np.array_equal(after[name], state[name]), f"{name} changed"
    print(f"ok {block} tracks torch.optim.AdamW for {steps} steps "
          f"(worst relative loss error {worst:.2e})")


def check_state_and_errors(m, spec, work, rng):
    """Optimiser state saved and loaded (PyTorch's names), zero after init;
    bad input leaves parameters and state unchanged; saved parameters give
    PyTorch the same outputs."""
    block, updated, _ = spec["adamw"]
    m.init(3)
    for _ in range(3):
        getattr(m, block)(*spec["batch"](rng))
    m.save_optimizer(f"{work}/opt.safetensors")
    saved = read_safetensors(f"{work}/opt.safetensors")
    assert saved[f"{block}.step"].item() == 3, saved[f"{block}.step"]
    for name in updated:
        assert saved[f"{name}.exp_avg"].shape == m[name].shape
        assert np.any(saved[f"{name}.exp_avg_sq"] != 0), name
    params = m.state_dict()
    batch = spec["batch"](rng)
    loss_a = getattr(m, block)(*batch)
    after_a = m.state_dict()
    # The same step again from the same parameters and loaded state.
    m.load_state_dict(params)
    m.load_optimizer(f"{work}/opt.safetensors")
    loss_b = getattr(m, block)(*batch)
    after_b = m.state_dict()
    assert loss_a == loss_b, (loss_a, loss_b)
    for name in params:
        assert np.array_equal(after_a[name], after_b[name]), name
    print("ok optimizer state saved and loaded (PyTorch names)")
    # init zeroes the state: a step from init equals the first step ever.
    m.init(5)
    first = getattr(m, block)(*batch), m.state_dict()
    for _ in range(2):
        getattr(m, block)(*batch)
    m.init(5)
    again = getattr(m, block)(*batch), m.state_dict()
    assert first[0] == again[0]
    for name in first[1]:
        assert np.array_equal(first[1][name], again[1][name]), name
    print("ok init resets the optimizer state")
    # Bad input: a failed step changes nothing (parameters, state).
    m.save_optimizer(f"{work}/before.safetensors")
    before = m.state_dict()
    x, t = batch
    try:
        getattr(m, block)(x, t[:-1])
        raise AssertionError("mismatched batch accepted")
    except ValueError:
        pass
    fn = getattr(m._lib, f"{m.info.name}_{block}")
    import ctypes
    loss = ctypes.c_float(0.0)
    rc = fn(m._handle, -1, x.ctypes.data_as(ctypes.c_void_p),
            t.ctypes.data_as(ctypes.c_void_p), ctypes.byref(loss))
    assert rc == 1, rc
    m.save_optimizer(f"{work}/after.safetensors")
    for name, value in m.state_dict().items():
        assert np.array_equal(value, before[name]), name
    a, b = read_safetensors(f"{work}/before.safetensors"), read_safetensors(f"{work}/after.safetensors")
    assert all(np.array_equal(a[k], b[k]) for k in a)
    print("ok a negative dyn is error 1 and changes nothing")
    # A step count that cannot grow (2^63 - 1) is a malformed file (error
    # 3), not a next step whose bias corrections overflow to NaN.
    import json
    import struct
    with open(f"{work}/before.safetensors", "rb") as f:
        raw = bytearray(f.read())
    (header_len,) = struct.unpack("<Q", raw[:8])
    begin = 8 + header_len + json.loads(raw[8:8 + header_len])[f"{block}.step"]["data_offsets"][0]
    raw[begin:begin + 8] = struct.pack("<q", 2**63 - 1)
    with open(f"{work}/huge_step.safetensors", "wb") as f:
        f.write(raw)
    try:
        m.load_optimizer(f"{work}/huge_step.safetensors")
        raise AssertionError("step count 2^63 - 1 accepted")
    except modrt.Error as e:
        assert e.code == 3 and "out of range" in str(e), e
    m.save_optimizer(f"{work}/after.safetensors")
    b = read_safetensors(f"{work}/after.safetensors")
    assert all(np.array_equal(a[k], b[k]) for k in a)
    print("ok a step count of 2^63 - 1 is error 3 and changes nothing")
    # Saved parameters, read back by name, give the same outputs in PyTorch.
    m.save(f"{work}/trained.safetensors")
    p = {k: torch.tensor(v.astype(np.float64))
         for k, v in read_safetensors(f"{work}/trained.safetensors").items()}
    want = lora_forward(p, torch.tensor(x.astype(np.float64))).numpy()
    got = m.forward(x)
    assert np.max(np.abs(got - want)) < 1e-4, np.max(np.abs(got - want))
    print("ok trained weights load into PyTorch by state_dict name")


def check_bad_labels(m, rng):
    m.init(7)
    before = m.state_dict()
    x = rng.standard_normal((2, 3, 8)).astype(np.float32)
    labels = rng.integers(0, 5, (2, 3)).astype(np.int64)
    labels[1, 2] = 5
    try:
        m.step(x, labels)
        raise AssertionError("a label outside [0, C) was accepted")
    except modrt.Error as e:
        assert e.code == 1, e
        assert "cross_entropy" in str(e), e
    for name, value in m.state_dict().items():
        assert np.array_equal(value, before[name]), name
    print("ok a label outside [0, C) is error 1 and changes nothing")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lib")
    ap.add_argument("model")
    ap.add_argument("--adamw-steps", type=int, default=50)
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    spec = MODELS[args.model]
    m = modrt.load(args.lib)
    rng = np.random.default_rng(2026)
    for block, updated in spec["blocks"].items():
        check_sgd(m, spec, block, set(updated), rng)
    if spec["adamw"]:
        check_adamw(m, spec, args.adamw_steps, rng)
    if args.model == "lora" and args.work:
        check_state_and_errors(m, spec, args.work, rng)
    if args.model == "mlp":
        check_bad_labels(m, rng)
    print(f"PASS train {args.model}")


main()
