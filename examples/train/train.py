"""Training modc models from Python (LANGUAGE.md §10, INTERFACE.md §4).

    /usr/bin/python3 examples/train/train.py [--steps 300]

Compiles two models in-process (python/modc), then trains each on a
synthetic task with the method named after its train block, `m.fit(...)`,
which takes one AdamW step and returns the loss before it:
- multitask_lora.mod: a frozen base layer plus one LoRA per task; the target
  of task t is the base layer plus a rank-4 change of its own, so each
  adapter must learn its task's change from the examples routed to it.
- moe.mod: top-2 of 4 SwiGLU experts with the load-balancing loss; the
  target is a fixed smooth function of the input.
Prints the loss as it falls and checks that it fell.
"""

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import modc  # noqa: E402


def compile_model(session, name):
    with open(os.path.join(HERE, name)) as f:
        return session.compile(f.read(), filename=name)


def train_multitask(m, steps, rng):
    d, tasks = m.info.dims["D"], m.info.dims["TASKS"]
    m.init(0)
    base_w, base_b = m["base.w"], m["base.b"]
    # Each task's hidden change of the base layer, rank 4.
    deltas = [rng.standard_normal((d, 4)) @ rng.standard_normal((4, d)) * 0.1
              for _ in range(tasks)]
    losses = []
    for step in range(steps):
        x = rng.standard_normal((64, d)).astype(np.float32)
        task = rng.integers(0, tasks, 64).astype(np.int32)
        delta = np.stack([deltas[t] for t in task])          # [N, D, D]
        target = x @ base_w + base_b + np.einsum("nd,nde->ne", x, delta)
        losses.append(m.fit(x, task, target.astype(np.float32)))
        if step % 50 == 0 or step == steps - 1:
            print(f"multitask_lora step {step:4d}: loss {losses[-1]:.5f}")
    return losses


def train_moe(m, steps, rng):
    d = m.info.dims["D"]
    m.init(0)
    teacher = rng.standard_normal((d, d)) / np.sqrt(d)
    losses = []
    for step in range(steps):
        x = rng.standard_normal((128, d)).astype(np.float32)
        target = np.tanh(x @ teacher) * np.sign(x[:, :1])
        losses.append(m.fit(x, target.astype(np.float32)))
        if step % 50 == 0 or step == steps - 1:
            print(f"moe step {step:4d}: loss {losses[-1]:.5f}")
    return losses


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    s = modc.Session()
    for name, train in (("multitask_lora.mod", train_multitask),
                        ("moe.mod", train_moe)):
        m = compile_model(s, name)
        losses = train(m, args.steps, rng)
        first, last = np.mean(losses[:10]), np.mean(losses[-10:])
        print(f"{m.info.name}: loss {first:.5f} -> {last:.5f}")
        if not last < 0.5 * first:
            sys.exit(f"{m.info.name}: the loss did not fall enough")
        m.close()
    print("training done: both losses fell")


if __name__ == "__main__":
    main()
