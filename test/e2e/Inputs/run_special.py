"""Special and extreme inputs through exp, log, tanh, sigmoid, gelu, silu,
softplus, pow:
the -O2 library (polynomial approximations) against the -O0 library (libm)
and NumPy/PyTorch in float64.

    run_special.py LIB_O2 LIB_O0
"""
import math
import sys

import numpy as np
import torch

from harness import modrt

fast, exact = modrt.load(sys.argv[1]), modrt.load(sys.argv[2])
x = np.array([0, 1, -1, 0.5, 3, -3, 9, -9, 20, -20, 88, 89, -87, -104, 100, -100,
              np.inf, -np.inf, np.nan, 1e-30, -0.0, 5e-39, 1e-45, 3.4e38], np.float32)
X = torch.from_numpy(x).double()
with np.errstate(all="ignore"):
    want = [torch.exp(X), torch.log(X), torch.tanh(X), torch.sigmoid(X),
            torch.nn.functional.gelu(X), torch.nn.functional.silu(X)]
names = ["exp", "log", "tanh", "sigmoid", "gelu", "silu"]
ok = True
for lib_name, lib in (("-O2", fast), ("-O0", exact)):
    for name, got, w in zip(names, lib.f(x), want):
        w32 = w.numpy().astype(np.float32)  # the reference, rounded to f32
        for xi, g, r in zip(x, got, w32):
            same = (np.isnan(g) and np.isnan(r)) or g == r or \
                (np.isfinite(r) and abs(float(g) - float(r)) <= 1e-4 * abs(float(r)) + 1e-4)
            if not same:
                print(f"FAIL {lib_name} {name}({xi!r}) = {g!r}, want {r!r}")
                ok = False
# softplus to 1e-5 relative wherever the result is a normal f32 (log1p, not
# log(1 + e): softplus(-20) was 0).
want = torch.nn.functional.softplus(X).numpy().astype(np.float32)
for lib_name, lib in (("-O2", fast), ("-O0", exact)):
    for xi, g, r in zip(x, lib.sp(x), want):
        same = (np.isnan(g) and np.isnan(r)) or g == r or (
            np.isfinite(r) and abs(float(g) - float(r))
            <= 1e-5 * abs(float(r)) + 1.2e-38)
        if not same:
            print(f"FAIL {lib_name} softplus({xi!r}) = {g!r}, want {r!r}")
            ok = False
inf = np.inf
px = np.array([-inf, -inf, -inf, inf, 0, -0.0, 0, -2, -2, -8, 1, 1, np.nan, np.nan,
               -1, -1, 0.5, 2, -0.0, -100, -100, -3, 2.5, 3, -0.0, -1.5], np.float32)
py = np.array([0.5, 3, -3, -0.5, -1, -1, 0, 3, 0.5, 1 / 3, np.nan, inf, 0, 1, inf,
               -inf, inf, -inf, -3, 0, 2, -1, 1.5, 40, 2, 1e30], np.float32)
want = torch.pow(torch.from_numpy(px), torch.from_numpy(py)).numpy()
for lib_name, lib in (("-O2", fast), ("-O0", exact)):
    for xi, yi, g, r in zip(px, py, lib.pw(px, py), want):
        same = (np.isnan(g) and np.isnan(r)) or (
            g == r and np.signbit(g) == np.signbit(r)) or (
            np.isfinite(r) and abs(float(g) - float(r)) <= 1e-5 * abs(float(r)))
        if not same:
            print(f"FAIL {lib_name} pow({xi!r}, {yi!r}) = {g!r}, want {r!r}")
            ok = False
rows = np.array([[1, np.nan, 3, np.nan], [np.nan, 5, 7, 1], [2, 9, 9, -np.inf],
                 [-np.inf, -np.inf, -np.inf, -np.inf], [1, 2, np.inf, np.nan]],
                np.float32)
want = torch.from_numpy(rows).argmax(-1).numpy()
for lib_name, lib in (("-O2", fast), ("-O0", exact)):
    got = lib.am(rows)
    if not np.array_equal(got, want):
        print(f"FAIL {lib_name} argmax {got} want {want}")
        ok = False
if not ok:
    sys.exit(1)
print("PASS special values")
