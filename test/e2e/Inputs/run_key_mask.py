"""key_mask.mod against PyTorch (float64): masked attention with and without
causal, rows with no key left, and one sgd(lr = 1) step = minus the
gradient."""

import math
import sys

import numpy as np
import torch

from harness import modrt

torch.set_default_dtype(torch.float64)


def attention(q, k, v, heads, mask, causal=False):
    b, tq, d = q.shape
    tk = k.shape[1]
    dh = d // heads
    split = lambda x, t: x.reshape(b, t, heads, dh).transpose(1, 2)
    s = split(q, tq) @ split(k, tk).transpose(-1, -2) / math.sqrt(dh)
    allowed = (mask != 0)[:, None, None, :].expand(b, heads, tq, tk)
    if causal:
        t = torch.arange(tq)[:, None]
        j = torch.arange(tk)[None, :]
        allowed = allowed & (j <= t + (tk - tq))
    s = s.masked_fill(~allowed, float("-inf"))
    p = torch.nan_to_num(torch.softmax(s, -1), nan=0.0)
    o = p @ split(v, tk)
    return o.transpose(1, 2).reshape(b, tq, d)


m = modrt.load(sys.argv[1])
rng = np.random.default_rng(3)
for b, t in ((1, 1), (3, 5), (2, 0)):
    m.init(1)
    P = {k: torch.tensor(v.astype(np.float64), requires_grad=True)
         for k, v in m.state_dict().items()}
    x = rng.standard_normal((b, t, 8)).astype(np.float32)
    mask = (rng.random((b, t)) > 0.4).astype(np.int64)
    if b > 1 and t > 0:
        mask[1] = 0  # an example with every key padded
    mb = rng.random((b, t)) > 0.3
    y1, y2 = m.f(x, mask, mb)
    X = torch.tensor(x.astype(np.float64))
    w1 = attention(X @ P["wq"], X @ P["wk"], X, 2, torch.tensor(mask))
    w2 = attention(X @ P["wq"], X, X, 1, torch.tensor(mb), causal=True)
    assert np.max(np.abs(y1 - w1.detach().numpy()), initial=0.0) < 1e-5
    assert np.max(np.abs(y2 - w2.detach().numpy()), initial=0.0) < 1e-5
    target = rng.standard_normal((b, t, 8)).astype(np.float32)
    before = m.state_dict()
    if b * t:
        loss = m.step(x, mask, target)
        ref = torch.nn.functional.mse_loss(w1, torch.tensor(target.astype(np.float64)))
        ref.backward()
        assert abs(loss - ref.item()) < 1e-5 * max(1.0, ref.item())
        after = m.state_dict()
        for k in ("wq", "wk"):
            g = P[k].grad.numpy()
            assert np.max(np.abs(before[k] - g - after[k])) < 1e-4 * max(1.0, np.abs(g).max()), k
    print(f"ok B={b} T={t}")
# Where every allowed key scores -inf the result is NaN, as PyTorch's
# masked_fill(-inf) + softmax gives, never the masked keys' values; a query
# with no allowed key gets 0; finite allowed scores ignore masked keys.
q = np.zeros((2, 3, 8), np.float32)
q[:, :, 0] = 1.0
k = np.zeros((2, 3, 8), np.float32)
k[0, 0, 0] = -np.inf
v = np.repeat(np.arange(1.0, 4.0, dtype=np.float32)[None, :, None], 2, 0) * np.ones((2, 3, 8), np.float32)
mb = np.array([[True, False, False], [False, False, True]])
y1, y2 = m.raw(q, k, v, mb)
assert np.all(np.isnan(y1[0])) and np.all(np.isnan(y2[0])), (y1[0], y2[0])
assert np.all(y1[1] == 3.0), y1[1]
assert np.all(y2[1, :2] == 0.0) and np.all(y2[1, 2] == 3.0), y2[1]
print("ok allowed keys at -inf")
print("PASS key_mask")
