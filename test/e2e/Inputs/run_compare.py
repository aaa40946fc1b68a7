"""compare.mod against NumPy: < <= > >= == !=, where, cast, bool in and out."""

import sys

import numpy as np

from harness import modrt

m = modrt.load(sys.argv[1])
rng = np.random.default_rng(1)
for n in (0, 1, 5):
    x = rng.standard_normal((n, 4)).astype(np.float32)
    y = rng.standard_normal((n, 4)).astype(np.float32)
    y[:, 0] = 0.0
    i = np.arange(n).astype(np.int64)
    mk = rng.random((n, 4)) > 0.5
    c, w, f, wi, mm, wm = m.f(x, y, i, mk)
    assert c.dtype == np.bool_ and np.array_equal(c, x < y)
    assert np.array_equal(w, np.where(x < y, x, y * 2))
    assert np.array_equal(f, (x > 0).astype(np.float32))
    assert np.array_equal(wi, np.where(i <= 2, i, 7))
    assert np.array_equal(mm, mk)
    assert np.array_equal(wm, np.where(mk, 1.0, x).astype(np.float32))
    a, b = m.lits(x, i)
    assert a.dtype == np.float32 and np.array_equal(a, np.where(x > 0, 1.0, 0.0))
    assert b.dtype == np.int64 and np.array_equal(b, np.where(i == 1, 5, -2))
    print(f"ok N={n}")
print("PASS compare")
