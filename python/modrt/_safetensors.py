"""Reading safetensors files with NumPy alone (no `safetensors` package):
a checkpoint's tensors by name, e.g. to put the ones a model shares with it
into `m.load_state_dict`."""

import json
import struct

import numpy as np

# BF16 comes back as its uint16 bits, as modrt passes bf16 everywhere
# (modrt.from_bf16 widens them).
_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16,
           "BF16": np.uint16, "I64": np.int64, "I32": np.int32,
           "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def read_safetensors(path):
    """{name: ndarray} of every tensor in the safetensors file at `path`
    (`__metadata__` skipped). Raises ValueError naming the tensor for a
    malformed entry."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: not a safetensors file (shorter than 8 bytes)")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} runs past the file")
    header = json.loads(raw[8:8 + n])
    data = memoryview(raw)[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype = np.dtype(_DTYPES[info["dtype"]])
            shape = [int(d) for d in info["shape"]]
            begin, end = (int(o) for o in info["data_offsets"])
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{path}: tensor '{name}': bad entry ({e})") from None
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if not 0 <= begin <= end <= len(data) or end - begin != count * dtype.itemsize:
            raise ValueError(f"{path}: tensor '{name}': data_offsets [{begin}, {end}] "
                             f"do not hold {count} {info['dtype']} elements")
        out[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(shape)
    return out
