"""A --target=cuda library without a GPU.

    run_cuda_library.py LIB N D [DOUBLE]

Without DOUBLE, MODRT_CUDA_DRIVER names a library that does not exist: the
model is created, initialised and saved as on the CPU, and its entry
returns 5 saying "no CUDA driver". With DOUBLE (test/unit/runtime's driver
double), the entry returns 0: its kernels are loaded once and launched
(recorded, not run), its buffers are GPU memory, all freed.
"""

import ctypes
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
import modrt  # noqa: E402

lib, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
double = sys.argv[4] if len(sys.argv) > 4 else None
os.environ["MODRT_CUDA_DRIVER"] = double or "/nonexistent/libcuda.so.1"

m = modrt.load(lib)
m.init(0)
before = {k: v.copy() for k, v in m.state_dict().items()}
x = np.random.default_rng(0).standard_normal((n, d)).astype(np.float32)
try:
    m.forward(x)
    print("forward returned 0")
except modrt.Error as e:
    print(f"forward failed: code {e.code}: {e}")
after = m.state_dict()
assert all(np.array_equal(before[k], after[k]) for k in before), "parameters changed"
print("parameters unchanged")
m.save(os.path.join(os.path.dirname(lib), "saved.safetensors"))
print("save ok")
if double:
    drv = ctypes.CDLL(double)
    drv.cudouble_live_bytes.restype = ctypes.c_size_t
    block = sum(v.nbytes for v in after.values())
    live = drv.cudouble_live_bytes()
    print(f"launches {drv.cudouble_launches()} modules {drv.cudouble_module_loads()}")
    # The parameter block (parameters and derived weights) lives on the GPU.
    print(f"GPU memory holds the parameters: {live >= block}")
    m.close()
    print(f"after close: live bytes {drv.cudouble_live_bytes()}")
