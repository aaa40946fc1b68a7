"""examples/*.mod end to end against reference.py (PyTorch, float64).

    run_example.py EXAMPLE LIB WORKDIR

Checks the parameter table (state_dict names, shapes, frozen flags), loads
random non-trivial weights through NAME_load, runs every entry at several
sizes of each dyn (1 and 0 included) and compares with rtol = atol = 1e-4;
then the run-time errors of INTERFACE.md §2: routing/embedding ids out of
range, negative dyns, bad weight files (all-or-nothing). Prints `PASS EXAMPLE`.
"""

import sys

import numpy as np
import torch

from checks import check_bad_weights, check_negative_dyns, compare, expect_error
from harness import modrt, write_safetensors
import reference as ref
from reference import (All, Task, Topk, Weights, attention, concat, embedding, expand, gelu,
                       instance_from, layernorm, relu, reshape, route, sigmoid, silu, softmax,
                       sum_, tensor, transpose)


def normal(rng, shape, std):
    return (rng.standard_normal(shape) * std).astype(np.float32)


def fan_in(rng, shape, gain=1.0):
    """Random matrix with std gain / sqrt(rows): outputs stay O(1)."""
    return normal(rng, shape, gain / np.sqrt(shape[0]))


class Example:
    model = None
    entries = {}  # entry -> list of size dicts

    def expected_params(self):
        """[(name, shape, trainable)] in state_dict order."""
        raise NotImplementedError

    def params(self, rng):
        raise NotImplementedError

    def inputs(self, entry, rng, size, P):
        raise NotImplementedError

    def reference(self, entry, P, *inputs):
        raise NotImplementedError

    def id_errors(self, m, rng, P):
        pass


# -- adapter_fusion ----------------------------------------------------------

def adapter(p, h):
    return h + relu(h @ p["down"]) @ p["up"]


def fusion(p, h, outs):
    n, d = h.shape
    q = reshape(h @ p["wq"], [n, 1, d])
    scores = softmax(q @ transpose(outs @ p["wk"], [0, 2, 1]), axis=-1)
    return reshape(scores @ (outs @ p["wv"]), [n, d])


class AdapterFusion(Example):
    model = "fusion"
    D, R, E = 256, 32, 4
    entries = {"forward": [{"N": n} for n in (1, 0, 5, 33)]}

    def expected_params(self):
        out = []
        for e in range(self.E):
            out += [(f"adapters.{e}.down", (self.D, self.R), False),
                    (f"adapters.{e}.up", (self.R, self.D), False)]
        out += [(f"fuse.{w}", (self.D, self.D), True) for w in ("wq", "wk", "wv")]
        return out

    def params(self, rng):
        P = {}
        for name, shape, _ in self.expected_params():
            gain = 0.5 if name.endswith(("wq", "wk")) else 1.0
            P[name] = fan_in(rng, shape, gain)
        return P

    def inputs(self, entry, rng, size, P):
        return [normal(rng, (size["N"], self.D), 1.0)]

    def reference(self, entry, P, x):
        adapters = [instance_from(adapter, P, f"adapters.{e}") for e in range(self.E)]
        return route(x, adapters, All(), instance_from(fusion, P, "fuse"))


# -- hash_moe ----------------------------------------------------------------

def ffn(p, x):
    return relu(x @ p["w1"]) @ p["w2"]


class HashMoE(Example):
    model = "hash_moe"
    V, D, H, E = 32000, 256, 512, 16
    entries = {"forward": [{"N": n} for n in (1, 0, 9, 64)]}

    def expected_params(self):
        out = [("emb", (self.V, self.D), True)]
        for e in range(self.E):
            out += [(f"experts.{e}.w1", (self.D, self.H), True),
                    (f"experts.{e}.w2", (self.H, self.D), True)]
        return out

    def params(self, rng):
        P = {"emb": normal(rng, (self.V, self.D), 1.0)}
        for name, shape, _ in self.expected_params()[1:]:
            P[name] = fan_in(rng, shape)
        return P

    def inputs(self, entry, rng, size, P):
        ids = rng.integers(0, self.V, size=size["N"])
        ids[:min(4, size["N"])] = [0, 1, 2, self.V - 1][:min(4, size["N"])]
        return [ids.astype(np.int64)]

    def reference(self, entry, P, ids):
        x = embedding(P["emb"], ids)
        experts = [instance_from(ffn, P, f"experts.{e}") for e in range(self.E)]
        return x + route(x, experts, ref.Hash(ids))

    def id_errors(self, m, rng, P):
        for bad in (self.V, -1):
            ids = np.array([5, 6, 7, bad, 8], np.int64)
            expect_error(f"embedding id {bad}", 1, m.forward, ids)


