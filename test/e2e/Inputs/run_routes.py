"""Router x aggregation end to end: compiles test/e2e/Inputs/routes/CASE.mod
with modc, loads random weights through NAME_load, runs `forward` at several
sizes of each dyn (1 and 0 included) and data variants (ties, duplicate rows,
all-zero weight rows, ...), and compares with reference.py (float64) at
rtol = atol = 1e-4.

    run_routes.py WORKDIR CASE...        (modc from PATH)
    run_routes.py --list

Each CASE below describes its .mod file (routes/CASE.mod) for the reference:
the router and its arguments, the aggregation, the target module and the
layout of X. Prints `ok CASE ...` per case, `FAIL CASE: ...` on the first
mismatch of a case (and goes on with the others), and `PASS routes` when every
case passed; ROUTES_TRACEBACK=1 adds the Python traceback of a failure.
"""

import os
import subprocess
import sys
import traceback
import zlib

import numpy as np
import torch

from checks import compare
from harness import modrt, write_safetensors
import reference as ref
from reference import max_, mean, relu, reshape, softmax, tanh, tensor

HERE = os.path.dirname(os.path.abspath(__file__))
ROUTES = os.path.join(HERE, "routes")


# Target modules of the route programs, as written in routes/*.mod.
def mlp(p, x):  # MLP<I, F, P>(x: f32[N, I]) -> f32[N, P]
    return relu(x @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]


def res(p, x):  # Res<I, F>(x: f32[N, I]) -> f32[N, I]; not linear in w1, b1, w2
    return x + tanh(x @ p["w1"] + p["b1"]) @ p["w2"]


def seq(p, x):  # Seq<I, F>(x: f32[N, T, I]) -> f32[N, T, I]; mixes the T axis
    return tanh(x @ p["w1"]) @ p["w2"] + mean(x, axis=1, keepdims=True) @ p["w3"]


def mix(p, h, outs):  # Mix<M, K, P>(h: f32[N, M], outs: f32[N, K, P]) -> f32[N, P]
    n, k, o = outs.shape
    g = reshape(softmax(h @ p["wg"], axis=-1), [n, 1, k])
    return reshape(g @ outs, [n, o]) + max_(outs, axis=1)


MODULES = {"mlp": (mlp, ["w1", "b1", "w2", "b2"]), "res": (res, ["w1", "b1", "w2"]),
           "seq": (seq, ["w1", "w2", "w3"])}
LIST_NAMES = ["a", "b", "c", "d", "e"]


