"""Every element of a tuple return is its own result.

    run_tuple.py LIB
"""
import sys

import numpy as np

from checks import compare
from harness import modrt

m = modrt.load(sys.argv[1])
x = np.random.default_rng(3).standard_normal((5, 4)).astype(np.float32)
X = x.astype(np.float64)
for i, got in enumerate(m.f(x)):
    compare(f"f[{i}]", got, X + (i + 1))
sm = np.exp(X - X.max(-1, keepdims=True))
sm /= sm.sum(-1, keepdims=True)
lsm = X - X.max(0) - np.log(np.exp(X - X.max(0)).sum(0))
for name, want in (("g", (sm, lsm)), ("h", (lsm, sm))):
    for i, (got, w) in enumerate(zip(getattr(m, name)(x), want)):
        compare(f"{name}[{i}]", got, w)
print("PASS tuple results")
