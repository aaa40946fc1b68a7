"""Calls the inconsistent entry through ctypes with a guarded output buffer:
the call must fail and leave the buffer and the floats after it untouched."""
import ctypes
import sys

import numpy as np

lib = ctypes.CDLL(sys.argv[1])
lib.m_create.restype = ctypes.c_void_p
lib.m_error.restype = ctypes.c_char_p
lib.m_error.argtypes = [ctypes.c_void_p]
m = lib.m_create()
n = 3
x = np.ones((n, 4), np.float32)
guard = np.full((2 * n, 4), 7.0, np.float32)  # rows n..2n-1 guard the end
fp = ctypes.POINTER(ctypes.c_float)
rc = lib.m_g(ctypes.c_void_p(m), ctypes.c_int64(n), x.ctypes.data_as(fp),
             guard.ctypes.data_as(fp))
if rc != 1:
    print("FAIL: g returned", rc)
else:
    print("g failed:", lib.m_error(ctypes.c_void_p(m)).decode())
print("guard intact" if (guard == 7.0).all() else "FAIL: buffer written")
y = np.zeros((n, 4), np.float32)
rc = lib.m_f(ctypes.c_void_p(m), ctypes.c_int64(n), x.ctypes.data_as(fp),
             x.ctypes.data_as(fp), y.ctypes.data_as(fp))
print("f ok" if rc == 0 and (y == 2.0).all() else "FAIL: f")
lib.m_destroy(ctypes.c_void_p(m))
