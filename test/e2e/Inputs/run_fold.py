"""Folded weights (-O2) compute what the unfolded library (-O0) and NumPy
compute, after load, after init, after a second load and after a failed one
(the runtime recomputes W' = W + s A B whenever the parameters change).

    run_fold.py LIB_O2 LIB_O0 WORKDIR
"""
import os
import sys

import numpy as np

from checks import compare
from harness import modrt, write_safetensors

folded, plain = modrt.load(sys.argv[1]), modrt.load(sys.argv[2])
work = sys.argv[3]
rng = np.random.default_rng(21)


def random_params(scale):
    return {p["name"]: (rng.standard_normal(p["shape"]) * scale).astype(np.float32)
            for p in folded.params}


def check(label, P=None):
    x = rng.standard_normal((9, 32)).astype(np.float32)
    z = rng.standard_normal((9, 32)).astype(np.float32)
    for entry in folded.entries:
        args = (x, z) if entry == "two_inputs" else (x,)
        compare(f"{label} {entry}", getattr(folded, entry)(*args), getattr(plain, entry)(*args))
    if P is not None:
        X = x.astype(np.float64)
        p = {k: v.astype(np.float64) for k, v in P.items()}
        lora = lambda a: (X @ p[f"{a}.A"]) @ p[f"{a}.B"] * 0.5
        base = X @ p["base.w"] + p["base.b"]
        compare(f"{label} two vs numpy", folded.two(x), base + lora("a1") + lora("a2"))
        compare(f"{label} scaled vs numpy", folded.scaled(x), (base + lora("a1")) * 3)
        compare(f"{label} wide_only vs numpy", folded.wide_only(x), lora("wide"))
    print(f"ok {label}: folded == unfolded")


def load_both(name, scale):
    params = random_params(scale)
    path = os.path.join(work, name)
    write_safetensors(path, params)
    for m in (folded, plain):
        m.load(path)
    return params


first = load_both("first.safetensors", 0.3)
check("after load", first)

for m in (folded, plain):
    m.init(5)
check("after init")

second = load_both("second.safetensors", 0.2)
check("after a second load", second)

bad = os.path.join(work, "bad.safetensors")
with open(bad, "wb") as f:
    f.write(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
for m in (folded, plain):
    try:
        m.load(bad)
        raise SystemExit("FAIL: a bad file loaded")
    except modrt.Error as e:
        assert e.code == 3, e
check("after a failed load", second)

# The derived weight is not part of the state dict.
folded.save(os.path.join(work, "saved.safetensors"))
names = [p["name"] for p in folded.params]
assert not any(n.startswith("__fold") for n in names), names
with open(os.path.join(work, "saved.safetensors"), "rb") as f:
    assert b"__fold" not in f.read()
print("ok the state dict has no derived weight")
print("PASS fold")
