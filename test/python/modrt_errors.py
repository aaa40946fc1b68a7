"""python/modrt: the checks that keep a model and its files intact
(INTERFACE.md §4), each once a bug."""

import copy
import json
import os
import pickle
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import modrt  # noqa: E402

lib, dunder_lib, work = sys.argv[1], sys.argv[2], sys.argv[3]


def raises(exc, fn, *args, text=""):
    try:
        fn(*args)
    except exc as e:
        assert text in str(e), f"{fn}: {e!r} does not say {text!r}"
        return e
    raise AssertionError(f"{fn} did not raise {exc.__name__}")


def same(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


m = modrt.load(lib)
m.init(3)
before = m.state_dict()

# load_state_dict is all or nothing: a bool byte 2 in the last tensor is
# refused before the ones before it are written.
bad = {k: np.ones_like(v) for k, v in before.items()}
bad["flags"] = np.array([0, 2, 1], np.uint8).view(np.bool_)
raises(ValueError, m.load_state_dict, bad, text="flags: element 1 is the byte 2")
assert same(m.state_dict(), before)

# A set that fails for any other reason puts back what was written.
real = m._fns["set_param"]


def failing_set(handle, name, data):
    return 1 if name == b"ids" else real(handle, name, data)


m._fns["set_param"] = failing_set
good = {k: np.ones_like(v) for k, v in before.items()}
raises(modrt.Error, m.load_state_dict, good)
m._fns["set_param"] = real
assert same(m.state_dict(), before)
m.load_state_dict(good)
assert same(m.state_dict(), good)
m.load_state_dict(before)

# A Model owns its C instance: no copy shares it (a double free).
for fn in (copy.copy, copy.deepcopy, pickle.dumps):
    raises(TypeError, fn, m, text="cannot be copied")
assert np.array_equal(m["base.w"], before["base.w"])

# bf16 helpers keep the shape, rank 0 included.
for x in (np.float32(3.0), np.array(-1.5, np.float64), np.float32([[1.0, 2.0]])):
    b = modrt.to_bf16(x)
    assert b.shape == np.shape(x) and b.dtype == np.uint16, (x, b)
    f = modrt.from_bf16(b)
    assert f.shape == np.shape(x) and f.dtype == np.float32, (x, f)
    assert np.array_equal(f, np.asarray(x, np.float32)), (x, f)
assert modrt.from_bf16(np.array(0x40C0, np.uint16)).shape == ()
assert float(modrt.from_bf16(np.uint16(0x40C0))) == 6.0

# A NUL in a path would cut it short in C: refused like open() does.
cut = os.path.join(work, "cut.safetensors")
for method in (m.save, m.load, m.save_optimizer, m.load_optimizer):
    raises(ValueError, method, cut + "\0.tmp", text="embedded null byte")
    raises(ValueError, method, os.fsencode(cut) + b"\0.tmp", text="embedded null byte")
assert not os.path.exists(cut)
raises(ValueError, modrt.load, lib + "\0x", text="embedded null byte")
raises(ValueError, modrt.load, os.fsencode(lib) + b"\0x", text="embedded null byte")

# Symbols are looked up as items (ctypes' getattr refuses dunder names);
# an entry named like a dunder is reached through entry().
d = modrt.load(dunder_lib)
assert d.info.name == "dm"
assert np.array_equal(d.entry("__f__")(np.float32([1, 2])), np.float32([2, 4]))
e = raises(modrt.Error, d.set_threads, 0)
assert e.code == 1 and "(code 1" in str(e) and not str(e).startswith("failed"), e

# read_safetensors validates each entry and names the tensor.
st = os.path.join(work, "bad.safetensors")


def read(header, data=b"\0" * 8):
    raw = json.dumps(header).encode() if not isinstance(header, bytes) else header
    with open(st, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + data)
    return modrt.read_safetensors(st)


ok = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
assert read({"a": ok})["a"].shape == (2,)
assert read({"a": dict(ok, shape=[0, 3], data_offsets=[8, 8])})["a"].shape == (0, 3)
for field, value, text in [("shape", "12", "shape '12'"), ("shape", [2.7], "shape [2.7]"),
                           ("shape", [True, 2], "shape [True, 2]"), ("shape", [-2], "shape [-2]"),
                           ("shape", None, "shape None"), ("dtype", "F8", "unknown dtype 'F8'"),
                           ("dtype", ["F32"], "unknown dtype"),
                           ("data_offsets", [0], "data_offsets [0]"),
                           ("data_offsets", [0, 8.0], "data_offsets [0, 8.0]"),
                           ("data_offsets", "08", "data_offsets '08'"),
                           ("data_offsets", [False, 8], "data_offsets [False, 8]"),
                           ("data_offsets", [8, 0], "data_offsets [8, 0]"),
                           ("data_offsets", [0, 16], "data_offsets [0, 16]")]:
    raises(ValueError, read, {"a": dict(ok, **{field: value})}, text=f"tensor 'a': {text}")
raises(ValueError, read, {"a": [1]}, text="tensor 'a': entry is a JSON list")
raises(ValueError, read, [1], text="header is a JSON list, not an object")
raises(ValueError, read, b"{nope", text="header is not JSON")
dup = b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}'
raises(ValueError, read, dup, text="duplicate key 'a'")

# Integers ctypes would wrap: a seed outside [0, 2**64), threads past int.
m = modrt.load(lib)
for seed in (2**64, -1, True):
    raises(ValueError, m.init, seed, text="init: seed")
raises(ValueError, m.set_threads, 2**32 + 2, text="not a C int")
print("PASS modrt errors")
