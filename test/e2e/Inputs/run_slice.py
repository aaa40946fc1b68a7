"""slice.mod against PyTorch (float64): values, the run-time bound check,
and the gradient through slices of a value and of a parameter."""

import sys

import numpy as np
import torch

from harness import modrt

m = modrt.load(sys.argv[1])
m.init(1)
rng = np.random.default_rng(0)


def same(got, want, what):
    want = np.asarray(want)
    assert got.shape == want.shape, (what, got.shape, want.shape)
    assert np.allclose(got, want, atol=1e-5), (what, np.abs(got - want).max())


def layer(w, x):
    d = x.shape[-1] // 2
    return (x[:, :d] * x[:, d:]) @ w


for b, t in ((2, 3), (3, 5), (1, 2)):
    h = rng.standard_normal((b, t, 8)).astype(np.float32)
    same(m.cls(h), h[:, 0], "cls")
    same(m.last(h), h[:, -1], "last")
    same(m.inner(h), h[:, 1:-1, -3:-1], "inner")
    same(m.picked(h), h[..., 1, 2:5], "picked")
    for k in range(t + 1):
        same(m.window(h, np.zeros(k, np.float32)), h[:, k:, 4:], f"window k={k}")
    for k in range(1, t + 1):
        same(m.tail(h, np.zeros(k, np.float32)), h[:, t - k], f"tail k={k}")
    if b >= 2:
        same(m.point(h), h[1, 0, 7], "point")
    same(m.whole(h), 2 * h, "whole")
    w, p = m["layer.w"].astype(np.float64), m["p"].astype(np.float64)
    same(m.pooled(h), layer(w, h[:, -1].astype(np.float64)) + p[1:2] + p[-1],
         "pooled")
    print(f"ok B={b} T={t}")

# Bounds outside the dim are errors (code 1), never clamped.
h = rng.standard_normal((2, 3, 8)).astype(np.float32)
for call, what in ((lambda: m.window(h, np.zeros(4, np.float32)), "K > T"),
                   (lambda: m.tail(h, np.zeros(0, np.float32)), "T - K = T"),
                   (lambda: m.cls(np.zeros((2, 0, 8), np.float32)), "T = 0"),
                   (lambda: m.point(np.zeros((1, 3, 8), np.float32)), "B = 1")):
    try:
        call()
        raise AssertionError(what + " must fail")
    except modrt.Error as e:
        assert e.code == 1, (what, e.code)
        print("error:", str(e).split(": ", 1)[1])

# One SGD step against PyTorch autograd.
h = rng.standard_normal((3, 4, 8)).astype(np.float32)
target = rng.standard_normal((3, 4)).astype(np.float32)
W = torch.tensor(m["layer.w"].astype(np.float64), requires_grad=True)
P = torch.tensor(m["p"].astype(np.float64), requires_grad=True)
x = torch.tensor(h.astype(np.float64))[:, -1]
y = (x[:, :4] * x[:, 4:]) @ W + P[1:2] + P[-1]
torch.nn.functional.mse_loss(y, torch.tensor(target.astype(np.float64))).backward()
w0, p0 = m["layer.w"], m["p"]
m.t(h, target)
assert np.abs(w0 - 0.5 * W.grad.numpy() - m["layer.w"]).max() < 1e-5
assert np.abs(p0 - 0.5 * P.grad.numpy() - m["p"]).max() < 1e-5
assert np.abs(P.grad.numpy()[0]).max() == 0 and np.abs(P.grad.numpy()[2]).max() == 0
print("ok gradient")
print("PASS slice")
