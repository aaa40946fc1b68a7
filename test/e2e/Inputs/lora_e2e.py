"""examples/lora.mod end to end: random weights through lora_load, forward at
several N against a NumPy float64 reference, max abs error < 1e-4."""

import ctypes
import sys

import numpy as np

from harness import check_close, modrt, random_params, read_safetensors, write_safetensors

lib_path, work = sys.argv[1], sys.argv[2]
m = modrt.load(lib_path)
assert m.name == "lora"
assert [p["name"] for p in m.params] == ["base.w", "base.b", "adapter.A", "adapter.B"]
assert m.dyn_names == ["N"] and m.dims == {"D": 1024}

rng = np.random.default_rng(1234)
params = random_params(m, rng)
params["base.b"] = rng.standard_normal(1024).astype(np.float32)
params["adapter.B"] = (rng.standard_normal((16, 1024)) * 0.2).astype(np.float32)
weights = f"{work}/lora_weights.safetensors"
write_safetensors(weights, params)
m.load(weights)

p = {k: v.astype(np.float64) for k, v in params.items()}
alpha, r = 32.0, 16
for n in (1, 7, 64):
    x = rng.standard_normal((n, 1024)).astype(np.float32)
    y = m.forward(x)
    xd = x.astype(np.float64)
    ref = xd @ p["base.w"] + p["base.b"] + (xd @ p["adapter.A"]) @ p["adapter.B"] * (alpha / r)
    check_close(f"forward N={n}", y, ref, atol=1e-4, rtol=0.0)

# N = 0: an empty batch is valid and returns an empty result.
y = m.forward(np.zeros((0, 1024), np.float32))
assert y.shape == (0, 1024)

# save() writes back exactly what was loaded.
m.save(f"{work}/saved.safetensors")
saved = read_safetensors(f"{work}/saved.safetensors")
for k, v in params.items():
    assert np.array_equal(saved[k], v), k

# Run-time errors: a negative dim is code 1 with a message naming the entry.
fn = m._lib.lora_forward
rc = fn(m._handle, -3, None, None)
assert rc == 1, rc
msg = m._lib.lora_error(m._handle).decode()
assert "forward" in msg and "N" in msg and "-3" in msg, msg
# A NULL buffer with elements is rejected, not dereferenced.
rc = fn(m._handle, 2, None, None)
assert rc == 1, rc
assert "x" in m._lib.lora_error(m._handle).decode()
# A bad weight file is code 3 and leaves the parameters as they were.
with open(f"{work}/bad.safetensors", "wb") as f:
    f.write(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
try:
    m.load(f"{work}/bad.safetensors")
    sys.exit("FAIL: loading a malformed file succeeded")
except modrt.Error as e:
    assert e.code == 3, e
x = rng.standard_normal((3, 1024)).astype(np.float32)
xd = x.astype(np.float64)
ref = xd @ p["base.w"] + p["base.b"] + (xd @ p["adapter.A"]) @ p["adapter.B"] * 2.0
check_close("forward after a failed load", m.forward(x), ref, atol=1e-4, rtol=0.0)

# init() is deterministic per seed.
a, b = modrt.load(lib_path), modrt.load(lib_path)
a.init(7)
b.init(7)
a.save(f"{work}/a.safetensors")
b.save(f"{work}/b.safetensors")
sa, sb = read_safetensors(f"{work}/a.safetensors"), read_safetensors(f"{work}/b.safetensors")
assert all(np.array_equal(sa[k], sb[k]) for k in sa)
assert np.all(sa["adapter.B"] == 0) and np.all(sa["base.b"] == 0)
assert abs(float(sa["adapter.A"].std()) - 0.02) < 0.002
bound = np.sqrt(6.0 / 2048)
assert float(np.abs(sa["base.w"]).max()) <= bound
print("PASS lora e2e")
