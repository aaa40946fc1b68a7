"""Training f16/bf16 parameters (test/e2e/train_half.test) against PyTorch
in float64 with the program's roundings (each op's result rounded to its
type, the gradient passing straight through a rounding): one sgd(lr = 1)
step moves each parameter by minus its gradient, rounded to its type; 20
AdamW steps track an f32 AdamW whose state is f32 and whose updated
weights are rounded to bf16 each step; a frozen half parameter stays
bit-identical."""

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "python"))
import modrt  # noqa: E402

BF, HF, F, D = torch.bfloat16, torch.float16, torch.float32, torch.float64


def to_torch(m, name):
    v = m[name]
    if v.dtype == np.uint16:  # bf16 bits
        return torch.from_numpy(v.view(np.int16).copy()).view(BF)
    return torch.from_numpy(v.copy())


def r(t, dtype):  # round a float64 value to dtype, gradient straight through
    return t + (t.detach().to(dtype).to(D) - t.detach())


def forward(x, w, b, head):
    h = r(r(x @ w, BF) + b, BF)
    return r(r(torch.tanh(h), BF) @ head, BF)


def loss_and_grads(m, x, t):
    w = to_torch(m, "w").to(D).requires_grad_()
    b = to_torch(m, "b").to(D).requires_grad_()
    head = to_torch(m, "head").to(D)
    loss = ((forward(x.to(D), w, b, head) - t.to(D)) ** 2).mean()
    loss.backward()
    return loss.item(), w.grad, b.grad


def ulp(v, dtype):  # spacing of dtype at v
    bits = 8 if dtype == BF else 11
    e = torch.floor(torch.log2(v.abs().clamp(min=2.0 ** -120)))
    return 2.0 ** (e - bits + 1)


def moved_by(before, after, grad, dtype, what):
    # after = round(before - grad): the move is -grad within half an ulp of
    # after, plus the differences of gradients computed through rounded
    # values (the adjoints of half values are half): 2% of the largest.
    step = before.to(D) - after.to(D)
    tol = 0.5 * ulp(after.to(D), dtype) + 0.02 * grad.abs().max() + 1e-6
    bad = (step - grad).abs() > tol
    assert not bool(bad.any()), (what, (step - grad).abs().max().item())
    assert bool((after != before).any()), what
    print("ok", what)


m = modrt.load(sys.argv[1])
m.init(7)
g = torch.Generator().manual_seed(0)
x = torch.randn(12, 16, generator=g).to(BF)
t = torch.randn(12, 16, generator=g) * 0.5
xb = x.view(torch.int16).numpy().view(np.uint16)

head0 = m["head"].copy()
w0, b0 = to_torch(m, "w"), to_torch(m, "b")
want_loss, gw, gb = loss_and_grads(m, x, t)
got_loss = m.fit(xb, t.numpy())
assert abs(got_loss - want_loss) <= 1e-2 * want_loss, (got_loss, want_loss)
moved_by(w0, to_torch(m, "w"), gw, BF, "bf16 w: sgd step is minus the gradient")
moved_by(b0, to_torch(m, "b"), gb, BF, "bf16 b: sgd step is minus the gradient")
assert np.array_equal(m["head"], head0)
print("ok frozen bf16 head bit-identical")

# AdamW: the reference keeps f32 moments, updates in f32 and rounds.
m.init(7)
w, b = to_torch(m, "w"), to_torch(m, "b")
state = {k: (torch.zeros(v.shape), torch.zeros(v.shape)) for k, v in (("w", w), ("b", b))}
worst = 0.0
for step in range(1, 21):
    wd = w.to(D).requires_grad_()
    bd = b.to(D).requires_grad_()
    loss = ((forward(x.to(D), wd, bd, to_torch(m, "head").to(D)) - t.to(D)) ** 2).mean()
    loss.backward()
    got = m.fit_adamw(xb, t.numpy())
    worst = max(worst, abs(got - loss.item()) / loss.item())
    new = {}
    for k, p, gr in (("w", w, wd.grad), ("b", b, bd.grad)):
        mo, v = state[k]
        gr = gr.to(F)
        pf = p.to(F) * (1 - 1e-2 * 1e-2)
        mo.mul_(0.9).add_(0.1 * gr)
        v.mul_(0.999).add_(0.001 * gr * gr)
        denom = v.sqrt() / (1 - 0.999 ** step) ** 0.5 + 1e-8
        new[k] = (pf - 1e-2 / (1 - 0.9 ** step) * mo / denom).to(BF)
    w, b = new["w"], new["b"]
    if step == 1:
        first = loss.item()
assert worst <= 2e-2, worst
assert got < 0.9 * first, (got, first)
print("ok 20 adamw steps of bf16 parameters track the reference")

