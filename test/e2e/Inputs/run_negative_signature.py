"""Calls entries whose signature sizes are linear in N through the C ABI
with N making them negative: code 1 naming the size, the output untouched."""
import ctypes
import sys

import numpy as np

lib = ctypes.CDLL(sys.argv[1])
lib.ns_create.restype = ctypes.c_void_p
lib.ns_error.restype = ctypes.c_char_p
lib.ns_error.argtypes = [ctypes.c_void_p]
m = ctypes.c_void_p(lib.ns_create())
for entry, n in (("al", 2), ("al", 3), ("down", 11), ("down", 10), ("down", 9)):
    f = getattr(lib, "ns_" + entry)
    f.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p,
                  ctypes.c_void_p]
    x = np.full(4096, 0.5, np.float32)
    y = np.full(4096, -7.0, np.float32)
    rc = f(m, n, x.ctypes.data, y.ctypes.data)
    err = lib.ns_error(m).decode() if rc else ""
    print(entry, n, rc, err, "written", int((y != -7.0).sum()))
lib.ns_destroy(m)
