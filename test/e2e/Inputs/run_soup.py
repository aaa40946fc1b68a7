"""examples/adapter_soup.mod: the soup entry exports the averaged adapter,
and forward equals that single averaged adapter applied (NumPy, float64)."""

import sys

import numpy as np

from harness import modrt

m = modrt.load(sys.argv[1])
m.init(4)
down, up = m.soup()
want_down = np.mean([m[f"adapters.{e}.down"] for e in range(4)], axis=0)
want_up = np.mean([m[f"adapters.{e}.up"] for e in range(4)], axis=0)
assert np.allclose(down, want_down, atol=1e-6) and np.allclose(up, want_up, atol=1e-6)
print("ok soup exports the averaged weights")
for n in (0, 1, 7):
    x = np.random.default_rng(n).standard_normal((n, 64)).astype(np.float32)
    h = x.astype(np.float64)
    want = h + np.maximum(h @ want_down, 0) @ want_up
    assert np.max(np.abs(m.forward(x) - want), initial=0.0) < 1e-4
    print(f"ok forward N={n}")
print("PASS adapter_soup")
