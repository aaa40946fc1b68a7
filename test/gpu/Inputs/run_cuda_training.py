"""A --target=cuda library's train block without a GPU.

    run_cuda_training.py LIB N [DOUBLE]

Without DOUBLE there is no driver: the train call returns 5 and changes
nothing; the optimiser state saves and loads. With DOUBLE (the driver
double: launches recorded, not run) the call returns 0 and the training
state lives in GPU memory: a gradient and two adamw moments for each
trainable parameter, nothing for the frozen ones; all freed by close.
"""

import ctypes
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
import modrt  # noqa: E402

lib, n = sys.argv[1], int(sys.argv[2])
double = sys.argv[3] if len(sys.argv) > 3 else None
os.environ["MODRT_CUDA_DRIVER"] = double or "/nonexistent/libcuda.so.1"
drv = None
if double:
    drv = ctypes.CDLL(double)
    drv.cudouble_live_bytes.restype = ctypes.c_size_t

m = modrt.load(lib)
m.init(0)
frozen = [p["name"] for p in m.info.params if not p["trainable"]]
trainable_bytes = 4 * sum(p["count"] for p in m.info.params if p["trainable"])
before = {k: v.copy() for k, v in m.state_dict().items()}
d = before["w0"].shape[0]
rng = np.random.default_rng(0)
x = rng.standard_normal((n, d)).astype(np.float32)
live = drv.cudouble_live_bytes() if drv else 0
try:
    print(f"fit returned 0, loss {m.fit(x, x):.3f}")
except modrt.Error as e:
    print(f"fit failed: code {e.code}: {e}")
after = m.state_dict()
if drv:
    grown = drv.cudouble_live_bytes() - live
    print(f"training state in GPU memory: {grown} bytes, "
          f"3 x trainable = {3 * trainable_bytes}")
else:
    changed = [k for k in before if not np.array_equal(before[k], after[k])]
    print(f"parameters changed: {changed}")
print("frozen unchanged:", all(np.array_equal(before[k], after[k]) for k in frozen))
path = os.path.join(os.path.dirname(lib), "opt.safetensors")
m.save_optimizer(path)
m.load_optimizer(path)
print("optimizer state saved and loaded")
m.close()
if drv:
    print(f"after close: live bytes {drv.cudouble_live_bytes()}")
