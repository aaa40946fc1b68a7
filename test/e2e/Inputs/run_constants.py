"""constants.mod against NumPy at N = 0, 1, 4."""

import sys

import numpy as np

from harness import modrt

m = modrt.load(sys.argv[1])
m.init(3)
for n in (0, 1, 4):
    x = np.random.default_rng(n).standard_normal((n, 3)).astype(np.float32)
    e, ar, f1, f2, k, y = m.f(x)
    assert np.array_equal(e, np.eye(n, dtype=np.float32))
    assert ar.dtype == np.int64 and np.array_equal(ar, np.arange(n))
    assert np.array_equal(f1, np.full((2, 3), 0.5, np.float32))
    assert f2.dtype == np.int32 and f2.shape == (n, 2) and np.all(f2 == 7)
    assert np.allclose(k, np.kron(m["a"], m["b"]), atol=1e-6)
    assert np.allclose(y, 2 * x, atol=1e-6)
    t, f, big, sh = m.g(np.arange(n, dtype=np.int64))
    assert t.dtype == np.bool_ and np.all(t) and not np.any(f)
    assert np.all(big == 4611686018427387903)
    assert np.array_equal(sh, np.arange(n) + 4611686018427387901)
    print(f"ok N={n}")
print("PASS constants")