# f16 parameters.
a0, c0 = to_torch(m, "a"), to_torch(m, "c")
xf = torch.randn(12, 16, generator=g)
ad, cd = a0.to(D).requires_grad_(), c0.to(D).requires_grad_()
y = r(r(r(xf.to(D), HF) @ ad, HF) @ cd, HF)
((y - t.to(D)) ** 2).mean().backward()
m.fit_half(xf.numpy(), t.numpy())
moved_by(a0, to_torch(m, "a"), ad.grad, HF, "f16 a: sgd step is minus the gradient")
moved_by(c0, to_torch(m, "c"), cd.grad, HF, "f16 c: sgd step is minus the gradient")
# A bf16 bias's gradient over 4096 rows, summed in f32: from zero, one
# sgd(lr = 1) step gives minus the gradient rounded once.
xs = torch.randn(4096, 16, generator=g).to(BF)
ts = torch.randn(4096, 16, generator=g) + 0.25
bias = torch.zeros(16, dtype=D, requires_grad=True)
((r(xs.to(D) + bias, BF) - ts.to(D)) ** 2).mean().backward()
m.fit_bias(xs.view(torch.int16).numpy().view(np.uint16), ts.numpy())
got = to_torch(m, "bias").to(D)
want = (-bias.grad).to(BF).to(D)
assert bool(((got - want).abs() <= ulp(want, BF) + 0.005 * want.abs()).all()), (got, want)
print("ok bf16 bias: its gradient over 4096 rows is summed in f32")
# merge of bf16 experts: row i runs tanh(x_i @ sum_e mix[i, e] W_e).
mix = torch.rand(10, 3, generator=g)
xm = torch.randn(10, 16, generator=g).to(BF)
tm = torch.randn(10, 16, generator=g) * 0.5
W0 = [to_torch(m, f"experts.{e}.w") for e in range(3)]
Ws = [w.to(D).requires_grad_() for w in W0]
ys = [r(torch.tanh(r(xm[i:i + 1].to(D) @ sum(mix[i, e].double() * Ws[e] for e in range(3)), BF)), BF)
      for i in range(10)]
((torch.cat(ys) - tm.to(D)) ** 2).mean().backward()
m.fit_merge(xm.view(torch.int16).numpy().view(np.uint16), mix.numpy(), tm.numpy())
for e in range(3):
    moved_by(W0[e], to_torch(m, f"experts.{e}.w"), Ws[e].grad, BF,
             f"merge of bf16 experts: expert {e} moved by minus its gradient")
# Embedding tables in bf16 and f16: the rows' gradients (repeated ids
# summed) move each table.
ids = torch.tensor([3, 1, 3, 9, 0, 3], dtype=torch.int64)
te = torch.randn(6, 16, generator=g)
T0, H0 = to_torch(m, "table"), to_torch(m, "htable")
Td, Hd = T0.to(D).requires_grad_(), H0.to(D).requires_grad_()
((Td[ids] + Hd[ids] - te.to(D)) ** 2).mean().backward()
m.fit_table(ids.numpy(), te.numpy())
moved_by(T0, to_torch(m, "table"), Td.grad, BF, "bf16 embedding table: sgd step is minus the gradient")
moved_by(H0, to_torch(m, "htable"), Hd.grad, HF, "f16 embedding table: sgd step is minus the gradient")
# Losses of bf16 tensors: the same loss and step as with explicit casts.
tb = t.to(BF)
state = m.state_dict()
loss_cast = m.fit(xb, tb.to(torch.float32).numpy())
after_cast = m.state_dict()
m.load_state_dict(state)
loss_direct = m.fit_direct(xb, tb.view(torch.int16).numpy().view(np.uint16))
assert loss_cast == loss_direct, (loss_cast, loss_direct)
assert all(np.array_equal(after_cast[k], v) for k, v in m.state_dict().items())
labels = torch.randint(0, 16, (12,), generator=g).numpy()
m.load_state_dict(state)
loss_cast = m.fit_logits_cast(xb, labels)
after_cast = m.state_dict()
m.load_state_dict(state)
loss_direct = m.fit_logits(xb, labels)
assert loss_cast == loss_direct, (loss_cast, loss_direct)
# Three losses of y: each widens y itself, so their gradients may round to
# bf16 before they add up (as three .float() in PyTorch): within an ulp.
for k, v in m.state_dict().items():
    if v.dtype == np.uint16:
        a, b = modrt.from_bf16(after_cast[k]), modrt.from_bf16(v)
        assert np.allclose(a, b, rtol=2 ** -6, atol=2 ** -7 * np.abs(a).max()), k
print("ok losses of bf16 tensors equal those of their f32 casts")
print("PASS half")
