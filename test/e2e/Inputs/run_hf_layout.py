"""hf_layout.mod against torch.nn.functional.linear (float64)."""

import sys

import numpy as np
import torch

from harness import modrt

m = modrt.load(sys.argv[1])
m.init(2)
rng = np.random.default_rng(0)
x = rng.standard_normal((7, 6)).astype(np.float32)
t = rng.standard_normal((7, 5)).astype(np.float32)
P = {k: torch.tensor(v.astype(np.float64), requires_grad=True)
     for k, v in m.state_dict().items()}
X = torch.tensor(x.astype(np.float64))
y = torch.nn.functional.linear(X, P["weight"], P["bias"])
assert np.max(np.abs(m.forward(x) - y.detach().numpy())) < 1e-5
before = m.state_dict()
loss = m.step(x, t)
ref = torch.nn.functional.mse_loss(torch.tanh(y), torch.tensor(t.astype(np.float64)))
ref.backward()
assert abs(loss - ref.item()) < 1e-5
after = m.state_dict()
for k in before:
    assert np.max(np.abs(before[k] - P[k].grad.numpy() - after[k])) < 1e-5, k
print("PASS hf_layout")
