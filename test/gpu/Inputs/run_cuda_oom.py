"""A --target=cuda library out of GPU memory, through the driver double.

    run_cuda_oom.py LIB N D DOUBLE

After init, the double's device gets room for the first staged input only:
the entry's next allocation fails, the call returns 4, and the buffers it
had taken are freed (the GPU holds what it held before the call). With room
again the same model computes.
"""

import ctypes
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
import modrt  # noqa: E402

lib, n, d, double = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
os.environ["MODRT_CUDA_DRIVER"] = double
drv = ctypes.CDLL(double)
drv.cudouble_live_bytes.restype = ctypes.c_size_t

m = modrt.load(lib)
m.init(0)
x = np.ones((n, d), np.float32)
before = drv.cudouble_live_bytes()
os.environ["CUDA_DOUBLE_MEMORY"] = str(before + x.nbytes + 4096)
try:
    m.forward(x)
    print("forward returned 0")
except modrt.Error as e:
    print(f"forward failed: code {e.code}: {e}")
print(f"GPU memory after the failed call: {drv.cudouble_live_bytes() - before} "
      "bytes more than before")
del os.environ["CUDA_DOUBLE_MEMORY"]
m.forward(x)
print("with room again: forward returned 0")
m.close()
print(f"after close: live bytes {drv.cudouble_live_bytes()}")
