"""The same program compiled at -O0 (no mod-level passes, no runtime GEMM)
and at -O2 computes the same numbers."""
import os
import subprocess
import sys

import numpy as np

from harness import check_close, modrt, read_safetensors, write_safetensors

examples, work = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(5)
cases = {
    "lora": lambda m: [rng.standard_normal((9, 1024)).astype(np.float32)],
    "hash_moe": lambda m: [rng.integers(-2**40, 2**40, size=(9,)).astype(np.int64) % 32000],
    "multitask_adapters": lambda m: [rng.standard_normal((3, 4, 256)).astype(np.float32),
                                     np.array([0, 3, 1], np.int32)],
    "polytropon": lambda m: [rng.standard_normal((5, 512)).astype(np.float32),
                             np.array([0, 15, 3, 3, 9], np.int32)],
    "adapter_fusion": lambda m: [rng.standard_normal((6, 256)).astype(np.float32)],
}
for name, make_inputs in cases.items():
    libs = {}
    for level in ("-O0", "-O2"):
        out = os.path.join(work, f"lib{name}{level}.so")
        subprocess.check_call(["modc", os.path.join(examples, f"{name}.mod"), level, "-o", out])
        libs[level] = modrt.load(out)
        libs[level].init(11)
    # init leaves some parameters zero (LoRA B, adapter up): perturb all.
    path = os.path.join(work, f"{name}.safetensors")
    libs["-O2"].save(path)
    params = {k: v + rng.standard_normal(v.shape).astype(np.float32) * 0.02
              for k, v in read_safetensors(path).items()}
    write_safetensors(path, params)
    libs["-O0"].load(path)
    libs["-O2"].load(path)
    inputs = make_inputs(libs["-O0"])
    for entry in libs["-O0"].entries:
        a = getattr(libs["-O0"], entry)(*inputs)
        b = getattr(libs["-O2"], entry)(*inputs)
        check_close(f"{name}.{entry} -O0 vs -O2", a, b, atol=1e-4, rtol=1e-4)
print("PASS opt levels")
