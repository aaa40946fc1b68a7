"""math_v02.mod against PyTorch (float64): softplus (stable for large
inputs), pow, minimum, maximum, clamp, min, at N = 0, 1, 5."""

import sys

import numpy as np
import torch

from harness import modrt

m = modrt.load(sys.argv[1])
rng = np.random.default_rng(0)
for n in (0, 1, 5):
    x = rng.standard_normal((n, 4)).astype(np.float32)
    y = rng.standard_normal((n, 4)).astype(np.float32)
    outs = m.f(x, y)
    X = torch.tensor(x, dtype=torch.float64)
    Y = torch.tensor(y, dtype=torch.float64)
    refs = [torch.nn.functional.softplus(X * 30.0),
            torch.pow(X.abs() + 0.5, Y),
            torch.minimum(X, Y),
            torch.maximum(X, torch.tensor(0.25, dtype=torch.float64)),
            torch.clamp(X, min=torch.full_like(X, -0.5), max=Y),
            X.min(1).values if n else torch.zeros(0, dtype=torch.float64),
            Y.min(1, keepdim=True).values if n else torch.zeros((0, 1), dtype=torch.float64)]
    for i, (got, want) in enumerate(zip(outs, refs)):
        err = np.max(np.abs(got - want.numpy()), initial=0.0)
        scale = max(1.0, float(np.max(np.abs(want.numpy()), initial=0.0)))
        assert err <= 1e-5 * scale, (n, i, err)
    print(f"ok N={n}")
assert np.array_equal(m.g(np.array([-2.0, 0.5], np.float32)), [-8.0, 0.125])
print("ok pow(-2, 3.0) = -8")
print("PASS math v0.2")
