"""An independent PyTorch reference of the .mod language (LANGUAGE.md §6 builtins,
§7 routing and aggregation), written from the specification alone.

Everything computes in float64 (inputs and parameters are widened), so the
reference is stable enough to judge a float32 library at rtol = atol = 1e-4.

    python3 reference.py --selftest

checks the reference itself against small cases computed by hand.

Conventions:
- Tensors are torch tensors; `tensor(a)` widens a NumPy array (floats to
  float64, integers to int64).
- An instance is `Instance(fn, params)`: `fn(params, *inputs)` with `params` a
  dict {local name: tensor}; `inst(x)` applies it. Targets of a route are a
  list of instances; `merge` needs them to share `fn`.
- Routers are objects (`Topk`, `Softmax`, `ExpertChoice`, `Task`, `Hash`,
  `Weights`, `Fixed`, `All`); `route(x, targets, router, combine)` applies
  them; `combine` is an aggregation name or an instance (custom aggregation).
"""

import math
import sys

import torch

DTYPE = torch.float64


class RuntimeErrorRef(ValueError):
    """A run-time error of the language (INTERFACE.md §2 code 1): routing or
    embedding id out of range, causal attention with Tk < Tq."""


def tensor(a):
    """NumPy array (or nested list) to a float64 / int64 torch tensor."""
    if hasattr(a, "copy") and not isinstance(a, torch.Tensor):
        a = a.copy()  # NumPy views may have negative strides
    t = torch.as_tensor(a)
    if t.is_floating_point():
        return t.to(DTYPE)
    if t.dtype == torch.bool:
        return t
    return t.to(torch.int64)


# ---------------------------------------------------------------------------
# §6 builtins
# ---------------------------------------------------------------------------

def relu(x):
    return torch.where(x > 0, x, torch.zeros_like(x))


def gelu(x):
    """The exact form x * Phi(x), Phi the standard normal CDF."""
    return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


def sigmoid(x):
    return 1.0 / (1.0 + torch.exp(-x))


def silu(x):
    return x * sigmoid(x)


def tanh(x):
    return torch.tanh(x)


def exp(x):
    return torch.exp(x)


def log(x):
    return torch.log(x)


def sqrt(x):
    return torch.sqrt(x)


def abs_(x):
    return torch.abs(x)


def softmax(x, axis=-1):
    m = torch.amax(x, dim=axis, keepdim=True) if x.numel() else x.sum(axis, keepdim=True)
    e = torch.exp(x - m)
    return e / e.sum(dim=axis, keepdim=True)


def log_softmax(x, axis=-1):
    m = torch.amax(x, dim=axis, keepdim=True) if x.numel() else x.sum(axis, keepdim=True)
    z = x - m
    return z - torch.log(torch.exp(z).sum(dim=axis, keepdim=True))


