"""The -O2 library against the -O0 library (rtol = atol = 1e-4) on
routes_more*.mod, at several sizes, 1 and 2 threads.

    run_more.py LIB_O2 LIB_O0 WORKDIR
"""
import sys

import numpy as np

from harness import check_close, modrt, write_safetensors

fast, plain = modrt.load(sys.argv[1]), modrt.load(sys.argv[2])
rng = np.random.default_rng(0)
params = {p["name"]: (rng.standard_normal(p["shape"]) * 0.3).astype(np.float32)
          for p in fast.params}
path = f"{sys.argv[3]}/w.safetensors"
write_safetensors(path, params)
fast.load(path)
plain.load(path)


def inputs(entry, n):
    x = rng.standard_normal((n, 16)).astype(np.float32)
    h = rng.standard_normal((n, 4, 16)).astype(np.float32)
    w5 = (rng.standard_normal((n, 5)) * (rng.random((n, 5)) > 0.5)).astype(np.float32)
    w3 = rng.standard_normal((n, 3)).astype(np.float32)
    w3[::2] = w3[:1]  # shared weight vectors
    return {"ec": (x,), "hashed": (x, rng.integers(-5, 100, n).astype(np.int64)),
            "weighted": (x, w5), "merged": (x,), "nested": (x,), "soft": (x,),
            "mixed": (x,), "perex": (h, rng.integers(0, 3, n).astype(np.int32)),
            "perex_merge": (h, w3)}[entry]


for n in (0, 1, 7, 300):
    for entry in fast.entries:
        args = inputs(entry, n)
        want = getattr(plain, entry)(*args)
        for threads in (1, 2):
            fast.set_threads(threads)
            check_close(f"{entry} N={n} {threads} threads", getattr(fast, entry)(*args), want)
    print(f"ok N={n}")
print("PASS more routes")
