"""Dyns read from compound dims against NumPy.

    run_compound_dyns.py LIB
"""
import sys

import numpy as np

from checks import compare
from harness import modrt

m = modrt.load(sys.argv[1])
m.init(0)
rng = np.random.default_rng(3)
for n, t, p in ((2, 3, 2), (1, 1, 0), (3, 0, 4), (4, 5, 1)):
    x = rng.standard_normal(t + 1).astype(np.float32)
    compare(f"tail T={t}", m.tail(x), x[1:].astype(np.float64))
    x = rng.standard_normal(2 * t).astype(np.float32)
    compare(f"rows T={t}", m.rows(x), x.reshape(2, t)[1].astype(np.float64))
    got = m.count(np.zeros(t + 2, np.float32))
    assert got.dtype == np.int64 and np.array_equal(got, np.arange(t)), got
    q = rng.standard_normal((n, t, 3)).astype(np.float32)
    kv = rng.standard_normal((n, p + t, 3)).astype(np.float32)
    compare(f"window N={n} T={t} P={p}", m.window(q, kv),
            kv[:, p:, :].astype(np.float64) + q)
    x = rng.standard_normal((n, t + 1)).astype(np.float32)
    y = rng.standard_normal(t).astype(np.float32)
    compare(f"tail_mod N={n} T={t}", m.tail_mod(x, y),
            x[:, 1:].astype(np.float64) + y)
    x = rng.standard_normal((n, t, 2)).astype(np.float32)
    compare(f"pair_mod N={n} T={t}", m.pair_mod(x),
            x.astype(np.float64).mean(axis=2))
    x = rng.standard_normal((n, t + 2)).astype(np.float32)
    compare(f"drop_mod N={n} T={t}", m.drop_mod(x),
            x[:, 1:].astype(np.float64) * 2.0)
    parts = [rng.standard_normal(s).astype(np.float32) for s in (n, t, p, 3)]
    compare(f"four N={n} T={t} P={p}", m.four(*parts),
            np.concatenate(parts).astype(np.float64))
print("PASS compound dyns")
