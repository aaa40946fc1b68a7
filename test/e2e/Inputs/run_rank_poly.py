"""rank_poly.mod against PyTorch (float64)."""

import sys
import numpy as np
import torch

from harness import modrt
m = modrt.load(sys.argv[1]); m.init(3)
rng = np.random.default_rng(0)
P = {k: torch.tensor(m[k].astype(np.float64)) for k in [p["name"] for p in m.params]}
def ad(prefix, h):
    h = torch.tensor(np.asarray(h, np.float64))
    return (h + (torch.relu(h @ P[prefix + "down"]) @ P[prefix + "up"]) * torch.softmax(h, -1)).numpy()
def same(a, b, what):
    assert a.shape == b.shape, (what, a.shape, b.shape)
    err = np.abs(a - b).max() if a.size else 0
    assert err < 1e-5, (what, err)
    print("ok", what)
x1 = rng.standard_normal(8).astype(np.float32)
same(m.d0(x1), ad("a.", x1), "d0")
x2 = rng.standard_normal((5, 8)).astype(np.float32)
same(m.d2(x2), ad("a.", x2), "d2")
x3 = rng.standard_normal((2, 3, 8)).astype(np.float32)
same(m.d3(x3), ad("a.", x3), "d3")
ids = np.array([2, 0, 1, 1, 2], np.int32)
same(m.tok(x2, ids), np.stack([ad(f"experts.{i}.", x2[r]) for r, i in enumerate(ids)]), "tok")
ids = np.array([1, 2], np.int32)
same(m.ex(x3, ids), np.stack([ad(f"experts.{i}.", x3[r]) for r, i in enumerate(ids)]), "ex")
same(m.all3(x3), np.mean([ad(f"experts.{i}.", x3) for i in range(3)], 0), "all3")
lg = rng.standard_normal((2, 3, 3)).astype(np.float32)
want = np.zeros((2, 3, 8))
for b in range(2):
    for t in range(3):
        top = np.argsort(-lg[b, t], kind="stable")[:2]
        w = np.exp(lg[b, t, top] - lg[b, t, top].max()); w /= w.sum()
        want[b, t] = sum(wi * ad(f"experts.{e}.", x3[b, t]) for wi, e in zip(w, top))
same(m.top(x3, lg), want, "top")
same(m.s2(x2[:2]), ad("a.", x2[:2]), "static [2, D]")
same(m.s3(x3), ad("a.", x3), "static T")
same(m.sex(x3, ids), np.stack([ad(f"experts.{i}.", x3[r]) for r, i in enumerate(ids)]), "static T, routed per example")
same(m.sall(x3), np.mean([ad(f"experts.{i}.", x3) for i in range(3)], 0), "static [2, 3, D], all")
print("PASS rank_poly")