# -- moe ---------------------------------------------------------------------

def swiglu(p, x):
    return (silu(x @ p["w_gate"]) * (x @ p["w_up"])) @ p["w_down"]


class MoE(Example):
    model = "moe"
    D, H, E = 512, 1024, 8
    sizes = [{"N": n} for n in (1, 0, 7, 64)]
    entries = {"forward": sizes, "router_logits": sizes}

    def expected_params(self):
        out = [("gate.w", (self.D, self.E), True)]
        for e in range(self.E):
            out += [(f"experts.{e}.w_gate", (self.D, self.H), True),
                    (f"experts.{e}.w_up", (self.D, self.H), True),
                    (f"experts.{e}.w_down", (self.H, self.D), True)]
        return out

    def params(self, rng):
        return {name: fan_in(rng, shape, 2.0 if name == "gate.w" else 1.0)
                for name, shape, _ in self.expected_params()}

    def inputs(self, entry, rng, size, P):
        # The top-2 choice is made on logits the library computes in float32:
        # keep rows whose 2nd and 3rd logits are apart by far more than that.
        x = normal(rng, (size["N"], self.D), 1.0)
        for _ in range(100):
            lg = np.sort((tensor(x) @ tensor(P["gate.w"])).numpy(), axis=1)
            bad = lg[:, -2] - lg[:, -3] < 1e-3
            if not bad.any():
                break
            x[bad] = normal(rng, (int(bad.sum()), self.D), 1.0)
        return [x]

    def reference(self, entry, P, x):
        logits = x @ P["gate.w"]
        if entry == "router_logits":
            return logits
        experts = [instance_from(swiglu, P, f"experts.{e}") for e in range(self.E)]
        return route(x, experts, Topk(logits, 2))


# -- multitask_adapters ------------------------------------------------------

def block(p, x, heads):
    h = layernorm(x, p["ln1_g"], p["ln1_b"])
    x1 = x + attention(h @ p["wq"], h @ p["wk"], h @ p["wv"], heads=heads) @ p["wo"]
    return x1 + gelu(layernorm(x1, p["ln2_g"], p["ln2_b"]) @ p["w1"]) @ p["w2"]


def ln_params(rng, P, name, d):
    P[name + "_g"] = (1.0 + rng.standard_normal(d) * 0.1).astype(np.float32)
    P[name + "_b"] = normal(rng, d, 0.1)


class Multitask(Example):
    model = "multitask"
    D, HEADS, F, TASKS, R = 256, 4, 1024, 4, 16
    entries = {"forward": [{"B": b, "T": t} for b, t in ((1, 1), (0, 4), (2, 0), (3, 5),
                                                        (2, 16))]}

    def expected_params(self):
        d, f = self.D, self.F
        out = [(f"block.{w}", (d, d), False) for w in ("wq", "wk", "wv", "wo")]
        out += [("block.w1", (d, f), False), ("block.w2", (f, d), False)]
        out += [(f"block.{w}", (d,), False) for w in ("ln1_g", "ln1_b", "ln2_g", "ln2_b")]
        for e in range(self.TASKS):
            out += [(f"adapters.{e}.down", (d, self.R), True),
                    (f"adapters.{e}.up", (self.R, d), True)]
        return out

    def params(self, rng):
        P = {}
        for name, shape, _ in self.expected_params():
            if len(shape) == 2:
                P[name] = fan_in(rng, shape)
        ln_params(rng, P, "block.ln1", self.D)
        ln_params(rng, P, "block.ln2", self.D)
        return {name: P[name] for name, _, _ in self.expected_params()}

    def inputs(self, entry, rng, size, P):
        b, t = size["B"], size["T"]
        ids = rng.integers(0, self.TASKS, size=b).astype(np.int32)
        return [normal(rng, (b, t, self.D), 1.0), ids]

    def reference(self, entry, P, x, task_id):
        blk = instance_from(lambda p, h: block(p, h, self.HEADS), P, "block")
        adapters = [instance_from(adapter, P, f"adapters.{e}") for e in range(self.TASKS)]
        return route(blk(x), adapters, Task(task_id))

    def id_errors(self, m, rng, P):
        x = normal(rng, (3, 2, self.D), 1.0)
        for bad in (self.TASKS, -1):
            ids = np.array([0, 1, bad], np.int32)
            expect_error(f"task id {bad} in row 2", 1, m.forward, x, ids,
                         contains=("forward", "task_id"), row=2)


# -- polytropon --------------------------------------------------------------

def linear(p, x):
    return x @ p["w"] + p["b"]