def layernorm(x, gamma, beta, eps=1e-5):
    """Over the last axis, biased variance."""
    mu = x.mean(dim=-1, keepdim=True)
    var = ((x - mu) ** 2).mean(dim=-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * gamma + beta


def rmsnorm(x, gamma, eps=1e-6):
    return x / torch.sqrt((x * x).mean(dim=-1, keepdim=True) + eps) * gamma


def sum_(x, axis, keepdims=False):
    return x.sum(dim=axis, keepdim=keepdims)


def mean(x, axis, keepdims=False):
    return x.mean(dim=axis, keepdim=keepdims)


def max_(x, axis, keepdims=False):
    return torch.amax(x, dim=axis, keepdim=keepdims)


def concat(*xs, axis=-1):
    return torch.cat(xs, dim=axis)


def reshape(x, shape):
    return x.reshape(tuple(shape))


def transpose(x, perm):
    return x.permute(tuple(perm))


def expand(x, shape):
    """Broadcast to a shape (trailing dims aligned, as NumPy broadcast_to)."""
    return x.expand(tuple(shape))


def embedding(table, ids):
    """table[ids]; an id outside [0, rows) is a run-time error."""
    v = table.shape[0]
    flat = ids.reshape(-1)
    for i, t in enumerate(flat.tolist()):
        if t < 0 or t >= v:
            raise RuntimeErrorRef(f"embedding id {t} at flat index {i} outside [0, {v})")
    return table[ids]


def onehot(ids, n):
    return (ids.unsqueeze(-1) == torch.arange(n)).to(DTYPE)


def argmax(x, axis=-1):
    """Index of the first maximum (int64)."""
    n = x.shape[axis]
    m = torch.amax(x, dim=axis, keepdim=True)
    shape = [1] * x.dim()
    shape[axis] = n
    idx = torch.arange(n).reshape(shape).expand(x.shape)
    cand = torch.where(x == m, idx, torch.full_like(idx, n))
    return torch.amin(cand, dim=axis)


def cast(x, dtype):
    return x.to(dtype)


def attention(q, k, v, heads, causal=False):
    """q [B, Tq, D], k/v [B, Tk, D]; H contiguous chunks of D/H; causal: query t
    sees keys j <= t + (Tk - Tq)."""
    b, tq, d = q.shape
    tk = k.shape[1]
    if d % heads:
        raise ValueError(f"attention: D={d} not divisible by heads={heads}")
    dh = d // heads

    def split(t, n):
        return t.reshape(b, n, heads, dh).permute(0, 2, 1, 3)

    qh, kh, vh = split(q, tq), split(k, tk), split(v, tk)
    s = qh @ kh.transpose(-1, -2) / math.sqrt(dh)
    if causal:
        if tk < tq:
            raise RuntimeErrorRef(f"causal attention with Tk={tk} < Tq={tq}")
        t = torch.arange(tq).reshape(tq, 1)
        j = torch.arange(tk).reshape(1, tk)
        allowed = j <= t + (tk - tq)
        s = s.masked_fill(~allowed, float("-inf"))
    p = softmax(s, axis=-1)
    return (p @ vh).permute(0, 2, 1, 3).reshape(b, tq, d)


# ---------------------------------------------------------------------------
# Instances
# ---------------------------------------------------------------------------

class Instance:
    """A module applied with its own parameters: fn(params, *inputs)."""

    def __init__(self, fn, params):
        self.fn = fn
        self.params = params

    def __call__(self, *inputs):
        return self.fn(self.params, *inputs)


def instance_from(fn, params, prefix):
    """The instance at state_dict path `prefix` of a flat {name: tensor} dict."""
    p = prefix + "."
    local = {k[len(p):]: v for k, v in params.items() if k.startswith(p)}
    if not local:
        raise KeyError(f"no parameters under '{prefix}'")
    return Instance(fn, local)


def merged(targets, coeffs):
    """Instance with theta = sum_e coeffs[e] * theta_e, per parameter tensor."""
    fn = targets[0].fn
    names = list(targets[0].params)
    for t in targets:
        if t.fn is not fn or list(t.params) != names:
            raise ValueError("merge needs targets that are instances of one module")
    params = {}
    for n in names:
        acc = torch.zeros_like(targets[0].params[n])
        for t, c in zip(targets, coeffs):
            if c != 0:
                acc = acc + c * t.params[n]
        params[n] = acc
    return Instance(fn, params)


# ---------------------------------------------------------------------------
# §7 routers. A per-row router's `decide(R, E)` returns (chosen [R, E] bool,
# weight [R, E] float64) for the flattened rows; `shape` is S..., the routed
# prefix of X's shape.
# ---------------------------------------------------------------------------

def fmix32(h):
    """MurmurHash3 finaliser on a 32-bit unsigned integer."""
    h &= 0xFFFFFFFF
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h


def _rows(t, has_e_axis):
    """(S, flat rows) of a router argument [S..., E] or [S...]."""
    if has_e_axis:
        s = tuple(t.shape[:-1])
        return s, t.reshape(-1, t.shape[-1])
    s = tuple(t.shape)
    return s, t.reshape(-1)


def _check_e(name, n, e):
    if n != e:
        raise ValueError(f"{name}: last axis {n} != number of targets {e}")


class Topk:
    per_row = True

    def __init__(self, logits, k, normalize=True, capacity=0.0):
        self.shape, self.logits = _rows(logits, True)
        self.k, self.normalize, self.capacity = k, normalize, capacity

    def decide(self, r, e):
        _check_e("topk", self.logits.shape[1], e)
        if not 1 <= self.k <= e:
            raise ValueError(f"topk: k={self.k} outside [1, {e}]")
        chosen = torch.zeros((r, e), dtype=torch.bool)
        weight = torch.zeros((r, e), dtype=DTYPE)
        rows = self.logits.tolist()
        logits = self.logits.to(DTYPE)
        for i, lg in enumerate(rows):
            # Largest first; among equal logits the lower index first.
            order = sorted(range(e), key=lambda j: (-lg[j], j))[:self.k]
            # The weights stay differentiable in the logits (training).
            if self.normalize:
                w = softmax(logits[i, order])
            else:
                w = softmax(logits[i])[order]
            for j, wj in zip(order, w):
                chosen[i, j] = True
                weight[i, j] = wj
        if self.capacity > 0:
            # In double precision, left to right: capacity * R * k / E.
            cap = math.ceil(self.capacity * r * self.k / e)
            for j in range(e):
                kept = 0
                for i in range(r):  # row order
                    if chosen[i, j]:
                        if kept < cap:
                            kept += 1
                        else:
                            chosen[i, j] = False
                            weight[i, j] = 0.0
        return chosen, weight


class Softmax:
    per_row = True

    def __init__(self, logits):
        self.shape, self.logits = _rows(logits, True)

    def decide(self, r, e):
        _check_e("softmax", self.logits.shape[1], e)
        return torch.ones((r, e), dtype=torch.bool), softmax(self.logits.to(DTYPE))


class ExpertChoice:
    per_row = True

    def __init__(self, logits, capacity):
        self.shape, self.logits = _rows(logits, True)
        self.capacity = capacity

    def decide(self, r, e):
        _check_e("expert_choice", self.logits.shape[1], e)
        p = softmax(self.logits.to(DTYPE))
        cap = min(math.ceil(self.capacity * r / e), r)
        chosen = torch.zeros((r, e), dtype=torch.bool)
        weight = torch.zeros((r, e), dtype=DTYPE)
        pl = p.tolist()
        for j in range(e):
            # Largest p[:, j] first; among equal values the lower row first.
            order = sorted(range(r), key=lambda i: (-pl[i][j], i))[:cap]
            for i in order:
                chosen[i, j] = True
                weight[i, j] = p[i, j]
        return chosen, weight


class Task:
    per_row = True

    def __init__(self, ids, arg="ids"):
        self.shape, self.ids = _rows(ids, False)
        self.arg = arg

    def decide(self, r, e):
        chosen = torch.zeros((r, e), dtype=torch.bool)
        for i, t in enumerate(self.ids.tolist()):
            if t < 0 or t >= e:
                raise RuntimeErrorRef(f"task: '{self.arg}' row {i}: id {t} outside [0, {e})")
            chosen[i, t] = True
        return chosen, chosen.to(DTYPE)


class Hash:
    per_row = True

    def __init__(self, ids):
        self.shape, self.ids = _rows(ids, False)

    def decide(self, r, e):
        chosen = torch.zeros((r, e), dtype=torch.bool)
        for i, t in enumerate(self.ids.tolist()):
            chosen[i, fmix32(t & 0xFFFFFFFF) % e] = True
        return chosen, chosen.to(DTYPE)


class Weights:
    per_row = True

    def __init__(self, w):
        self.shape, self.w = _rows(w, True)

    def decide(self, r, e):
        _check_e("weights", self.w.shape[1], e)
        w = self.w.to(DTYPE)
        return w != 0, w.clone()


class Fixed:
    per_row = False
    default = "sum"

    def __init__(self, *idx):
        if not idx:
            raise ValueError("fixed needs at least one index")
        self.idx = list(idx)

    def indices(self, e):
        for i in self.idx:
            if not 0 <= i < e:
                raise ValueError(f"fixed: index {i} outside [0, {e})")
        return self.idx


class All:
    per_row = False
    default = "sum"

    def indices(self, e):
        return list(range(e))


AGGREGATIONS = ("weighted_sum", "sum", "mean", "max", "concat", "merge")


def route(x, targets, router, combine=None):
    """`route x to targets by router [combine combine]` (LANGUAGE.md §7)."""
    e = len(targets)
    if e < 1:
        raise ValueError("route needs targets")
    if not router.per_row:
        return _route_global(x, targets, router, combine or router.default)
    combine = combine or "weighted_sum"
    if combine == "concat" or isinstance(combine, Instance):
        raise ValueError("concat and custom aggregation need the all or fixed router")
    if combine not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {combine!r}")
    s = router.shape
    if len(s) < 1 or len(s) > x.dim() or tuple(x.shape[:len(s)]) != s:
        raise ValueError(f"router rows {s} are not a prefix of X's shape {tuple(x.shape)}")
    r = math.prod(s)
    feat = tuple(x.shape[len(s):])
    xr = x.reshape((r,) + feat)
    chosen, weight = router.decide(r, e)
    if combine == "merge":
        out = _merge_rows(xr, targets, chosen, weight)
    else:
        out = _aggregate_rows(xr, targets, chosen, weight, combine)
    return out.reshape(s + tuple(out.shape[1:]))


def _aggregate_rows(xr, targets, chosen, weight, combine):
    r = xr.shape[0]
    # The output row shape, from an empty batch (modules are row-independent).
    o = tuple(targets[0](xr[:0]).shape[1:])
    acc = torch.zeros((r,) + o, dtype=DTYPE)
    count = torch.zeros(r, dtype=torch.int64)
    if combine == "max":
        acc = torch.full((r,) + o, float("-inf"), dtype=DTYPE)
    tail = (1,) * len(o)
    for j, target in enumerate(targets):
        rows = torch.nonzero(chosen[:, j]).reshape(-1)
        if rows.numel() == 0:
            continue
        y = target(xr[rows])  # only the rows routed to this target, packed
        if tuple(y.shape) != (rows.numel(),) + o:
            raise ValueError(f"target {j} returned {tuple(y.shape)}")
        if combine == "weighted_sum":
            acc[rows] += weight[rows, j].reshape((-1,) + tail) * y
        elif combine == "max":
            acc[rows] = torch.maximum(acc[rows], y)
        else:
            acc[rows] += y
        count[rows] += 1
    none = (count == 0).reshape((-1,) + tail)
    if combine == "mean":
        acc = acc / torch.clamp(count, min=1).to(DTYPE).reshape((-1,) + tail)
    # A row with no chosen target gets 0 from every aggregation.
    return torch.where(none, torch.zeros_like(acc), acc)


def _merge_rows(xr, targets, chosen, weight):
    r = xr.shape[0]
    o = tuple(merged(targets, [1.0] * len(targets))(xr[:0]).shape[1:])
    out = torch.zeros((r,) + o, dtype=DTYPE)
    if weight.requires_grad:
        # Training: each row its own merge, so that every row's weights get
        # their gradient (the same values as the grouped form below).
        rows = []
        for i in range(r):
            if not bool(chosen[i].any()):
                rows.append(torch.zeros(o, dtype=DTYPE))
                continue
            w = torch.where(chosen[i], weight[i], torch.zeros_like(weight[i]))
            rows.append(merged(targets, list(w))(xr[i:i + 1])[0])
        return torch.stack(rows) if rows else out
    groups = {}
    for i in range(r):
        if not bool(chosen[i].any()):
            continue  # no target: 0
        w = torch.where(chosen[i], weight[i], torch.zeros_like(weight[i]))
        groups.setdefault(tuple(w.tolist()), []).append(i)
    for coeffs, rows in groups.items():
        inst = merged(targets, list(coeffs))
        idx = torch.tensor(rows, dtype=torch.int64)
        out[idx] = inst(xr[idx])
    return out


def _route_global(x, targets, router, combine):
    idx = router.indices(len(targets))
    if combine == "merge":
        return merged([targets[i] for i in idx], [1.0] * len(idx))(x)
    outs = [targets[i](x) for i in idx]
    if isinstance(combine, Instance):
        return combine(x, torch.stack(outs, dim=-2))
    if combine in ("sum", "weighted_sum"):
        return sum(outs[1:], outs[0])
    if combine == "mean":
        return sum(outs[1:], outs[0]) / len(outs)
    if combine == "max":
        acc = outs[0]
        for y in outs[1:]:
            acc = torch.maximum(acc, y)
        return acc
    if combine == "concat":
        return torch.cat(outs, dim=-1)
    raise ValueError(f"unknown aggregation {combine!r}")


# ---------------------------------------------------------------------------
# Self-test: tiny cases computed by hand.
# ---------------------------------------------------------------------------

def _close(a, b, tol=1e-12):
    a = torch.as_tensor(a, dtype=DTYPE)
    b = torch.as_tensor(b, dtype=DTYPE)
    return a.shape == b.shape and bool(torch.all(torch.abs(a - b) <= tol))


def selftest():
    checks = 0

    def check(cond, what):
        nonlocal checks
        if not cond:
            sys.exit(f"selftest FAIL: {what}")
        checks += 1

    t = lambda v: torch.tensor(v, dtype=DTYPE)  # noqa: E731

    # Builtins.
    check(_close(gelu(t([0.0, 1.0, -1.0])), [0.0, 0.8413447460685429, -0.15865525393145707]),
          "gelu = x * Phi(x)")
    check(_close(silu(t([1.0])), [1.0 / (1.0 + math.exp(-1.0))]), "silu(1)")
    ln = layernorm(t([1.0, 2.0, 3.0]), t([1.0, 1.0, 2.0]), t([0.0, 0.5, 0.0]))
    sd = math.sqrt(2.0 / 3.0 + 1e-5)  # biased variance of 1, 2, 3 is 2/3
    check(_close(ln, [-1.0 / sd, 0.5, 2.0 / sd]), "layernorm biased variance, eps 1e-5")
    rn = rmsnorm(t([3.0, 4.0]), t([1.0, 2.0]))
    ms = math.sqrt(12.5 + 1e-6)
    check(_close(rn, [3.0 / ms, 8.0 / ms]), "rmsnorm eps 1e-6")
    check(_close(softmax(t([0.0, math.log(3.0)])), [0.25, 0.75]), "softmax")
    check(_close(log_softmax(t([0.0, math.log(3.0)])), [math.log(0.25), math.log(0.75)]),
          "log_softmax")
    check(argmax(t([[1.0, 3.0, 3.0], [5.0, 5.0, 0.0]])).tolist() == [1, 0],
          "argmax takes the first maximum")
    check(argmax(t([[1.0, 7.0], [7.0, 7.0]]), axis=0).tolist() == [1, 0], "argmax axis 0")
    check(onehot(torch.tensor([2, 0]), 3).tolist() == [[0, 0, 1], [1, 0, 0]], "onehot")
    tab = t([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    check(embedding(tab, torch.tensor([[2, 0]])).tolist() == [[[5, 6], [1, 2]]], "embedding")
    for bad in (3, -1):
        try:
            embedding(tab, torch.tensor([0, bad]))
            check(False, f"embedding id {bad} must fail")
        except RuntimeErrorRef:
            check(True, "")
    check(expand(t([1.0, 2.0]), [2, 3, 2]).shape == (2, 3, 2), "expand broadcasts")

    # Attention, causal offset rule: Tq = 2, Tk = 3. With q = 0 every allowed key
    # has the same score, so the output is the mean of the allowed values:
    # query 0 sees keys j <= 0 + 1 (0, 1), query 1 sees j <= 2 (0, 1, 2).
    q = torch.zeros((1, 2, 2), dtype=DTYPE)
    k = t([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]])
    v = t([[[1.0, 10.0], [3.0, 20.0], [8.0, 60.0]]])
    out = attention(q, k, v, heads=1, causal=True)
    check(_close(out, [[[2.0, 15.0], [4.0, 30.0]]]), "causal offset rule")
    out = attention(q, k, v, heads=1, causal=False)
    check(_close(out, [[[4.0, 30.0], [4.0, 30.0]]]), "non-causal attention")
    # Two heads split D into contiguous chunks: head 0 uses dim 0, head 1 dim 1.
    # q = [[1, 0]], k rows [0, 0], [ln 3 * sqrt(1), 1]: head 0 scores 0 and ln 3
    # (weights 1/4, 3/4); head 1 scores 0 and 0 (weights 1/2, 1/2).
    q = t([[[1.0, 0.0]]])
    k = t([[[0.0, 0.0], [math.log(3.0), 1.0]]])
    v = t([[[4.0, 2.0], [8.0, 6.0]]])
    check(_close(attention(q, k, v, heads=2), [[[7.0, 4.0]]]), "attention heads")
    try:
        attention(torch.zeros((1, 3, 2), dtype=DTYPE), k, k, heads=1, causal=True)
        check(False, "causal Tk < Tq must fail")
    except RuntimeErrorRef:
        check(True, "")

    # fmix32 by hand, step by step (h ^= h>>16; h *= 0x85ebca6b; h ^= h>>13;
    # h *= 0xc2b2ae35; h ^= h>>16, all mod 2^32):
    #  id 0: every step keeps 0                                   -> 0x00000000
    #  id 1: 1 -> 1 -> 0x85ebca6b -> ^0x00042f5e = 0x85efe535
    #        -> *0xc2b2ae35 = 0x514e79f9 -> ^0x0000514e             -> 0x514e28b7
    #  id 2: 2 -> 2 -> 0x0bd794d6 -> ^0x00005ebc = 0x0bd7ca6a
    #        -> *0xc2b2ae35 = 0x30f4f3f2 -> ^0x000030f4             -> 0x30f4c306
    #  id -1: low 32 bits 0xffffffff -> ^0x0000ffff = 0xffff0000
    #        -> *0x85ebca6b = 0x35950000 -> ^0x0001aca8 = 0x3594aca8
    #        -> *0xc2b2ae35 = 0x81f1eec8 -> ^0x000081f1             -> 0x81f16f39
    want = {0: 0x00000000, 1: 0x514E28B7, 2: 0x30F4C306, -1: 0x81F16F39}
    for i, h in want.items():
        check(fmix32(i & 0xFFFFFFFF) == h, f"fmix32({i}) = {h:#010x}, got {fmix32(i):#010x}")
    check(fmix32((2 ** 32 + 1) & 0xFFFFFFFF) == want[1], "hash uses the low 32 bits")
    ch, w = Hash(torch.tensor([0, 1, 2, -1])).decide(4, 5)
    # 0 % 5 = 0; 0x514e28b7 = 1364076727 -> 2; 0x30f4c306 = 821347078 -> 3;
    # 0x81f16f39 = 2180083513 -> 3.
    check(ch.to(torch.int64).argmax(1).tolist() == [0, 2, 3, 3], "hash targets mod 5")
    check(w.sum(1).tolist() == [1.0] * 4, "hash weight 1")

    # topk ties: lower index first.
    ch, w = Topk(t([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [0.0, 5.0, 5.0, 5.0]]),
                 2).decide(3, 4)
    check(ch.tolist() == [[False, True, True, False], [True, True, False, False],
                          [False, True, True, False]], "topk tie order")
    check(_close(w, [[0, 0.5, 0.5, 0], [0.5, 0.5, 0, 0], [0, 0.5, 0.5, 0]]), "topk tie weights")
    ch, w = Topk(t([[0.0, 4.0, 4.0]]), 1).decide(1, 3)
    check(ch.tolist() == [[False, True, False]] and w.tolist() == [[0.0, 1.0, 0.0]],
          "top-1 tie picks the lower index with weight 1")
    # normalize: logits [0, 0, ln 3], k = 2 chooses 2 and 0 (0 beats 1 on the tie).
    lg = t([[0.0, 0.0, math.log(3.0)]])
    ch, w = Topk(lg, 2).decide(1, 3)
    check(ch.tolist() == [[True, False, True]] and _close(w, [[0.25, 0.0, 0.75]]),
          "topk normalize=true: softmax over the chosen logits")
    ch, w = Topk(lg, 2, normalize=False).decide(1, 3)
    check(_close(w, [[0.2, 0.0, 0.6]]), "topk normalize=false: softmax over all E")
    # capacity: R = 4, k = 1, E = 2, capacity 0.5 -> C = ceil(0.5*4*1/2) = 1.
    # Rows 0, 1, 3 choose target 0, row 2 target 1: target 0 keeps row 0 only.
    ch, w = Topk(t([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [2.0, 0.0]]), 1,
                 capacity=0.5).decide(4, 2)
    check(ch.tolist() == [[True, False], [False, False], [False, True], [False, False]],
          "topk capacity keeps the first C rows in row order")
    # k = 2, E = 3, R = 3, capacity 0.5 -> C = ceil(1.0) = 1; weights not renormalised.
    lg = t([[2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 1.0, 2.0]])
    ch, w = Topk(lg, 2, capacity=0.5).decide(3, 3)
    # choices: row0 {0, 1}, row1 {1, 0}, row2 {2, 1}; target 0 keeps row 0,
    # target 1 keeps row 0, target 2 keeps row 2.
    check(ch.tolist() == [[True, True, False], [False, False, False], [False, False, True]],
          "topk capacity with k = 2")
    e1 = math.exp(1.0)
    check(_close(w, [[e1 / (1 + e1), 1 / (1 + e1), 0], [0, 0, 0], [0, 0, e1 / (1 + e1)]]),
          "kept topk weights are not renormalised")
    # capacity 0.75, R = 2, k = 1, E = 3 -> ceil(0.5) = 1.
    ch, _ = Topk(t([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]), 1, capacity=0.75).decide(2, 3)
    check(ch.tolist() == [[True, False, False], [False, False, False]], "ceil of a fraction")

    # expert_choice: R = 3, E = 2, capacity 1 -> C = min(ceil(1.5), 3) = 2.
    # p rows: [.5, .5], [.5, .5], [s, 1 - s] with s = sigmoid(1) = 0.731.
    # Target 0: row 2, then rows 0/1 tie -> row 0. Target 1: rows 0, 1 (0.5 > 0.269).
    lg = t([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    ch, w = ExpertChoice(lg, 1.0).decide(3, 2)
    s = 1.0 / (1.0 + math.exp(-1.0))
    check(ch.tolist() == [[True, True], [False, True], [True, False]],
          "expert_choice ties: lower row first")
    check(_close(w, [[0.5, 0.5], [0.0, 0.5], [s, 0.0]]), "expert_choice weight p[r, e]")
    # capacity large: C = min(ceil(4 * 2 / 2), 2) = 2 = R, every target takes every row.
    ch, _ = ExpertChoice(t([[0.0, 1.0], [3.0, 0.0]]), 4.0).decide(2, 2)
    check(bool(ch.all()), "expert_choice C clamps to R")
    ch, _ = ExpertChoice(torch.zeros((0, 3), dtype=DTYPE), 1.0).decide(0, 3)
    check(ch.shape == (0, 3), "expert_choice with no rows")

    # task: ids in range, weight 1; out of range names the row.
    ch, w = Task(torch.tensor([2, 0])).decide(2, 3)
    check(ch.tolist() == [[False, False, True], [True, False, False]], "task")
    try:
        Task(torch.tensor([0, 1, 3]), arg="tid").decide(3, 3)
        check(False, "task id 3 with E = 3 must fail")
    except RuntimeErrorRef as err:
        check("row 2" in str(err) and "tid" in str(err), "task error names arg and row")

    # weights: chosen where w != 0, weights as given.
    ch, w = Weights(t([[0.0, -2.0, 0.5], [0.0, 0.0, 0.0]])).decide(2, 3)
    check(ch.tolist() == [[False, True, True], [False, False, False]], "weights")

    # Aggregations with scalar "modules" f_e(x) = x * a_e + c_e on [N, 1] rows.
    lin = lambda p, x: x * p["a"] + p["c"]  # noqa: E731
    tg = [Instance(lin, {"a": t([a]), "c": t([c])})
          for a, c in ((1.0, 0.0), (2.0, -10.0), (-1.0, 0.0))]
    x = t([[1.0], [2.0], [3.0]])
    wts = t([[0.5, 0.0, 0.25], [0.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    # f0 = x, f1 = 2x - 10, f2 = -x.
    check(_close(route(x, tg, Weights(wts)), [[0.5 - 0.25], [0.0], [2.0 * -4.0]]),
          "weighted_sum, and 0 for a row with no target")
    check(_close(route(x, tg, Weights(wts), "sum"), [[0.0], [0.0], [-4.0]]), "sum")
    check(_close(route(x, tg, Weights(wts), "mean"), [[0.0], [0.0], [-4.0]]), "mean")
    check(_close(route(x, tg, Weights(wts), "max"), [[1.0], [0.0], [-4.0]]),
          "max over chosen (negative kept), 0 for none")
    # merge: theta_r = sum_e w[r, e] theta_e; row 0: a = 0.5 - 0.25, c = 0.
    check(_close(route(x, tg, Weights(wts), "merge"), [[0.25], [0.0], [2.0 * (6.0 - 10.0)]]),
          "merge on a module linear in its parameters")
    # A module not linear in its parameters: relu(x * a). Weights 1/2, 1/2 with
    # a = 1 and a = -1: merge gives relu(0) = 0, weighted_sum gives |x| / 2.
    rl = lambda p, x: relu(x * p["a"])  # noqa: E731
    tg2 = [Instance(rl, {"a": t([1.0])}), Instance(rl, {"a": t([-1.0])})]
    w2 = t([[0.5, 0.5], [0.5, 0.5]])
    x2 = t([[3.0], [-4.0]])
    check(_close(route(x2, tg2, Weights(w2), "merge"), [[0.0], [0.0]]), "merge differs")
    check(_close(route(x2, tg2, Weights(w2)), [[1.5], [2.0]]), "weighted_sum differs")
    # Global routers: fixed(2, 0) and all.
    check(_close(route(x, tg, Fixed(2, 0)), -x + x), "fixed default sum")
    check(_close(route(x, tg, All(), "mean"), (x + 2 * x - 10 - x) / 3), "all mean")
    check(_close(route(x, tg, Fixed(2, 0), "concat"), torch.cat([-x, x], -1)),
          "concat in the listed order")
    check(_close(route(x, tg, All(), "max"), torch.maximum(torch.maximum(x, 2 * x - 10), -x)),
          "all max")
    check(_close(route(x, tg, Fixed(0, 1), "merge"), 3 * x - 10), "fixed merge sums")
    cust = Instance(lambda p, h, outs: outs, {})
    check(route(x, tg, Fixed(1, 2, 0), cust).shape == (3, 3, 1),
          "custom aggregation stacks before the last axis")
    check(_close(route(x, tg, Fixed(1, 2, 0), cust)[:, :, 0],
                 torch.cat([2 * x - 10, -x, x], -1)), "custom outs in listed order")
    # Level: X [2, 3, 1], logits [2, E] route per example; targets see [R', 3, 1].
    seen = []

    def spy(p, xx):
        seen.append(tuple(xx.shape))
        return xx * p["a"]
    tg3 = [Instance(spy, {"a": t([1.0])}), Instance(spy, {"a": t([-2.0])})]
    x3 = torch.arange(6, dtype=DTYPE).reshape(2, 3, 1)
    y3 = route(x3, tg3, Task(torch.tensor([1, 0])))
    check(_close(y3, torch.stack([-2 * x3[0], x3[1]])), "per-example task routing")
    # (The first call, on an empty batch, only finds the output row shape.)
    check(seen == [(0, 3, 1), (1, 3, 1), (1, 3, 1)], "per-example targets get [R', T, F]")
    seen.clear()
    y4 = route(x3, tg3, Task(torch.tensor([[1, 0, 1], [0, 0, 0]])))
    check(_close(y4[0, :, 0], [0.0, 1.0, -4.0]), "per-token routing of a 3-D input")
    # Flattened rows 0..5; target 0 gets rows 1, 3, 4, 5 and target 1 rows 0, 2.
    check(seen == [(0, 1), (4, 1), (2, 1)], "per-token targets get [R', F]")
    # Empty batch.
    check(route(torch.zeros((0, 1), dtype=DTYPE), tg, Topk(torch.zeros((0, 3)), 2)).shape
          == (0, 1), "route with no rows")
    print(f"reference selftest: {checks} checks passed")


if __name__ == "__main__":
    if sys.argv[1:] == ["--selftest"]:
        selftest()
    else:
        sys.exit("usage: reference.py --selftest")
