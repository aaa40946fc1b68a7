"""examples/adapter_anywhere.mod against PyTorch (float64): one `...`
adapter used directly, per token and per example, the CLS slice, and one
AdamW step of the train block."""

import sys

import numpy as np
import torch

from harness import modrt

m = modrt.load(sys.argv[1])
m.init(7)
rng = np.random.default_rng(1)
# Non-trivial adapters: `up` starts at zero.
for p in m.params:
    if not p["name"].endswith("ln_g"):
        m[p["name"]] = (rng.standard_normal(p["shape"]) * 0.2).astype(np.float32)
P = {p["name"]: torch.tensor(m[p["name"]].astype(np.float64)) for p in m.params}


def adapter(prefix, h, params=P):
    g, b = params[prefix + "ln_g"], params[prefix + "ln_b"]
    z = torch.nn.functional.layer_norm(h, h.shape[-1:], g, b, eps=1e-5)
    return h + torch.relu(z @ params[prefix + "down"]) @ params[prefix + "up"]


def t64(a):
    return torch.tensor(np.asarray(a, np.float64))


def same(got, want, what):
    want = want.detach().numpy()
    assert got.shape == want.shape, (what, got.shape, want.shape)
    err = np.abs(got - want).max() if want.size else 0.0
    assert err < 1e-5, (what, err)


for b, t in ((2, 3), (3, 1), (0, 2)):
    h = rng.standard_normal((b, t, 32)).astype(np.float32)
    ids = rng.integers(0, 3, size=b).astype(np.int32)
    same(m.encode(h), adapter("shared.", t64(h)), "encode")
    want = torch.stack([adapter(f"tasks.{i}.", adapter("shared.", t64(h[r])))
                        for r, i in enumerate(ids)]) if b else torch.zeros((0, t, 32))
    same(m.per_example(h, ids), want, "per_example")
    same(m.classify(h, ids), want[:, 0] @ P["head"], "classify")
    x = h.reshape(-1, 32)
    tok = rng.integers(0, 3, size=len(x)).astype(np.int32)
    want = torch.stack([adapter(f"tasks.{i}.", t64(x[r]))
                        for r, i in enumerate(tok)]) if len(x) else torch.zeros((0, 32))
    same(m.per_token(x, tok), want, "per_token")
    print(f"ok B={b} T={t}")

# One AdamW step (lr 0.01, PyTorch's defaults otherwise) on the task
# adapters; the shared adapter and the head are not updated.
h = rng.standard_normal((4, 5, 32)).astype(np.float32)
ids = np.array([0, 2, 2, 0], np.int32)
labels = np.array([1, 3, 0, 2], np.int32)
Q = {k: v.clone().requires_grad_(k.startswith("tasks.")) for k, v in P.items()}
z = torch.stack([adapter(f"tasks.{i}.", adapter("shared.", t64(h[r]), Q), Q)
                 for r, i in enumerate(ids)])
loss = torch.nn.functional.cross_entropy(z[:, 0] @ Q["head"], torch.tensor(labels).long())
loss.backward()
trained = [k for k in Q if k.startswith("tasks.")]
# modc steps every listed parameter, with a zero gradient where the loss does
# not reach it (task 1 here): PyTorch's step on zero-tensor gradients.
assert Q["tasks.1.down"].grad is None
for k in trained:
    if Q[k].grad is None:
        Q[k].grad = torch.zeros_like(Q[k])
opt = torch.optim.AdamW([Q[k] for k in trained], lr=0.01)
opt.step()
before = {k: m[k] for k in P}
got = m.fit(h, ids, labels)
assert abs(got - loss.item()) < 1e-5, (got, loss.item())
for k in P:
    want = Q[k].detach().numpy() if k in trained else before[k]
    assert np.abs(m[k] - want).max() < 1e-5, (k, np.abs(m[k] - want).max())
print("ok adamw step")
print("PASS adapter_anywhere")
