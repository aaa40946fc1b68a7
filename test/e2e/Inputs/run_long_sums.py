"""Sums over a million rows (long_sums.mod) against float64: f32 sums,
means and bias gradients accumulate in f64 and round once, so they stay
within a few f32 ulps where a row-after-row f32 sum is off by ~1e-5."""

import sys

import numpy as np

from harness import modrt

m = modrt.load(sys.argv[1])
rng = np.random.default_rng(0)
n = 1 << 20
x = (rng.standard_normal((n, 4)) + 1.0).astype(np.float32)
ref = x.astype(np.float64).sum(0)


def rel(got, want):
    return float(np.abs(np.asarray(got, np.float64) - want).max() /
                 np.abs(want).max())


errors = {
    "sum": rel(m.rows(x), ref),
    "mean": rel(m.cols(np.ascontiguousarray(x.T)).ravel(), ref / n),
}
m.init(0)
m.fit(x, np.zeros_like(x))
grad = 2.0 * ref / (n * 4)
errors["bias grad"] = rel(-m["b"], grad)
errors["scalar grad"] = rel(-m["s"], np.array([grad.sum()]))
for name, err in errors.items():
    print("%s %.1e" % (name, err))
    if err > 1e-6:
        sys.exit("FAIL: %s off by %.1e relative" % (name, err))

# bf16: 4096 ones sum to 4096 (accumulated in f32, one rounding).
ones = np.full((4096, 4), 0x3F80, np.uint16)
got = (m.halves(ones).astype(np.uint32) << 16).view(np.float32)
if not np.array_equal(got, np.full(4, 4096.0, np.float32)):
    sys.exit("FAIL: bf16 sum of 4096 ones is %s" % got)
print("PASS long sums")