def lora(p, x, alpha=8.0, r=4):
    return (x @ p["A"]) @ p["B"] * (alpha / r)


class Polytropon(Example):
    model = "polytropon"
    D, SKILLS, TASKS = 512, 8, 16
    entries = {"forward": [{"N": n} for n in (1, 0, 7, 40)]}

    def expected_params(self):
        d = self.D
        out = [("Z", (self.TASKS, self.SKILLS), True), ("base.w", (d, d), False),
               ("base.b", (d,), False)]
        for e in range(self.SKILLS):
            out += [(f"skills.{e}.A", (d, 4), True), (f"skills.{e}.B", (4, d), True)]
        return out

    def params(self, rng):
        P = {"Z": normal(rng, (self.TASKS, self.SKILLS), 1.5),
             "base.w": fan_in(rng, (self.D, self.D)), "base.b": normal(rng, self.D, 0.5)}
        for e in range(self.SKILLS):
            P[f"skills.{e}.A"] = fan_in(rng, (self.D, 4))
            P[f"skills.{e}.B"] = fan_in(rng, (4, self.D))
        return P

    def inputs(self, entry, rng, size, P):
        n = size["N"]
        return [normal(rng, (n, self.D), 1.0),
                rng.integers(0, self.TASKS, size=n).astype(np.int32)]

    def reference(self, entry, P, x, task):
        s = sigmoid(embedding(P["Z"], task))
        w = s / sum_(s, axis=-1, keepdims=True)
        skills = [instance_from(lora, P, f"skills.{e}") for e in range(self.SKILLS)]
        base = instance_from(linear, P, "base")
        return base(x) + route(x, skills, Weights(w), "merge")

    def id_errors(self, m, rng, P):
        x = normal(rng, (4, self.D), 1.0)
        for bad in (self.TASKS, -1):
            ids = np.array([0, 3, bad, 1], np.int32)
            expect_error(f"embedding id {bad} (task)", 1, m.forward, x, ids)


# -- prefix_mad_x ------------------------------------------------------------

class PrefixMadX(Example):
    model = "prefix_mad_x"
    D, HEADS, P_, LANGS, R = 256, 8, 16, 3, 16
    entries = {"forward": [{"B": b, "T": t} for b, t in ((1, 1), (0, 3), (2, 0), (3, 5),
                                                        (2, 12))]}

    def expected_params(self):
        d = self.D
        out = [(w, (d, d), False) for w in ("wq", "wk", "wv", "wo")]
        out += [("prefix_k", (self.P_, d), True), ("prefix_v", (self.P_, d), True),
                ("ia3_v", (d,), True)]
        for e in range(self.LANGS):
            out += [(f"lang_adapters.{e}.down", (d, self.R), True),
                    (f"lang_adapters.{e}.up", (self.R, d), True)]
        out += [("task_adapter.down", (d, self.R), True), ("task_adapter.up", (self.R, d), True)]
        return out

    def params(self, rng):
        P = {}
        for name, shape, _ in self.expected_params():
            P[name] = fan_in(rng, shape) if len(shape) == 2 else None
        P["prefix_k"] = normal(rng, (self.P_, self.D), 1.0)
        P["prefix_v"] = normal(rng, (self.P_, self.D), 1.0)
        P["ia3_v"] = (1.0 + rng.standard_normal(self.D) * 0.2).astype(np.float32)
        return P

    def inputs(self, entry, rng, size, P):
        b, t = size["B"], size["T"]
        return [normal(rng, (b, t, self.D), 1.0),
                rng.integers(0, self.LANGS, size=b).astype(np.int32)]

    def reference(self, entry, P, x, lang):
        b = x.shape[0]
        d, p = self.D, self.P_
        k = concat(expand(P["prefix_k"], [b, p, d]), x @ P["wk"], axis=1)
        v = concat(expand(P["prefix_v"], [b, p, d]), x @ P["wv"], axis=1) * P["ia3_v"]
        h = x + attention(x @ P["wq"], k, v, heads=self.HEADS, causal=True) @ P["wo"]
        langs = [instance_from(adapter, P, f"lang_adapters.{e}") for e in range(self.LANGS)]
        return instance_from(adapter, P, "task_adapter")(route(h, langs, Task(lang)))

    def id_errors(self, m, rng, P):
        x = normal(rng, (4, 3, self.D), 1.0)
        for bad in (self.LANGS, -2):
            ids = np.array([0, bad, 2, 1], np.int32)
            expect_error(f"lang id {bad} in row 1", 1, m.forward, x, ids,
                         contains=("forward", "lang"), row=1)


