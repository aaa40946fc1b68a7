"""z_loss against torch.logsumexp(...)**2 on rows holding infinities, mse
against torch's on operands that broadcast, and their gradients (one
sgd(lr = 1.0) step changes a parameter by minus its gradient)."""
import sys

import numpy as np
import torch

from harness import modrt

m = modrt.load(sys.argv[1])
m.init(0)
inf = np.inf
failed = 0
cases = [
    [[-inf] * 4, [0, 1, 2, 3]],
    [[inf, 0, 1, 2], [0, 1, 2, 3]],
    [[-inf, -inf, 1, 2], [-inf] * 4],
    [[inf, -inf, 0, 0], [1, 2, 3, 4]],
    [[1, 2, 3, 4], [-1, 0, 0.5, 3]],
]
for c in cases:
    x = np.array(c, dtype=np.float32)
    got = float(m.f(x))
    ref = torch.logsumexp(torch.tensor(x, dtype=torch.float64), -1)
    want = float((ref ** 2).mean())
    ok = got == want or (np.isfinite(want) and abs(got - want) <= 1e-5 * abs(want))
    failed += not ok
    print("ok" if ok else "FAIL", c, got, want)

x = np.array([[1, 2, 3, 4], [-1, 0, 0.5, 3], [0.3, -2, 1, 1]], dtype=np.float32)
w0 = np.array(m.state_dict()["w"]).copy()
loss = float(m.fit(x))
w1 = np.array(m.state_dict()["w"])
wt = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
ref = (torch.logsumexp(torch.tensor(x, dtype=torch.float64) * wt, -1) ** 2).mean()
ref.backward()
err = np.abs((w0 - w1) - wt.grad.numpy()).max()
ok = err < 1e-4 and abs(loss - float(ref)) < 1e-4 * abs(float(ref))
failed += not ok
print("ok gradient" if ok else "FAIL gradient", err, loss, float(ref))

def t64(a):
    return torch.tensor(a, dtype=torch.float64)


rng = np.random.default_rng(1)
a = rng.standard_normal((5, 4)).astype(np.float32)
b = rng.standard_normal(4).astype(np.float32)
a1 = rng.standard_normal((5, 1)).astype(np.float32)
for name, got, want in [
        ("mse [R, C] - [C]", m.m_row(a, b), ((t64(a) - t64(b)) ** 2).mean()),
        ("mse [R, 1] - [R, C]", m.m_col(a1, a), ((t64(a1) - t64(a)) ** 2).mean())]:
    ok = abs(float(got) - float(want)) <= 1e-5 * abs(float(want))
    failed += not ok
    print("ok" if ok else "FAIL", name, float(got), float(want))
v0 = np.array(m.state_dict()["v"]).copy()
loss = float(m.fit_mse(a, a1))
v1 = np.array(m.state_dict()["v"])
vt = t64(v0).requires_grad_()
ref = ((t64(a) * vt - t64(a1)) ** 2).mean()
ref.backward()
err = np.abs((v0 - v1) - vt.grad.numpy()).max()
ok = err < 1e-4 and abs(loss - float(ref)) < 1e-4 * abs(float(ref))
failed += not ok
print("ok mse gradient" if ok else "FAIL mse gradient", err, loss, float(ref))
print("FAIL losses" if failed else "PASS losses")
