"""A library specialised for one task (modc --specialize forward.task_id=T)
loads the full checkpoint and computes what the general library computes for
that task."""
import sys

import numpy as np

from harness import check_close, modrt, random_params, write_safetensors

general_lib, special_lib, task, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
general, special = modrt.load(general_lib), modrt.load(special_lib)
assert [p["name"] for p in general.params] == [p["name"] for p in special.params]
params = random_params(general, np.random.default_rng(7), scale=0.05)
path = f"{work}/full.safetensors"
write_safetensors(path, params)
general.load(path)
special.load(path)  # the full checkpoint, every task's adapter included
rng = np.random.default_rng(1)
for b, t in ((1, 1), (3, 5)):
    x = rng.standard_normal((b, t, 256)).astype(np.float32)
    ids = np.full((b,), task, np.int32)
    check_close(f"specialised B={b} T={t}", special.forward(x, ids), general.forward(x, ids),
                atol=1e-5, rtol=1e-5)
print("PASS specialize")
