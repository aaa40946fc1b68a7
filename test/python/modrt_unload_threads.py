"""Models run on a long-lived worker thread and closed on the main thread:
the library's unload frees the worker's scratch buffers (GEMM workspaces,
the kernel block cache). They used to stay allocated for good (~5 MB per
cycle here: the pthread key that frees them at thread exit was deleted at
unload)."""
import ctypes
import gc
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "python"))
import modrt  # noqa: E402

lib = os.path.abspath(sys.argv[1])
libc = ctypes.CDLL("libc.so.6")


def rss_kb():
    gc.collect()
    libc.malloc_trim(0)
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1])


rng = np.random.default_rng(0)
x = rng.standard_normal((512, 128)).astype(np.float32)
y = rng.standard_normal((512, 128)).astype(np.float32)
pool = ThreadPoolExecutor(1)


def cycle():
    m = modrt.load(lib)
    m.init(1)
    m.set_threads(1)
    pool.submit(lambda: (m.fit(x, y), m.fwd(x), m.dense(x))).result()
    m.close()


cycle()  # the process's own first-use costs
r0 = rss_kb()
for _ in range(15):
    cycle()
grown = rss_kb() - r0
mapped = sum(1 for line in open("/proc/self/maps")
             if os.path.basename(lib) in line)
print("grown", grown, "kB, mapped", mapped)
assert mapped == 0, mapped
assert grown < 20000, f"RSS grew by {grown} kB over 15 cycles"
pool.shutdown(wait=True)
print("PASS unload threads")
