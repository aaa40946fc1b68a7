"""cast_limits.mod against PyTorch: float-to-int casts out of range or of
NaN give the type's minimum (an out-of-range constant folded at -O2 left
the output unwritten); clamp with a NaN bound gives NaN."""

import sys

import numpy as np
import torch

from harness import modrt

m = modrt.load(sys.argv[1])
x = np.array([0.0, 1.5, -2.7, 3e9, -3e9, np.inf, -np.inf, np.nan,
              2147483520.0, -2147483648.0], np.float32)
i32min, i64min = np.iinfo(np.int32).min, np.iinfo(np.int64).min
assert np.all(m.folded(x) == i32min), m.folded(x)
assert np.all(m.folded64(x) == i64min), m.folded64(x)
assert np.all(m.folded_inf(x) == i32min), m.folded_inf(x)
t = torch.from_numpy(x)
assert np.array_equal(m.run32(x), t.to(torch.int32).numpy()), m.run32(x)
xb = modrt.to_bf16(x)
want = torch.from_numpy(modrt.from_bf16(xb)).to(torch.int64).numpy()
assert np.array_equal(m.run64(xb), want), (m.run64(xb), want)
a = np.array([1, 1, np.nan, 5, 0.5, -3], np.float32)
lo = np.array([np.nan, 0, 0, np.nan, 0, -1], np.float32)
hi = np.array([2, np.nan, 2, 2, 1, 1], np.float32)
got = m.cl(a, lo, hi)
want = torch.clamp(torch.from_numpy(a), torch.from_numpy(lo), torch.from_numpy(hi)).numpy()
assert np.array_equal(got, want, equal_nan=True), (got, want)
got = m.cll(x)
want = torch.clamp(t, -1.0, 1.0).numpy()
assert np.array_equal(got, want, equal_nan=True), (got, want)
print("PASS cast limits")
