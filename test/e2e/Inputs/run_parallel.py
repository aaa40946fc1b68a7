"""Loops split over threads compute what one thread computes, and what the
PyTorch float64 reference computes (rtol = atol = 1e-4), at sizes above and
below the runtime's parallel threshold.

    run_parallel.py LIB
"""
import sys

import numpy as np
import torch

from checks import compare
from harness import modrt

lib = modrt.load(sys.argv[1])
rng = np.random.default_rng(7)
gamma = rng.standard_normal(96).astype(np.float32)
beta = rng.standard_normal(96).astype(np.float32)


def t(a):
    return torch.from_numpy(np.asarray(a)).double()


def reference(entry, x, extra=None):
    X = t(x)
    g, b = t(gamma), t(beta)
    if entry == "elementwise":
        return [torch.nn.functional.gelu(X) + torch.nn.functional.silu(X) * torch.tanh(X)
                - torch.sigmoid(X) + torch.relu(X) * torch.exp(-X.abs())
                + torch.log(X.abs() + 1) + torch.sqrt(X.abs()) / (X * X + 1)]
    if entry == "norms":
        ln = torch.nn.functional.layer_norm(X, (96,), g, b, 1e-5)
        rms = X / torch.sqrt((X * X).mean(-1, keepdim=True) + 1e-6) * g
        return [ln, rms, torch.softmax(X, -1), torch.log_softmax(X, 0)]
    if entry == "reductions":
        return [X.sum(-1), X.mean(0), X.max(1, keepdim=True).values,
                torch.from_numpy(np.argmax(x, -1))]
    if entry == "attend":
        Q, K = t(x), t(extra)
        n, tq, d = Q.shape
        tk, h = K.shape[1], 4
        q = Q.reshape(n, tq, h, d // h).transpose(1, 2)
        k = K.reshape(n, tk, h, d // h).transpose(1, 2)
        s = q @ k.transpose(-1, -2) / np.sqrt(d // h)
        mask = torch.arange(tk)[None, :] > torch.arange(tq)[:, None] + (tk - tq)
        s = s.masked_fill(mask, float("-inf"))
        return [(torch.softmax(s, -1) @ k).transpose(1, 2).reshape(n, tq, d)]
    raise KeyError(entry)


def load_norm_params():
    import os
    import tempfile
    from harness import write_safetensors
    path = os.path.join(tempfile.mkdtemp(), "par.safetensors")
    write_safetensors(path, {"gamma": gamma, "beta": beta})
    lib.load(path)


load_norm_params()
for n in (1, 3, 700, 3000):
    x = rng.standard_normal((n, 96)).astype(np.float32) * 2
    q = rng.standard_normal((max(1, n // 40), 16, 96)).astype(np.float32)
    k = rng.standard_normal((max(1, n // 40), 24, 96)).astype(np.float32)
    for entry in ("elementwise", "norms", "reductions", "attend"):
        args = (q, k) if entry == "attend" else (x,)
        results = {}
        for threads in (1, 2):
            lib.set_threads(threads)
            got = getattr(lib, entry)(*args)
            results[threads] = list(got) if isinstance(got, tuple) else [got]
        want = reference(entry, *args)
        for i, (a, b, w) in enumerate(zip(results[1], results[2], want)):
            if not np.array_equal(a, b):
                print(f"FAIL {entry}[{i}] N={n}: 1 and 2 threads differ, max "
                      f"{np.abs(a.astype(np.float64) - b).max()}")
                sys.exit(1)
            compare(f"{entry}[{i}] N={n}", b, w.numpy())
        print(f"ok {entry} N={n}: 2 threads == 1 thread == reference")
print("PASS parallel")
