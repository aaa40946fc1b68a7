"""z_loss against torch.logsumexp(...)**2 on rows holding infinities, and
its gradient (one sgd(lr = 1.0) step) on finite rows."""
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
print("FAIL z_loss" if failed else "PASS z_loss")
