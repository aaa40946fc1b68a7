"""python/modrt (INTERFACE.md §4): loading any library through NAME_describe,
dyn sizes from array shapes, shape/dtype checks before the call, errors as
modrt.Error with the library's code and message."""

import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import modrt  # noqa: E402

lib, work = sys.argv[1], sys.argv[2]
m = modrt.load(lib)
assert m.name == "api", m.name
assert m.dyn_names == ["B", "T", "P"], m.dyn_names
assert m.dims == {"D": 4, "E": 3}, m.dims
assert [p["name"] for p in m.params] == ["proj.w", "proj.b", "scale", "table", "prefix"], m.params
assert m.params[0]["shape"] == (4, 4) and m.params[0]["trainable"] is False
assert m.params[2]["shape"] == () and m.params[2]["count"] == 1
assert sorted(m.entries) == ["both", "forward", "join", "pairs", "pool"], list(m.entries)

m.init(3)
x = np.random.default_rng(0).standard_normal((2, 5, 4)).astype(np.float32)
y = m.forward(x)
assert y.shape == (2, 5, 4) and y.dtype == np.float32
# dyn sizes come from the arrays: another B and T work on the same model.
assert m.forward(np.zeros((1, 1, 4), np.float32)).shape == (1, 1, 4)
assert m.forward(np.zeros((3, 0, 4), np.float32)).shape == (3, 0, 4)
# A tuple result comes back as a tuple; a dim with an offset (T + 2) is sized.
a, b = m.both(x)
assert a.shape == (2, 5, 4) and b.shape == (2, 7, 4), (a.shape, b.shape)
assert np.allclose(b[:, 2:, :], x)
# Integer inputs and a reduction.
p = m.pool(x, np.array([0, 2], np.int64))
assert p.shape == (2, 4), p.shape


def raises(exc, fn, *args, text=""):
    try:
        fn(*args)
    except exc as e:
        assert text in str(e), (text, str(e))
        return e
    raise AssertionError(f"{fn} did not raise {exc.__name__}")


raises(TypeError, m.forward, x.astype(np.float64), text="dtype float64, expected f32")
raises(ValueError, m.forward, x[0], text="rank 2, expected 3")
raises(ValueError, m.forward, np.zeros((2, 5, 3), np.float32), text="expected (2, 5, 4)")
raises(TypeError, m.forward, text="takes 1 arguments, got 0")
raises(ValueError, m.pool, x, np.array([0, 1, 2], np.int64), text="expected (2,)")
raises(TypeError, m.pool, x, np.array([0, 1], np.int32), text="expected i64")
assert m.pairs(np.ones((4, 4), np.float32)).shape == (4, 4)
raises(ValueError, m.pairs, np.ones((3, 4), np.float32),
       text="argument 'x' has 3 in dim 0, which is not 2 * B for a whole B")
e = raises(modrt.Error, m.pool, x, np.array([0, 7], np.int64), text="pool")
assert e.code == 1, e.code
e = raises(modrt.Error, m.load, os.path.join(work, "missing.safetensors"))
assert e.code == 2, e.code
e = raises(modrt.Error, m.set_threads, 0)
assert e.code == 1
m.set_threads(1)
# save/load round trip through the wrapper.
m.save(os.path.join(work, "w.safetensors"))
m2 = modrt.load(lib)
m2.load(os.path.join(work, "w.safetensors"))
# modrt.read_safetensors: what save wrote, by name, bit for bit.
read = modrt.read_safetensors(os.path.join(work, "w.safetensors"))
assert sorted(read) == sorted(m.state_dict()), sorted(read)
assert all(np.array_equal(read[k], v) for k, v in m.state_dict().items())
with open(os.path.join(work, "w.safetensors"), "rb") as f:
    raw = bytearray(f.read())
with open(os.path.join(work, "short.safetensors"), "wb") as f:
    f.write(raw[:-4])  # the last tensor's data cut short
raises(ValueError, modrt.read_safetensors, os.path.join(work, "short.safetensors"),
       text="do not hold")
assert np.array_equal(m2.forward(x), m.forward(x))
# P from P + T once T is bound by t.
xt = np.arange(2 * 5 * 4, dtype=np.float32).reshape(2, 5, 4)
tt = np.ones((2, 3, 4), np.float32)
assert np.array_equal(m.join(xt, tt), np.concatenate([xt, tt], axis=1))
raises(ValueError, m.join, xt, np.ones((3, 3, 4), np.float32), text="expected (2, 3, 4)")
# A file replaced after it was loaded: loading the path again opens the new
# library (dlopen alone would hand back the old one), the old model still runs.
cand = os.path.join(work, "libapi.so")
shutil.copyfile(lib, cand + ".tmp")
os.replace(cand + ".tmp", cand)
first = modrt.load(cand)
shutil.copyfile(os.path.join(work, "libapi8.so"), cand + ".tmp")
os.replace(cand + ".tmp", cand)
second = modrt.load(cand)
assert first.info.dims["D"] == 4 and second.info.dims["D"] == 8, (
    first.info.dims, second.info.dims)
first.init(3)
assert np.array_equal(first.forward(x), m2.forward(x))
assert second.forward(np.ones((1, 2, 8), np.float32)).shape == (1, 2, 8)
m.close()
m.close()  # idempotent
print("PASS modrt api")
