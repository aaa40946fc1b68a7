"""Reshapes over two dyns against NumPy's row-major reshape.

    run_reshape_dyns.py LIB
"""
import sys

import numpy as np

from checks import compare
from harness import modrt

m = modrt.load(sys.argv[1])
rng = np.random.default_rng(5)
for b, t in ((1, 1), (2, 3), (3, 5), (0, 4)):
    x = rng.standard_normal((b, t, 2)).astype(np.float32)
    compare(f"f B={b} T={t}", m.f(x), x.astype(np.float64).reshape(b, 2 * t) * 2.0)
    x = rng.standard_normal((b, t, 6)).astype(np.float32)
    compare(f"g B={b} T={t}", m.g(x), x.astype(np.float64).reshape(3, 2 * b, t))
print("PASS reshape over two dyns")
