"""bool_ops.mod against PyTorch: true counted as -1 made max an all and
min an any, maximum an and, argmax find the first false."""

import sys

import numpy as np
import torch

from harness import modrt

m = modrt.load(sys.argv[1])
rng = np.random.default_rng(0)
x = rng.standard_normal((50, 3)).astype(np.float32)
a, b = x[:, 0].copy(), x[:, 1].copy()
t = torch.from_numpy(x) > 0
assert np.array_equal(m.anyp(x), t.max(1).values.numpy())
assert np.array_equal(m.allp(x), t.min(1).values.numpy())
assert np.array_equal(m.orr(a, b), np.logical_or(a > 0, b > 0))
assert np.array_equal(m.andd(a, b), np.logical_and(a > 0, b > 0))
assert np.array_equal(m.am(x), t.to(torch.uint8).argmax(1).numpy()), (m.am(x)[:8], t.to(torch.uint8).argmax(1).numpy()[:8])
assert np.array_equal(m.cmp(a, b), (a > 0) < (b > 0))
assert np.array_equal(m.cl(a, b), torch.clamp(torch.from_numpy(a > 0).to(torch.uint8), torch.from_numpy(b > 0).to(torch.uint8), torch.from_numpy(b > 0).to(torch.uint8)).bool().numpy())
print("PASS bool")
