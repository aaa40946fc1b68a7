"""Compile-time weights: the specialised library (entries f, g, h with their
id fixed) computes what the general one computes for those ids.

    run_zero_weights.py LIB_GENERAL LIB_SPECIAL WORKDIR
"""
import sys

import numpy as np

from harness import check_close, modrt, random_params, write_safetensors

general, special = modrt.load(sys.argv[1]), modrt.load(sys.argv[2])
params = random_params(general, np.random.default_rng(3), scale=0.3)
path = f"{sys.argv[3]}/zw.safetensors"
write_safetensors(path, params)
general.load(path)
special.load(path)
rng = np.random.default_rng(4)
for name, task in (("f", 2), ("g", 1), ("h", 3)):
    for n in (1, 6):
        x = rng.standard_normal((n, 8)).astype(np.float32)
        ids = np.full((n,), task, np.int32)
        want = getattr(general, name)(x, ids)
        if name == "g":
            assert not want.any(), "weights 0 everywhere give 0"
        check_close(f"{name} N={n}", getattr(special, name)(x, ids), want,
                    atol=1e-5, rtol=1e-5)
for n in (1, 6):
    x = rng.standard_normal((n, 8)).astype(np.float32)
    t = np.full((n,), 3, np.int32)
    u = np.zeros((n,), np.int32)
    check_close(f"two N={n}", special.two(x, t, u), general.two(x, t, u),
                atol=1e-5, rtol=1e-5)
print("PASS zero weights")
