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
# N - M exactly, not in f64: 2^55 + 1 - (2^55 + 3) is -2 (f64 rounds both
# to 2^55 and let the call write before its output buffer).
f = lib.ns_c
f.argtypes = [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64] + \
    [ctypes.c_void_p] * 5
for n, mm in ((2, 4), (2**55 + 1, 2**55 + 3), (5, 3)):
    buf = np.full(4096, -7.0, np.float32)
    w = np.ones(12, np.float32)
    z = np.zeros(4096, np.float32)
    out = buf[8:]
    rc = f(m, n, mm, None, None, z.ctypes.data, w.ctypes.data, out.ctypes.data)
    err = lib.ns_error(m).decode() if rc else ""
    print("c", rc, err, "before", int((buf[:8] != -7.0).sum()))
lib.ns_destroy(m)
