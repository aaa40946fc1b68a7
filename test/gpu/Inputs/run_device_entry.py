"""The `_device` form of a --target=cuda library's entry, without a GPU.

    run_device_entry.py LIB MODEL N D [DOUBLE]

Calls MODEL_forward_device(m, N, x, y, stream) on buffers and a stream made
by the driver (the double's cuMemAlloc_v2 / cuStreamCreate). Without DOUBLE
there is no driver: 5 "no CUDA driver". With it: the launches go on the
caller's stream, the caller's buffers are not staged (two allocations
fewer than the host form, no copy), a NULL input is 1, and a NULL stream
is the default one.
"""

import ctypes
import os
import sys

lib_path, model, n, d = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
double = sys.argv[5] if len(sys.argv) > 5 else None
os.environ["MODRT_CUDA_DRIVER"] = double or "/nonexistent/libcuda.so.1"

lib = ctypes.CDLL(lib_path)
P, I64 = ctypes.c_void_p, ctypes.c_int64
create = getattr(lib, model + "_create")
create.restype = P
error = getattr(lib, model + "_error")
error.restype, error.argtypes = ctypes.c_char_p, [P]
host = getattr(lib, model + "_forward")
host.argtypes = [P, I64, P, P]
device = getattr(lib, model + "_forward_device")
device.argtypes = [P, I64, P, P, P]

m = create()
assert getattr(lib, model + "_init")(P(m), ctypes.c_uint64(0)) == 0
nbytes = n * d * 4

if not double:
    x, y = (ctypes.c_float * (n * d))(), (ctypes.c_float * (n * d))()
    rc = device(m, n, x, y, None)
    print(f"device form without a driver: {rc} {error(m).decode()}")
    sys.exit(0)

drv = ctypes.CDLL(double)
drv.cudouble_last_stream.restype = P


def alloc():
    p = ctypes.c_uint64()
    assert drv.cuMemAlloc_v2(ctypes.byref(p), ctypes.c_size_t(nbytes)) == 0
    return p.value


x_dev, y_dev = alloc(), alloc()
stream = P()
assert drv.cuStreamCreate(ctypes.byref(stream), 0) == 0
x_host = (ctypes.c_float * (n * d))()
y_host = (ctypes.c_float * (n * d))()

before = drv.cudouble_allocations()
rc = host(m, n, x_host, y_host)
host_allocs = drv.cudouble_allocations() - before
print(f"host form: {rc}")

before, copies = drv.cudouble_allocations(), drv.cudouble_copies()
rc = device(m, n, x_dev, y_dev, stream)
device_allocs = drv.cudouble_allocations() - before
print(f"device form: {rc}")
print(f"launched on the caller's stream: {drv.cudouble_last_stream() == stream.value}")
print(f"allocations: host form {host_allocs}, device form {device_allocs}, "
      f"2 fewer: {host_allocs - device_allocs == 2}")
print(f"copies: {drv.cudouble_copies() - copies}")

rc = device(m, n, x_dev, y_dev, None)
print(f"default stream: {rc}, launched on it: {drv.cudouble_last_stream() is None}")
rc = device(m, n, None, y_dev, stream)
print(f"NULL input: {rc} {error(m).decode()}")
rc = device(m, n, x_dev, y_dev, ctypes.c_void_p(12345))
print(f"a stream the driver does not know: {rc} {error(m).decode()}")
getattr(lib, model + "_destroy")(P(m))
drv.cuMemFree_v2(ctypes.c_uint64(x_dev))
drv.cuMemFree_v2(ctypes.c_uint64(y_dev))
drv.cuStreamDestroy_v2(stream)
print(f"after destroy: live bytes {drv.cudouble_live_bytes()}")
