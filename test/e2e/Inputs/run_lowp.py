"""lowp.mod against PyTorch: every op computed in f32 from the f16/bf16
operands and rounded to the result type (round to nearest even), `@` and
reductions accumulated in f32 (LANGUAGE.md §3); bf16 crosses the Python
boundary as uint16 bits, f16 as NumPy float16."""

import os
import sys
import tempfile

import numpy as np
import torch

from harness import modrt

m = modrt.load(sys.argv[1])
m.init(5)
BF, HF, F = torch.bfloat16, torch.float16, torch.float32


def bits(t):  # bf16 tensor -> uint16 array
    return t.view(torch.int16).numpy().view(np.uint16)


def unbits(u):  # uint16 array -> bf16 tensor
    return torch.from_numpy(np.ascontiguousarray(u).view(np.int16).copy()).view(BF)


def r(t, dtype):  # round an f32 result to dtype, back in f32
    return t.to(dtype).to(F)


def same(got, want, what, ulps=0):
    got, want = got.to(F), want.to(F)
    assert got.shape == want.shape, (what, got.shape, want.shape)
    diff = (got - want).abs()
    tol = ulps * want.abs().clamp(min=1e-3) * 2.0 ** -7
    assert bool((diff <= tol).all()), (what, diff.max().item())
    print("ok", what)


# modrt's bf16 helpers round like PyTorch (ties to even) and read back
# exactly.
v = torch.randn(4096) * 3
v[:3] = torch.tensor([1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8, -0.0])  # ties, -0
# NaNs whose payload rounding would carry into the exponent (modrt made
# them 0 or inf), infinities.
v[3:8] = torch.from_numpy(np.array([0x7FFFFFFF, 0xFFFFFFFF, 0x7F800001, 0x7F800000,
                                    0xFF800000], np.uint32).view(np.float32))
got = modrt.to_bf16(v.numpy())
nan = np.isnan(v.numpy())
assert np.array_equal(got[~nan], bits(v.to(BF))[~nan])
assert np.isnan(modrt.from_bf16(got[nan])).all(), got[nan]  # any NaN's bits
assert np.array_equal(modrt.from_bf16(bits(v.to(BF))), v.to(BF).to(F).numpy(), equal_nan=True)
print("ok modrt.to_bf16 / from_bf16")

# Initialisers draw in f32 and round: the bf16 table is the f32 draw rounded.
m32 = modrt.load(sys.argv[2])
m32.init(5)
assert np.array_equal(bits(torch.from_numpy(m32["table"]).to(BF)), m["table"])
print("ok init rounds the f32 draw")

torch.manual_seed(0)
P = {k: (unbits(m[k]).to(F) if m[k].dtype == np.uint16 else torch.from_numpy(m[k].astype(np.float32)))
     for k in [p["name"] for p in m.params]}
ids = torch.randint(0, 50, (2, 5))
e = P["table"][ids]
same(unbits(m.emb(ids.numpy())),
     torch.nn.functional.layer_norm(e, (16,), P["g"], P["b"], 1e-5).to(BF), "embedding + layernorm")

x = torch.randn(2, 5, 16).to(BF)
xf = x.to(F)
q = xf.view(2, 5, 2, 8).transpose(1, 2)
a = torch.softmax(q @ q.transpose(-1, -2) / 8 ** 0.5, -1) @ q
same(unbits(m.att(bits(x))), a.transpose(1, 2).reshape(2, 5, 16).to(BF), "attention")

x = torch.randn(6, 16).to(BF)
xf = x.to(F)
want = r(r(torch.softmax(xf, -1), BF) + r(xf.mean(-1, keepdim=True), BF), BF)
same(unbits(m.soft(bits(x))), want, "softmax + mean")

# Products rounded to bf16 exactly as PyTorch rounds them (ties to even),
# subnormal and overflowing ones too; NaN stays NaN.
x = torch.randn(6, 16).to(BF)
y = torch.randn(6, 16).to(BF)
x[0, :4] = torch.tensor([1e-20, -3e-21, 2.0 ** -64, 3e38])
y[0, :4] = torch.tensor([1e-19, 7e-19, 2.0 ** -64, 2.0])
x[1, :3] = torch.tensor([1.0 + 2.0 ** -7, 1.0 + 2.0 ** -7, float("nan")])
y[1, :3] = torch.tensor([1.0 + 2.0 ** -7, 1.0 + 3 * 2.0 ** -7, 1.0])
got = unbits(m.product(bits(x), bits(y)))
want = (x.to(F) * y.to(F)).to(BF)
assert bool(torch.isnan(got[1, 2])), got[1, 2]
got[1, 2] = want[1, 2] = 0
assert np.array_equal(bits(got), bits(want)), (got, want)
assert bool(torch.isinf(got[0, 3])) and 0 < got[0, 2].abs().item() < 2.0 ** -126
print("ok products round like PyTorch: subnormal, overflow, NaN")

# A fused chain rounds after every op, as PyTorch's bf16 ops do.
x = torch.randn(64, 16).to(BF)
y = torch.randn(64, 16).to(BF)
y[0, 0] = 1.8984375
x[0, 0] = 1.8984375
want = x * y + x / y - 1.5
assert np.array_equal(bits(unbits(m.chain(bits(x), bits(y)))), bits(want))
print("ok a chain of ops rounds after each")

