"""Shared helpers of the end-to-end tests: load a compiled library through
python/modrt, write safetensors files with NumPy alone, compare results."""

import json
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "python"))

import modrt  # noqa: E402

_ST_DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.int32): "I32",
              np.dtype(np.int64): "I64"}


def write_safetensors(path, tensors):
    """Writes {name: ndarray} in the safetensors format."""
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        data = arr.tobytes()
        header[name] = {"dtype": _ST_DTYPES[arr.dtype], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    return modrt.read_safetensors(path)


def random_params(model, rng, scale=0.05):
    """Random values for every parameter, keyed by state_dict name."""
    params = {}
    for p in model.params:
        assert p["dtype"] == "f32", p
        params[p["name"]] = (rng.standard_normal(p["shape"]) * scale).astype(np.float32)
    return params


def check_close(name, got, want, atol=1e-4, rtol=1e-4):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        sys.exit(f"FAIL {name}: shape {got.shape} != reference {want.shape}")
    err = np.abs(got - want)
    bound = atol + rtol * np.abs(want)
    worst = float(err.max()) if err.size else 0.0
    if not np.all(err <= bound):
        sys.exit(f"FAIL {name}: max abs error {worst:.3g} exceeds atol={atol} rtol={rtol}")
    print(f"ok {name}: max abs error {worst:.3g}")
    return worst
