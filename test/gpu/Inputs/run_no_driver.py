"""Every entry and train block of a --target=cuda library on a machine
without a driver returns 5 "no CUDA driver" before any work (host code
that read results no kernel wrote crashed), parameters unchanged.

    run_no_driver.py LIB DYN
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
import modrt  # noqa: E402

os.environ["MODRT_CUDA_DRIVER"] = "/nonexistent/libcuda.so.1"
lib, dyn = sys.argv[1], int(sys.argv[2])
m = modrt.load(lib)
m.init(0)
before = {k: v.copy() for k, v in m.state_dict().items()}
calls = list(m.info.entries.items()) + list(m.info.trains.items())
for name, e in calls:
    dv = {s: dyn for s in e.dyns}
    ins = [np.ones(t.shape(dv), t.dtype) for t in e.inputs]
    try:
        getattr(m, name)(*ins) if name not in ("init", "load", "save") else m.entry(name)(*ins)
        print(name, "returned 0")
    except modrt.Error as err:
        print(name, "code", err.code, "no CUDA driver" in str(err))
after = m.state_dict()
assert all(np.array_equal(before[k], after[k]) for k in before), "parameters changed"
print("parameters unchanged")
