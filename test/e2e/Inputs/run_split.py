"""split.mod against NumPy, and its gradient against PyTorch."""

import sys

import numpy as np
import torch

from harness import modrt

m = modrt.load(sys.argv[1])
m.init(1)
rng = np.random.default_rng(0)
for n, t in ((0, 2), (1, 1), (3, 5)):
    x = rng.standard_normal((n, 6)).astype(np.float32)
    y = rng.standard_normal((n, t)).astype(np.float32)
    a, b, c, e, top = m.f(x, y)
    assert np.array_equal(a, x[:, :2]) and np.allclose(b, x[:, 2:] + 1)
    assert np.array_equal(c, y) and np.array_equal(e, x[:, :1])
    assert np.array_equal(top, m["w"][:2])
    print(f"ok N={n} T={t}")
x = rng.standard_normal((4, 6)).astype(np.float32)
target = rng.standard_normal((4, 4)).astype(np.float32)
W = torch.tensor(m["w"].astype(np.float64), requires_grad=True)
y = (torch.tensor(x.astype(np.float64)) @ torch.cat([W, W], 1))[:, :4]
torch.nn.functional.mse_loss(y, torch.tensor(target.astype(np.float64))).backward()
before = m["w"]
m.t(x, target)
assert np.abs(before - W.grad.numpy() - m["w"]).max() < 1e-5
print("ok gradient")
print("PASS split")
