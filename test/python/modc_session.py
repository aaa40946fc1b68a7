"""python/modc (INTERFACE.md §5): checking and compiling in-process, the
loaded model against NumPy, the content cache, writing the library, errors
as modc.CompileError with the diagnostics, and the vocabulary."""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import modc  # noqa: E402
import modrt  # noqa: E402

work = sys.argv[1]
SRC = """model tiny;
dim D = 4;
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O] = normal(0.0, 0.5);
  param b: f32[O] = normal(0.0, 0.5);
  return x @ w + b;
}
proj: Lin<D, D>;
entry forward(x: f32[N, D]) -> f32[N, D] { return relu(proj(x)); }
"""

s = modc.Session()
assert s.check(SRC) == [], s.check(SRC)
errs = s.check(SRC.replace("relu(proj(x))", "relu(proj(x)) + nothing"), filename="bad.mod")
assert len(errs) == 1, errs
e = errs[0]
assert (e.file, e.line, e.severity, e.message) == ("bad.mod", 10, "error", "unknown name 'nothing'"), e
assert e.col > 0
# -D changes the program: a 5-wide model still checks.
assert s.check(SRC, defines={"D": 5}) == []
try:
    s.check(SRC, options="-O9")
    raise AssertionError("bad options accepted")
except modc.CompileError as err:
    assert err.code == 2 and "does not exist" in str(err), err
# A processor LLVM does not know, or one without 64-bit code: bad options
# (LLVM would warn and then abort the process).
for cpu, why in (("notacpu", "unknown --mcpu"), ("i386", "no 64-bit mode")):
    try:
        s.compile(SRC, options="--mcpu=" + cpu)
        raise AssertionError("--mcpu=" + cpu + " accepted")
    except modc.CompileError as err:
        assert err.code == 2 and why in str(err), err

for opt in (0, 2):
    m = s.compile(SRC, opt=opt, defines={"D": 6})
    assert isinstance(m, modrt.Model) and m.name == "tiny" and m.dims == {"D": 6}, m.dims
    m.init(3)
    x = np.random.default_rng(0).standard_normal((5, 6)).astype(np.float32)
    y = m.forward(x)
    # The reference from the parameters the library initialised.
    path = os.path.join(work, f"p{opt}.safetensors")
    m.save(path)
    import json
    import struct
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    def tensor(name):
        meta = header[name]
        lo, hi = meta["data_offsets"]
        return np.frombuffer(data[lo:hi], dtype=np.float32).reshape(meta["shape"])
    ref = np.maximum(x.astype(np.float64) @ tensor("proj.w") + tensor("proj.b"), 0)
    assert np.allclose(y, ref, rtol=1e-5, atol=1e-5), (y, ref)

# The same program and options again: the cached library (same file).
a = s.compile(SRC, opt=2)
b = s.compile(SRC, opt=2)
assert a.path == b.path, (a.path, b.path)
# A cache hit runs no pass; a fresh compile reports its own counters.
assert s.statistics() == {}, s.statistics()
s.compile(SRC, opt=2, defines={"D": 7})
stats = s.statistics()
assert stats.get("mod-lower-library-interface: entries-wrapped") == 1, stats
assert s.compile(SRC, opt=1).path != a.path

# output= writes the same library modrt.load opens.
out = os.path.join(work, "libtiny.so")
s.compile(SRC, output=out)
m2 = modrt.load(out)
assert m2.name == "tiny" and list(m2.entries) == ["forward"]

# A failed compile raises with the diagnostics; the session stays usable.
try:
    s.compile("model m;\nentry f(x: f32[4]) -> f32[4] { return x @ x; }\n", filename="mm.mod")
    raise AssertionError("bad program compiled")
except modc.CompileError as err:
    assert err.code == 1 and err.diagnostics and err.diagnostics[0].line == 2, err.diagnostics
    assert str(err).startswith("mm.mod:2:"), str(err)
assert s.compile(SRC).name == "tiny"

v = modc.vocabulary()
names = {(e["kind"], e["name"]) for e in v}
assert ("router", "topk") in names and ("aggregation", "merge") in names and ("builtin", "attention") in names
topk = next(e for e in v if e["kind"] == "router" and e["name"] == "topk")
assert [(a["name"], a["required"], a["default"]) for a in topk["args"]] == [
    ("logits", True, None), ("k", True, None), ("normalize", False, True), ("capacity", False, 0)], topk
assert modc.version() == "0.1.0"
# Sizes and levels are integers: 3.7 or True is an error, not a truncation.
for kwargs in ({"defines": {"D": 3.7}}, {"defines": {"D": True}}, {"opt": 2.9}):
    try:
        s.compile("model m; dyn N; entry f(x: f32[N]) -> f32[N] { return x; }", **kwargs)
        sys.exit(f"FAIL: {kwargs} was accepted")
    except TypeError:
        pass
# One session from two threads at once (the spec asks for one per thread,
# but nothing may crash): the calls take turns, each gets its own result.
import threading
errors = []


def hammer(k):
    try:
        for i in range(6):
            src = f"model t{k}_{i}; dyn N; entry f(x: f32[N]) -> f32[N] {{ return x * {i + 1}.0; }}"
            assert s.check(src) == []
            bad = s.check("model b; entry f(x: f32[2]) -> f32[3] { return x; }")
            assert bad and bad[0].line == 1, bad
            m = s.compile(src)
            assert (m.f(np.ones(3, np.float32)) == i + 1).all()
            m.close()
    except BaseException as e:  # noqa: BLE001
        errors.append(repr(e))


threads = [threading.Thread(target=hammer, args=(k,)) for k in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert not errors, errors
s.close()
try:
    s.check(SRC)
    sys.exit("FAIL: a closed session checked")
except ValueError as e:
    assert "closed" in str(e), e
print("PASS modc session")
