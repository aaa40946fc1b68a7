"""Reading safetensors files with NumPy alone (no `safetensors` package):
a checkpoint's tensors by name, e.g. to put the ones a model shares with it
into `m.load_state_dict`."""

import json
import math
import struct

import numpy as np

# BF16 comes back as its uint16 bits, as modrt passes bf16 everywhere
# (modrt.from_bf16 widens them).
_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16,
           "BF16": np.uint16, "I64": np.int64, "I32": np.int32,
           "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def read_safetensors(path):
    """{name: ndarray} of every tensor in the safetensors file at `path`
    (`__metadata__` skipped). Raises ValueError for a header that is not a
    JSON object, and naming the tensor for a malformed entry (an unknown
    dtype, a shape that is not a list of non-negative integers, offsets
    outside the data or not holding the shape)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: not a safetensors file (shorter than 8 bytes)")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} runs past the file")
    def unique(pairs):
        # A name twice is ambiguous: NAME_load refuses it, and so does this.
        seen = {}
        for key, value in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen[key] = value
        return seen

    try:
        header = json.loads(raw[8:8 + n], object_pairs_hook=unique)
    except ValueError as e:
        raise ValueError(f"{path}: header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: header is a JSON {type(header).__name__}, "
                         f"not an object")
    data = memoryview(raw)[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        problem = _bad_entry(info)
        if problem:
            raise ValueError(f"{path}: tensor '{name}': {problem}")
        dtype = np.dtype(_DTYPES[info["dtype"]])
        shape = info["shape"]
        begin, end = info["data_offsets"]
        count = math.prod(shape)
        if not begin <= end <= len(data) or end - begin != count * dtype.itemsize:
            raise ValueError(f"{path}: tensor '{name}': data_offsets [{begin}, {end}] "
                             f"do not hold {count} {info['dtype']} elements")
        out[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(shape)
    return out


def _is_int(v):
    # JSON's true/false are ints to Python, 2.0 and "2" are not sizes.
    return type(v) is int


def _bad_entry(info):
    """What is wrong with a header entry's fields, or None."""
    if not isinstance(info, dict):
        return f"entry is a JSON {type(info).__name__}, not an object"
    dtype = info.get("dtype")
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        return f"unknown dtype {dtype!r}"
    shape = info.get("shape")
    if not isinstance(shape, list) or not all(_is_int(d) and d >= 0 for d in shape):
        return f"shape {shape!r} is not a list of non-negative integers"
    offsets = info.get("data_offsets")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(_is_int(o) and o >= 0 for o in offsets)):
        return f"data_offsets {offsets!r} is not a list of two non-negative integers"
    return None