x = torch.randn(6, 16).to(BF)
c = torch.randn(16, 16).to(BF)
want = r(x.to(F) @ r(c.to(F) * 2.0, BF), BF)
same(unbits(m.scaled(bits(x), bits(c))), want, "x @ (c * 2): a bf16 activation as the GEMM's B", ulps=1)

# merge over bf16 experts: row r runs gelu(x @ W_r), W_r = sum_e w[r, e] W_e
# in f32 rounded to bf16 once; a row with all-zero weights gets 0.
x = torch.randn(5, 16).to(BF)
mw = torch.rand(5, 3)
mw[1] = torch.tensor([0.0, 1.0, 0.0])
mw[3] = 0.0
Ws = [unbits(m[f"experts.{e}.w"]).to(F) for e in range(3)]
want = torch.zeros(5, 16)
for i in range(5):
    if bool((mw[i] != 0).any()):
        Wm = (mw[i, 0] * Ws[0] + mw[i, 1] * Ws[1] + mw[i, 2] * Ws[2]).to(BF).to(F)
        want[i] = r(torch.nn.functional.gelu(r(x[i:i + 1].to(F) @ Wm, BF)), BF)[0]
same(unbits(m.mixed(bits(x), mw.numpy())), want.to(BF), "merge of bf16 experts", ulps=1)

x = torch.randn(6, 16).to(BF)
xf = x.to(F)
h16, h32, i32, back = m.casts(bits(x))
same(torch.from_numpy(h16), xf.to(HF), "bf16 -> f16")
same(torch.from_numpy(h32), xf, "bf16 -> f32")
assert np.array_equal(i32, r(xf * 4.0, BF).to(torch.int32).numpy()), "bf16 -> i32"
print("ok bf16 -> i32 truncates")
same(unbits(back), xf.to(HF).to(F).to(BF), "bf16 -> f16 -> bf16")

outs = [r(torch.nn.functional.gelu(r(xf @ P[f"experts.{i}.w"], BF)), BF) for i in range(3)]
same(unbits(m.moe(bits(x))), r(sum(outs) / 3, BF), "all + mean over bf16 experts")

x3 = torch.randn(2, 5, 16).to(BF)
same(unbits(m.slice(bits(x3))), x3[:, -1].to(F) * 0.5, "slice")

xh = torch.randn(4, 16).to(HF)
xhf = xh.to(F)
want = r(r(r(torch.relu(xhf) @ P["h"], HF) * 2.0, HF) + r(torch.exp(xhf[:, :4]), HF), HF)
same(torch.from_numpy(m.small(xh.numpy())), want, "f16 relu @ * + exp")
x = torch.randn(6, 16).to(BF)
xf = x.to(F)
n = r(torch.sqrt(r(r(xf * xf, BF).sum(-1, keepdim=True), BF)), BF)
want = r(xf / r(torch.maximum(n, torch.tensor(1e-12).to(BF).to(F)), BF), BF)
same(unbits(m.unit(bits(x))), want, "x / maximum(norm, 1e-12)", ulps=1)


def expert(i, v):
    return r(torch.nn.functional.gelu(r(v.to(F) @ P[f"experts.{i}.w"], BF)), BF)


x = torch.randn(7, 16).to(BF)
logits = torch.randn(7, 3)
top = logits.topk(2, dim=-1)
wts = torch.softmax(top.values, -1)
want = torch.stack([sum(wts[n, k] * expert(int(top.indices[n, k]), x[n:n + 1])[0]
                        for k in range(2)) for n in range(7)])
same(unbits(m.top(bits(x), logits.numpy())), want.to(BF), "top-2 over bf16 rows")
x3 = torch.randn(3, 4, 16).to(BF)
ids = torch.tensor([2, 0, 2], dtype=torch.int32)
want = torch.stack([expert(int(ids[b]), x3[b]) for b in range(3)])
same(unbits(m.by_task(bits(x3), ids.numpy())), want, "per-example task routing of bf16")


def hexpert(i, v):
    return r(torch.nn.functional.gelu(r(v.to(F) @ P[f"hexperts.{i}.w"], HF)), HF)


xh = torch.randn(7, 16).to(HF)
want = torch.stack([sum(wts[n, k] * hexpert(int(top.indices[n, k]), xh[n:n + 1])[0]
                        for k in range(2)) for n in range(7)])
same(torch.from_numpy(m.htop(xh.numpy(), logits.numpy())), want.to(HF), "top-2 over f16 rows")
xh3 = torch.randn(3, 4, 16).to(HF)
want = torch.stack([hexpert(int(ids[b]), xh3[b]) for b in range(3)])
same(torch.from_numpy(m.htask(xh3.numpy(), ids.numpy())), want, "per-example task routing of f16")
# Weight files keep the dtype: bf16 tensors do not load into f32 parameters
# (or the reverse) by silent conversion.
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "w.safetensors")
    for source, target, want in ((m, m32, "dtype BF16 in file, expected F32"),
                                 (m32, m, "dtype F32 in file, expected BF16")):
        source.save(path)
        try:
            target.load(path)
            raise AssertionError(want + ": the load must fail")
        except modrt.Error as e:
            assert e.code == 3 and want in str(e), str(e)
            print("error:", str(e).split(": ", 1)[1])
print("PASS lowp")
