"""python/modrt and python/modc unload what they load (INTERFACE.md §5: a
process compiles thousands of candidates and nothing may leak): a closed or
collected Model dlcloses its library, which leaves the process's mappings
once no other Model (nor modc's session cache) has it open; a closed model
raises modrt.Error instead of calling into it.

usage: modrt_unload.py LIBAPI LIBAPI8 WORK [--main-thread]

The entries run on a short-lived thread unless --main-thread: a library
whose code registered thread_local destructors on a thread that still runs
stays loaded (glibc), and the main thread never ends."""

import gc
import os
import shutil
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import modc  # noqa: E402
import modrt  # noqa: E402

lib, lib8, work = sys.argv[1], sys.argv[2], sys.argv[3]
main_thread = "--main-thread" in sys.argv[4:]
COUNT = 60


def maps():
    with open("/proc/self/maps") as f:
        return f.read().splitlines()


def mapped(text):
    """The mappings of files whose path contains `text`."""
    return [line for line in maps() if text in line]


def run(fn, *args):
    """fn(*args) on the main thread or on a thread that then ends."""
    if main_thread:
        return fn(*args)
    out = []
    t = threading.Thread(target=lambda: out.append(fn(*args)))
    t.start()
    t.join()
    assert out, "the call on the thread failed"
    # join() returns before the thread has run its thread_local
    # destructors; until it has, dlclose leaves the library loaded.
    task = f"/proc/self/task/{t.native_id}"
    for _ in range(10000):
        if not os.path.exists(task):
            break
        time.sleep(0.001)
    return out[0]


def raises_closed(fn, *args):
    try:
        fn(*args)
    except modrt.Error as e:
        assert "closed" in str(e), e
        return
    raise AssertionError(f"{fn} did not raise on a closed model")


x = np.ones((1, 2, 4), np.float32)
libs = os.path.join(work, "libs")
os.makedirs(libs, exist_ok=True)
paths = []
for i in range(COUNT):
    # Distinct files: each is loaded on its own.
    paths.append(os.path.join(libs, f"libapi{i}.so"))
    shutil.copyfile(lib, paths[-1])

# Whatever the first load and call bring in for good (NumPy, libstdc++).
m = modrt.load(lib)
m.init(0)
run(m.forward, x)
m.close()
gc.collect()
base = len(maps())

for i, path in enumerate(paths):
    m = modrt.load(path)
    m.init(i)
    y = run(m.forward, x)
    assert y.shape == (1, 2, 4)
    m["scale"] = np.float32(2.0)
    assert m["scale"] == 2.0
    forward = m.forward
    m.close()
    # Nothing calls into the closed library: every method and entry,
    # an entry taken before the close included, raises.
    raises_closed(forward, x)
    raises_closed(m.forward, x)
    raises_closed(m.entry("both"), x)
    raises_closed(m.init, 1)
    raises_closed(m.__getitem__, "scale")
    raises_closed(m.__setitem__, "scale", np.float32(1.0))
    raises_closed(m.state_dict)
    raises_closed(m.set_threads, 1)
    raises_closed(m.save, os.path.join(work, "x.safetensors"))
    m.close()  # idempotent
    del m, forward
gc.collect()
left = mapped(libs)
assert not left, f"closed libraries still mapped:\n" + "\n".join(left[:10])
grown = len(maps()) - base
assert grown <= 20, f"{COUNT} load/close cycles left {grown} more mappings"
print(f"ok {COUNT} libraries loaded and closed, {grown} mappings more")

# One file in two Models: two opens, each closed on its own.
a, b = modrt.load(paths[0]), modrt.load(paths[0])
a.init(1)
b.init(1)
a.close()
assert np.array_equal(run(b.forward, x), run(b.forward, x))
b.close()
gc.collect()
assert not mapped(paths[0]), mapped(paths[0])
print("ok a library shared by two models")

# A Model collected without close; an entry keeps its model open.
m = modrt.load(paths[1])
m.init(1)
run(m.forward, x)
del m
gc.collect()
assert not mapped(paths[1]), mapped(paths[1])
forward = modrt.load(paths[2]).forward
gc.collect()
assert mapped(paths[2])
forward._model.init(2)
assert run(forward, x).shape == (1, 2, 4)
del forward
gc.collect()
assert not mapped(paths[2]), mapped(paths[2])
print("ok collected models unload")

# A file replaced after its library was unloaded loads as the new one.
m = modrt.load(paths[3])
assert m.info.dims["D"] == 4
m.close()
shutil.copyfile(lib8, paths[3] + ".tmp")
os.replace(paths[3] + ".tmp", paths[3])
m = modrt.load(paths[3])
assert m.info.dims["D"] == 8, m.info.dims
m.init(0)
assert run(m.forward, np.ones((1, 2, 8), np.float32)).shape == (1, 2, 8)
m.close()
print("ok a replaced file loads anew")

# modc: a compiled library leaves once its model is closed and the session
# (its cache) is closed.
SRC = """model cand{k};
dyn N;
param w: f32[4, 4] = normal(0.0, 0.5);
entry forward(x: f32[N, 4]) -> f32[N, 4] {{ return relu(x @ w) * {k}.0; }}
"""
s = modc.Session()
kept = s.compile(SRC.format(k=999))
for k in range(30):
    m = s.compile(SRC.format(k=k))
    m.init(k)
    assert run(m.forward, np.ones((2, 4), np.float32)).shape == (2, 4)
    m.close()
    raises_closed(m.forward, np.ones((2, 4), np.float32))
    del m
s.close()
gc.collect()
# A model outlives its session.
kept.init(0)
assert run(kept.forward, np.ones((2, 4), np.float32)).shape == (2, 4)
assert len(mapped("modc-session")) > 0
kept.close()
gc.collect()
left = mapped("modc-session")
assert not left, "compiled libraries still mapped:\n" + "\n".join(left[:10])
print("ok compiled libraries unload")
print("PASS modrt unload")