class Case:
    def __init__(self, name, router, combine=None, module="mlp", E=4, D=16, H=24, O=12,
                 layout="2d", targets="array"):
        self.name, self.router, self.combine, self.module = name, router, combine, module
        self.E, self.D, self.H = E, D, H
        self.O = D if module in ("res", "seq") else O
        self.layout, self.targets = layout, targets

    @property
    def kind(self):
        return self.router[0]

    def target_prefixes(self):
        if self.targets == "list":
            return LIST_NAMES[:self.E]
        return [f"experts.{e}" for e in range(self.E)]

    def expected_params(self):
        """(name, shape) in state_dict order, from the program's declarations."""
        d, h, o = self.D, self.H, self.O
        shapes = {"mlp": {"w1": (d, h), "b1": (h,), "w2": (h, o), "b2": (o,)},
                  "res": {"w1": (d, h), "b1": (h,), "w2": (h, d)},
                  "seq": {"w1": (d, h), "w2": (h, d), "w3": (d, d)}}[self.module]
        out = [(f"{t}.{n}", shapes[n]) for t in self.target_prefixes()
               for n in MODULES[self.module][1]]
        if self.combine == "custom":
            out.append(("fuse.wg", (d, len(self.global_indices()))))
        return out

    def global_indices(self):
        return list(self.router[1:]) if self.kind == "fixed" else list(range(self.E))

    def sizes(self):
        if self.layout == "2d":
            return [{"N": n} for n in (1, 0, 2, 7, 33)]
        return [{"B": b, "T": t} for b, t in ((1, 1), (0, 3), (2, 0), (3, 4), (2, 9))]

    def variants(self):
        """Data variants of the router argument."""
        return {"topk": ["random", "ties"], "softmax": ["random", "large"],
                "expert_choice": ["random", "dups"], "task": ["random"],
                "hash": ["random", "special"], "weights": ["random"],
                "fixed": ["random"], "all": ["random"]}[self.kind]

    def router_obj(self, inputs):
        k = self.kind
        if k == "topk":
            _, kk, normalize, capacity = self.router
            return ref.Topk(tensor(inputs["logits"]), kk, normalize, capacity)
        if k == "softmax":
            return ref.Softmax(tensor(inputs["logits"]))
        if k == "expert_choice":
            return ref.ExpertChoice(tensor(inputs["logits"]), self.router[1])
        if k == "task":
            return ref.Task(tensor(inputs["ids"]), arg="ids")
        if k == "hash":
            return ref.Hash(tensor(inputs["ids"]))
        if k == "weights":
            return ref.Weights(tensor(inputs["w"]))
        if k == "fixed":
            return ref.Fixed(*self.router[1:])
        return ref.All()

    def reference(self, params, inputs, combine=None, router=None):
        fn = MODULES[self.module][0]
        p = {k: tensor(v) for k, v in params.items()}
        targets = [ref.instance_from(fn, p, t) for t in self.target_prefixes()]
        combine = combine or self.combine
        if combine == "custom":
            combine = ref.instance_from(mix, p, "fuse")
        return ref.route(tensor(inputs["x"]), targets, router or self.router_obj(inputs),
                         combine)

    # -- inputs ------------------------------------------------------------
    def inputs(self, rng, size, variant):
        d, e = self.D, self.E
        if self.layout == "2d":
            xs, rows = (size["N"], d), (size["N"],)
        elif self.layout == "example":
            xs, rows = (size["B"], size["T"], d), (size["B"],)
        else:
            xs, rows = (size["B"], size["T"], d), (size["B"], size["T"])
        x = rng.standard_normal(xs).astype(np.float32)
        k = self.kind
        n = int(np.prod(rows))
        if k in ("topk", "softmax", "expert_choice"):
            if variant == "ties":
                # Small integers: many exact ties, at the k-th place too.
                lg = rng.integers(0, 3, size=(n, e)).astype(np.float32)
            elif variant == "large":
                lg = (rng.standard_normal((n, e)) * 30.0).astype(np.float32)
            else:
                lg = (rng.standard_normal((n, e)) * 2.0).astype(np.float32)
            if variant == "dups" and n >= 2:
                # Duplicate rows: equal p[:, e], so the lower row must win.
                for i in range(1, n, 2):
                    lg[i] = lg[i - 1]
                if n >= 5:
                    lg[4] = lg[0]
            return {"x": x, "logits": lg.reshape(rows + (e,))}
        if k == "task":
            dt = np.int64 if self.router[1] == "i64" else np.int32
            return {"x": x, "ids": rng.integers(0, e, size=rows).astype(dt)}
        if k == "hash":
            if self.router[1] == "i64":
                special = [0, 1, 2, -1, 2 ** 32, 2 ** 32 + 1, -2 ** 31, 2 ** 40 + 7,
                           2 ** 63 - 1, -2 ** 63, 123456789]
                ids = rng.integers(-2 ** 62, 2 ** 62, size=n, dtype=np.int64)
                dt = np.int64
            else:
                special = [0, 1, 2, -1, 2 ** 31 - 1, -2 ** 31, 65535, 65536, -7]
                ids = rng.integers(-2 ** 31, 2 ** 31, size=n, dtype=np.int64)
                dt = np.int32
            if variant == "special":
                ids = np.array([special[i % len(special)] for i in range(n)], dtype=np.int64)
            return {"x": x, "ids": ids.astype(dt).reshape(rows)}
        if k == "weights":
            w = rng.standard_normal((n, e))
            w[rng.random((n, e)) < 0.4] = 0.0
            if n >= 2:
                w[n // 2] = 0.0  # a row with no target
            return {"x": x, "w": w.astype(np.float32).reshape(rows + (e,))}
        return {"x": x}

    def margin_ok(self, inputs):
        """expert_choice compares p = softmax(logits) across rows: distinct values
        must be farther apart than float32 rounding (exact duplicates are ties)."""
        if self.kind != "expert_choice":
            return True
        lg = inputs["logits"].reshape(-1, self.E).astype(np.float64)
        p = np.exp(lg - lg.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        for j in range(self.E):
            v = np.unique(p[:, j])
            if v.size > 1 and np.min(np.diff(v)) < 1e-5:
                return False
        return True


def topk(k, normalize=True, capacity=0.0):
    return ("topk", k, normalize, capacity)


CASES = [
    # topk (logits given as an entry argument, so ties are exact)
    Case("topk_k1_ws", topk(1), E=4),
    Case("topk_k2_ws", topk(2), E=4, targets="list"),
    Case("topk_k2_nonorm_ws", topk(2, normalize=False), E=5, D=8),
    Case("topk_k2_cap_ws", topk(2, capacity=0.5), E=4),
    Case("topk_k1_nonorm_cap_ws", topk(1, normalize=False, capacity=1.5), E=3),
    Case("topk_k3_of_3_ws", topk(3), E=3),
    Case("topk_k2_sum", topk(2), "sum", E=4),
    Case("topk_k2_cap_mean", topk(2, capacity=0.5), "mean", E=4),
    Case("topk_k2_max", topk(2), "max", E=3),
    Case("topk_k2_merge", topk(2), "merge", module="res", E=4),
    Case("topk_k2_nonorm_cap_merge", topk(2, normalize=False, capacity=0.5), "merge",
         module="res", E=4),
    # softmax
    Case("softmax_ws", ("softmax",), E=4),
    Case("softmax_sum", ("softmax",), "sum", E=3, targets="list"),
    Case("softmax_mean", ("softmax",), "mean", E=5),
    Case("softmax_max", ("softmax",), "max", E=4),
    Case("softmax_merge", ("softmax",), "merge", module="res", E=3),
    # expert_choice
    Case("ec_ws", ("expert_choice", 1.0), E=4),
    # C = min(ceil(6e18 R / 3), R) = R (converted to i64 before the clamp,
    # 6e18 R / 3 overflowed and no target took a row)
    Case("ec_sum", ("expert_choice", 6e18), "sum", E=3),
    Case("ec_mean", ("expert_choice", 1.5), "mean", E=4),
    Case("ec_max", ("expert_choice", 0.5), "max", E=5),
    Case("ec_merge", ("expert_choice", 1.0), "merge", module="res", E=4),
    # task
    Case("task_ws", ("task", "i32"), E=4),
    Case("task_sum", ("task", "i64"), "sum", E=3),
    Case("task_mean", ("task", "i32"), "mean", E=5),
    Case("task_max", ("task", "i64"), "max", E=4),
    Case("task_merge", ("task", "i32"), "merge", module="res", E=3),
    # hash
    Case("hash_ws", ("hash", "i64"), E=5),
    Case("hash_sum", ("hash", "i32"), "sum", E=4),
    Case("hash_mean", ("hash", "i64"), "mean", E=3),
    Case("hash_max", ("hash", "i32"), "max", E=5),
    Case("hash_merge", ("hash", "i64"), "merge", module="res", E=4),
    # weights
    Case("weights_ws", ("weights",), E=4),
    Case("weights_sum", ("weights",), "sum", E=3),
    Case("weights_mean", ("weights",), "mean", E=5),
    Case("weights_max", ("weights",), "max", E=4),
    Case("weights_merge", ("weights",), "merge", module="res", E=4),
    # fixed and all (global)
    Case("fixed_sum", ("fixed", 2, 0), E=4),
    Case("fixed_mean", ("fixed", 1, 3, 0), "mean", E=4),
    Case("fixed_max", ("fixed", 0, 2), "max", E=4),
    Case("fixed_concat", ("fixed", 2, 0, 1), "concat", E=4),
    Case("fixed_merge", ("fixed", 0, 2), "merge", module="res", E=4),
    Case("fixed_custom", ("fixed", 3, 1), "custom", E=4),
    Case("fixed_ws", ("fixed", 1, 3), "weighted_sum", E=4),
    Case("all_sum", ("all",), E=3, targets="list"),
    Case("all_mean", ("all",), "mean", E=3),
    Case("all_max", ("all",), "max", E=3),
    Case("all_concat", ("all",), "concat", E=3),
    Case("all_merge", ("all",), "merge", module="res", E=3),
    Case("all_custom", ("all",), "custom", E=3),
    Case("all_ws", ("all",), "weighted_sum", E=3, targets="list"),
    # level: per example (logits [B, E] of X [B, T, D]) and per token of a 3-D X
    Case("example_topk_ws", topk(2), module="seq", E=3, D=8, H=16, layout="example"),
    Case("example_weights_merge", ("weights",), "merge", module="seq", E=3, D=8, H=16,
         layout="example"),
    Case("token_topk_cap_ws", topk(2, capacity=0.5), E=4, D=8, O=6, layout="token"),
    Case("token_ec_max", ("expert_choice", 1.0), "max", E=3, D=8, O=6, layout="token"),
    Case("token_task_sum", ("task", "i32"), "sum", E=3, D=8, O=6, layout="token"),
]
BY_NAME = {c.name: c for c in CASES}


def random_params(case, rng):
    params = {}
    for name, shape in case.expected_params():
        if len(shape) >= 2:
            v = rng.standard_normal(shape) / np.sqrt(shape[-2])
        else:
            v = rng.standard_normal(shape) * 0.5
        params[name] = v.astype(np.float32)
    return params


def contrast(case, params, inputs, variant):
    """Variants of the reference the test data must tell apart (so the test is
    able to): merge vs weighted sum, capacity vs none, the other tie order."""
    out = []
    if case.combine == "merge" and case.kind not in ("task", "hash"):
        # (With one target of weight 1 per row, merge is weighted_sum.)
        out.append(("merge vs weighted sum",
                    case.reference(params, inputs, combine="weighted_sum")))
    if case.kind == "topk" and case.router[3] > 0:
        _, k, normalize, _ = case.router
        out.append(("capacity vs none", case.reference(
            params, inputs, router=ref.Topk(tensor(inputs["logits"]), k, normalize))))
    if case.kind == "topk" and variant == "ties" and case.router[1] < case.E:
        # Higher index first on ties: reverse the targets and the logits.
        _, k, normalize, capacity = case.router
        fn = MODULES[case.module][0]
        p = {n: tensor(v) for n, v in params.items()}
        targets = [ref.instance_from(fn, p, t) for t in case.target_prefixes()][::-1]
        lg = tensor(inputs["logits"]).flip(-1)
        out.append(("the other tie order", ref.route(
            tensor(inputs["x"]), targets, ref.Topk(lg, k, normalize, capacity),
            case.combine)))
    lg = inputs.get("logits")
    if (case.kind == "expert_choice" and variant == "dups" and lg.size
            and case.router[1] < case.E):
        # Higher row first on ties: reverse the rows, route, reverse back.
        n = int(np.prod(lg.shape[:-1]))
        rev = {"x": inputs["x"].reshape((n, -1))[::-1].reshape(inputs["x"].shape),
               "logits": lg.reshape((n, -1))[::-1].reshape(lg.shape)}
        y = case.reference(params, rev)
        out.append(("the other row tie order",
                    y.reshape((n, -1)).flip(0).reshape(y.shape)))
    return out


def run_case(case, work):
    lib = os.path.join(work, f"lib{case.name}.so")
    src = os.path.join(ROUTES, case.name + ".mod")
    # MODC_FLAGS: extra modc options (the suites run at -O2 and at -O0).
    flags = os.environ.get("MODC_FLAGS", "").split()
    p = subprocess.run(["modc", *flags, src, "-o", lib], capture_output=True, text=True,
                       timeout=120)
    if p.returncode != 0:
        lines = [ln for ln in (p.stderr + p.stdout).splitlines() if ln.strip()]
        first = next((ln for ln in lines if "error" in ln.lower()), lines[0] if lines else "")
        raise AssertionError(f"modc exit {p.returncode}: {first}")
    m = modrt.load(lib)
    got = [(q["name"], tuple(q["shape"])) for q in m.params]
    want = case.expected_params()
    if got != want:
        raise AssertionError(f"parameters {got} != expected {want}")
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    params = random_params(case, rng)
    wpath = os.path.join(work, f"{case.name}.safetensors")
    write_safetensors(wpath, params)
    m.load(wpath)
    distinguished = {}
    worst = 0.0
    for size in case.sizes():
        for variant in case.variants():
            for _ in range(50):
                inputs = case.inputs(rng, size, variant)
                if case.margin_ok(inputs):
                    break
            want_y = case.reference(params, inputs)
            args = [inputs[k] for k in ("x", "logits", "ids", "w") if k in inputs]
            y = m.forward(*args)
            label = f"{case.name} {variant} " + " ".join(f"{k}={v}" for k, v in size.items())
            worst = max(worst, compare(label, y, want_y.numpy()))
            for what, other in contrast(case, params, inputs, variant):
                d = float((other - want_y).abs().max()) if other.numel() else 0.0
                distinguished[what] = max(distinguished.get(what, 0.0), d)
    for what, d in distinguished.items():
        if d < 1e-2:
            raise AssertionError(f"test data cannot tell {what} apart (max diff {d:.3g})")
    print(f"ok {case.name}: max abs error {worst:.3g}")


def main():
    if sys.argv[1:] == ["--list"]:
        print("\n".join(c.name for c in CASES))
        return
    work, names = sys.argv[1], sys.argv[2:]
    torch.set_num_threads(1)
    failed = []
    for name in names:
        case = BY_NAME[name]
        try:
            run_case(case, work)
        except (AssertionError, SystemExit, modrt.Error, ValueError, TypeError, OSError,
                subprocess.TimeoutExpired) as e:
            msg = str(e).splitlines()[0] if str(e) else type(e).__name__
            print(f"FAIL {name}: {msg}")
            if os.environ.get("ROUTES_TRACEBACK"):
                traceback.print_exc()
            failed.append(name)
    if failed:
        sys.exit(f"FAIL routes: {len(failed)} of {len(names)} cases: {' '.join(failed)}")
    print(f"PASS routes ({len(names)} cases)")


if __name__ == "__main__":
    main()
