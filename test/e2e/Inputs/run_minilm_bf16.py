"""The bf16 build of examples/minilm/minilm.mod (every f32 spelled bf16)
with the published checkpoint rounded to bf16 (nearest even) against
bert_reference.py (PyTorch, float64, the f32 weights): the sentence
embeddings' cosine similarity >= 0.9999 (issue 13), padding included."""

import sys

import numpy as np

from bert_reference import sentence_embeddings
from harness import modrt
from minilm_batch import SENTENCES, alone, batch, tokenizer
from minilm_batch import weights as checkpoint_weights


weights = checkpoint_weights()
m = modrt.load(sys.argv[1])
m.load_state_dict({name: modrt.to_bf16(weights[name]) for name in
                   (p["name"] for p in m.info.params)})
tok = tokenizer()
ids, mask = batch(tok)
_, want = (r.numpy() for r in sentence_embeddings(weights, ids, mask))
got = modrt.from_bf16(m.embed(ids, mask)).astype(np.float64)


def cosine(a, b):
    return (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)


cos = cosine(got, want)
assert cos.min() >= 0.9999, cos
print(f"ok bf16 embeddings (cosine >= {cos.min():.6f})")

# Padding: each sentence alone gives its row of the padded batch (the same
# computation on fewer keys, rounded the same way up to reordering).
for i, s in enumerate(SENTENCES):
    single = modrt.from_bf16(m.embed(*alone(tok, s)))[0].astype(np.float64)
    for other in (got[i], want[i]):
        c = cosine(single, other)
        assert c >= 0.9999, (i, c)
print("ok bf16 padding")
print("PASS minilm bf16")
