"""examples/soft_moe.mod and examples/compacter.mod against NumPy (float64):
the v0.2 examples built with eye, full, kron and parameter reads."""

import sys
from math import erf

import numpy as np

from harness import modrt

gelu = np.vectorize(lambda v: 0.5 * v * (1 + erf(v / np.sqrt(2))), otypes=[np.float64])


def softmax(a, axis):
    a = a - a.max(axis, keepdims=True)
    e = np.exp(a)
    return e / e.sum(axis, keepdims=True)


soft, comp = modrt.load(sys.argv[1]), modrt.load(sys.argv[2])
soft.init(1)
p = {k: v.astype(np.float64) for k, v in soft.state_dict().items()}
for b, t in ((1, 1), (2, 5), (0, 3)):
    x = np.random.default_rng(t).standard_normal((b, t, 32)).astype(np.float32)
    X = x.astype(np.float64)
    logits = X @ p["phi"]
    slots = np.transpose(softmax(logits, 1), (0, 2, 1)) @ X
    y = np.zeros_like(slots)
    for s in range(8):
        e = s // 2  # expert e owns slots 2e and 2e + 1
        y[:, s] = gelu(slots[:, s] @ p[f"experts.{e}.w1"]) @ p[f"experts.{e}.w2"]
    want = softmax(logits, 2) @ y
    err = np.max(np.abs(soft.forward(x) - want), initial=0.0)
    assert err < 1e-5, err
    print(f"ok soft_moe B={b} T={t}")

comp.init(2)
p = {k: v.astype(np.float64) for k, v in comp.state_dict().items()}
w = lambda layer, name: (np.kron(p["A0"], p[f"{layer}.{name}0"]) +
                         np.kron(p["A1"], p[f"{layer}.{name}1"]))
for n in (0, 1, 6):
    h = np.random.default_rng(n).standard_normal((n, 64)).astype(np.float32)
    H = h.astype(np.float64)
    h1 = H + gelu(H @ w("layer1", "down")) @ w("layer1", "up")
    want = h1 + gelu(h1 @ w("layer2", "down")) @ w("layer2", "up")
    err = np.max(np.abs(comp.adapt(h) - want), initial=0.0)
    assert err < 1e-4, err
    print(f"ok compacter N={n}")
print("PASS v0.2 examples")
