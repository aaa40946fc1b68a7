"""Per-example routes over attention experts against reference.py's route()
(float64): top-2 weighted sum and softmax merge, at -O2 (fused) and -O0.

  run_routed_attention.py LIB
"""

import sys

import numpy as np
import torch

import reference as ref
from harness import modrt

torch.set_default_dtype(torch.float64)


def att_fn(p, x):
    return ref.attention(x @ p["w"], x, x @ p["v"], heads=2) + x


def main():
    m = modrt.load(sys.argv[1])
    m.init(3)
    state = {k: torch.tensor(v.astype(np.float64))
             for k, v in m.state_dict().items()}
    atts = [ref.instance_from(att_fn, state, f"att.{e}") for e in range(4)]
    rng = np.random.default_rng(1)
    for b in (1, 5, 33):
        xs = rng.standard_normal((b, 3, 8)).astype(np.float32)
        x = torch.tensor(xs.astype(np.float64))
        logits = x.mean(1) @ state["gate"]
        for name, router, combine in (
                ("top2", ref.Topk(logits, 2), None),
                ("soft", ref.Softmax(logits), "merge")):
            want = ref.route(x, atts, router, combine).numpy()
            got = getattr(m, name)(xs)
            err = float(np.abs(got - want).max())
            assert err < 1e-5, (name, b, err)
            print(f"ok {name} B={b} (worst {err:.2e})")
    print("PASS routed attention")


if __name__ == "__main__":
    main()
