import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import modrt  # noqa: E402

lib, work = sys.argv[1], sys.argv[2]
m = modrt.load(lib)
m.init(5)
x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)

# Metadata under m.info; entries of those names through attributes.
assert m.info.name == "params" and m.info.dims == {"D": 4}, m.info
assert [p["name"] for p in m.info.params] == ["base.w", "adapter.A", "adapter.B", "ids", "flags"]
for k, (entry, factor) in enumerate([("params", 2), ("dims", 3), ("name", 4), ("path", 5),
                                     ("entries", 6)]):
    assert np.allclose(getattr(m, entry)(x), x * factor), entry
# `close` is a method: the entry is reached through m.entry.
assert np.allclose(m.entry("close")(x), x * 7)
try:
    m.entry("nope")
    raise AssertionError("unknown entry accepted")
except AttributeError as e:
    assert "no entry 'nope'" in str(e)

# Parameters as arrays, matching what the library computes with.
sd = m.state_dict()
assert list(sd) == ["base.w", "adapter.A", "adapter.B", "ids", "flags"]
assert sd["adapter.A"].shape == (4, 2) and sd["ids"].dtype == np.int32
ref = x.astype(np.float64) @ sd["base.w"] + (x.astype(np.float64) @ sd["adapter.A"]) @ sd["adapter.B"]
assert np.allclose(m.forward(x), ref, rtol=1e-5, atol=1e-5)

# Writing one parameter: the next call uses it (folded weights recomputed).
m["adapter.B"] = np.zeros((2, 4), np.float32)
assert np.array_equal(m["adapter.B"], np.zeros((2, 4), np.float32))
assert np.allclose(m.forward(x), x.astype(np.float64) @ sd["base.w"], rtol=1e-5, atol=1e-5)
m["ids"] = np.array([1, 2, 3], np.int32)
assert list(m["ids"]) == [1, 2, 3]
for bad, exc in [((np.zeros((4, 4), np.float32)), ValueError), (np.zeros((2, 4)), TypeError)]:
    try:
        m["adapter.B"] = bad
        raise AssertionError("bad value accepted")
    except exc:
        pass
try:
    m["no.such"]
    raise AssertionError("unknown parameter accepted")
except KeyError:
    pass

# load_state_dict: all or nothing; extra names ignored.
before = m.state_dict()
broken = dict(sd, extra=np.zeros(1))
broken["adapter.A"] = np.zeros((3, 3), np.float32)
try:
    m.load_state_dict(broken)
    raise AssertionError("bad state dict accepted")
except ValueError:
    pass
for k, v in m.state_dict().items():
    assert np.array_equal(v, before[k]), k
incomplete = dict(sd)
del incomplete["ids"]
try:
    m.load_state_dict(incomplete)
    raise AssertionError("missing name accepted")
except KeyError:
    pass
m.load_state_dict(dict(sd, extra=np.zeros(1)))
assert np.allclose(m.forward(x), ref, rtol=1e-5, atol=1e-5)
# The same through a save/load round trip of the library's own format.
m.save(os.path.join(work, "p.safetensors"))
m2 = modrt.load(lib)
m2.load(os.path.join(work, "p.safetensors"))
for k, v in m2.state_dict().items():
    assert np.array_equal(v, sd[k]), k
# A bool parameter holds 0 or 1: another byte is refused by set_param (1)
# and by load (3, the file malformed), the parameters unchanged.
m2["flags"] = np.array([True, False, True])
before = m2.state_dict()
try:
    m2["flags"] = np.array([2, 0, 1], np.uint8).view(np.bool_)
    raise AssertionError("bool byte 2 accepted by set_param")
except modrt.Error as e:
    assert e.code == 1 and "not a bool" in str(e), e
path = os.path.join(work, "flags.safetensors")
m2.save(path)
raw = bytearray(open(path, "rb").read())
n = int.from_bytes(raw[:8], "little")
begin = json.loads(raw[8:8 + n])["flags"]["data_offsets"][0]
raw[8 + n + begin + 1] = 255
open(path, "wb").write(bytes(raw))
try:
    m2.load(path)
    raise AssertionError("bool byte 255 loaded")
except modrt.Error as e:
    assert e.code == 3 and "'flags'" in str(e) and "not a bool" in str(e), e
for k, v in m2.state_dict().items():
    assert np.array_equal(v, before[k]), k
print("PASS modrt params")
