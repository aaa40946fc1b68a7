"""Casts and onehot against NumPy.

    run_dtypes.py LIB
"""
import sys

import numpy as np

from checks import expect_error
from harness import modrt

m = modrt.load(sys.argv[1])
f32 = np.array([1.5, -2.7, 0.0, 1e9], np.float32)
i64 = np.array([2**40, -3, 0, 2**33 + 5], np.int64)
assert np.array_equal(m.a(f32), f32)
assert np.array_equal(m.b(np.array([3, -4], np.int32)), [3, -4])
assert np.array_equal(m.c(i64), i64)
assert np.array_equal(m.e(f32), f32.astype(np.int64)), m.e(f32)  # toward zero
assert np.array_equal(m.f(i64), i64.astype(np.int32))  # low 32 bits
ids = np.array([0, 2, 1, 2])
want = np.eye(3, dtype=np.float32)[ids]
assert np.array_equal(m.d(ids.astype(np.int64)), want)
assert np.array_equal(m.g(ids.astype(np.int32)), want)
expect_error("onehot id out of range", 1, m.d, np.array([0, 3], np.int64))
print("PASS dtypes")