# -- routing_network ---------------------------------------------------------

class RoutingNet(Example):
    model = "routing_net"
    D, M, L, C = 128, 6, 4, 10
    entries = {"forward": [{"N": n} for n in (1, 0, 7, 40)]}

    def expected_params(self):
        d = self.D
        out = []
        for i in range(self.L):
            out += [(f"routers.{i}.w", (d, self.M), True), (f"routers.{i}.b", (self.M,), True)]
        for j in range(self.M):
            out += [(f"blocks.{j}.fc.w", (d, d), True), (f"blocks.{j}.fc.b", (d,), True)]
        out += [("head.w", (d, self.C), True), ("head.b", (self.C,), True)]
        return out

    def params(self, rng):
        P = {}
        for name, shape, _ in self.expected_params():
            if len(shape) == 1:
                P[name] = normal(rng, shape, 0.3)
            else:
                P[name] = fan_in(rng, shape, 3.0 if name.startswith("routers") else 1.6)
        return P

    def _forward(self, P, x, margins=None):
        h = x
        blocks = [instance_from(lambda p, z: relu(linear(p, z)), P, f"blocks.{j}.fc")
                  for j in range(self.M)]
        for i in range(self.L):
            logits = instance_from(linear, P, f"routers.{i}")(h)
            if margins is not None and logits.shape[0]:
                top = torch.topk(logits, 2, dim=1).values
                margins.append((top[:, 0] - top[:, 1]).numpy())
            h = route(h, blocks, Topk(logits, 1))
        return instance_from(linear, P, "head")(h)

    def inputs(self, entry, rng, size, P):
        # Each step's top-1 choice is made on float32 logits: keep rows whose
        # best and second-best logits are far apart at every step.
        x = normal(rng, (size["N"], self.D), 1.0)
        p = {k: tensor(v) for k, v in P.items()}
        for _ in range(200):
            margins = []
            self._forward(p, tensor(x), margins)
            if not margins:
                break
            bad = np.min(np.stack(margins), axis=0) < 1e-3
            if not bad.any():
                break
            x[bad] = normal(rng, (int(bad.sum()), self.D), 1.0)
        return [x]

    def reference(self, entry, P, x):
        return self._forward(P, x)


EXAMPLES = {"adapter_fusion": AdapterFusion, "hash_moe": HashMoE, "moe": MoE,
            "multitask_adapters": Multitask, "polytropon": Polytropon,
            "prefix_mad_x": PrefixMadX, "routing_network": RoutingNet}


def main():
    name, lib, work = sys.argv[1:4]
    ex = EXAMPLES[name]()
    torch.set_num_threads(1)
    m = modrt.load(lib)
    assert m.name == ex.model, (m.name, ex.model)
    got = [(p["name"], tuple(p["shape"]), p["trainable"]) for p in m.params]
    want = ex.expected_params()
    if got != want:
        diff = [(g, w) for g, w in zip(got, want) if g != w][:3]
        sys.exit(f"FAIL {name}: parameter table differs ({len(got)} vs {len(want)} rows; "
                 f"first differences {diff})")
    assert set(m.entries) == set(ex.entries), (list(m.entries), list(ex.entries))
    print(f"ok {name}: {len(got)} parameters in state_dict order")

    rng = np.random.default_rng(20261128)
    params = ex.params(rng)
    assert set(params) == {n for n, _, _ in want}
    for k, v in params.items():
        assert v.dtype == np.float32 and np.count_nonzero(v) == v.size, k
    wpath = f"{work}/{name}.safetensors"
    write_safetensors(wpath, params)
    m.load(wpath)
    P = {k: tensor(v) for k, v in params.items()}

    def run_all(quiet=False):
        for entry, sizes in ex.entries.items():
            for size in sizes:
                inputs = ex.inputs(entry, rng, size, params)
                y = m.entries[entry](*inputs)
                want_y = ex.reference(entry, P, *[tensor(a) for a in inputs])
                label = f"{entry} " + " ".join(f"{k}={v}" for k, v in size.items())
                err = compare(label, y, want_y.numpy())
                if not quiet:
                    print(f"ok {label}: max abs error {err:.3g}")

    try:
        run_all()
        ex.id_errors(m, rng, P)
        for entry in ex.entries:
            check_negative_dyns(m, entry)
        check_bad_weights(m, params, work, lambda: run_all(quiet=True))
        print("ok results after failed loads")
    except (AssertionError, modrt.Error, ref.RuntimeErrorRef) as e:
        sys.exit(f"FAIL {name}: {e}")
    print(f"PASS {name}")


if __name__ == "__main__":
    main()
