"""examples/minilm/minilm.mod with the published all-MiniLM-L6-v2 checkpoint
against bert_reference.py (PyTorch, float64, same weights): token states
and sentence embeddings, padding, and the run-time errors of bad ids."""

import sys

import numpy as np

from bert_reference import sentence_embeddings
from harness import modrt
from minilm_batch import CHECKPOINT, SENTENCES, alone, batch, tokenizer
from minilm_batch import weights as checkpoint_weights

m = modrt.load(sys.argv[1])
m.load(CHECKPOINT)
weights = checkpoint_weights()
tok = tokenizer()
sentences = SENTENCES
ids, mask = batch(tok)
print(f"batch {ids.shape[0]} x {ids.shape[1]} tokens, {int(mask.sum())} unpadded")

states, want = (r.numpy() for r in sentence_embeddings(weights, ids, mask))
got = m.embed(ids, mask)
err = np.abs(got - want).max()
assert err < 1e-4, err
print(f"ok embeddings (max error {err:.1e})")
h = m.tokens(ids, mask)
on = mask.astype(bool)
err = np.abs(h[on] - states[on]).max()
assert err < 1e-4, err
print(f"ok token states (max error {err:.1e})")

# Padding changes nothing: each sentence alone equals its row of the batch.
for i, s in enumerate(sentences):
    single = m.embed(*alone(tok, s))
    assert np.abs(single[0] - got[i]).max() < 1e-5, i
print("ok padding")

# Same sentence, different meanings: cosine similarities make sense.
sim = got @ got.T
assert sim[0, 0] > 0.999 and sim[0, 3] < sim[0, 0]
print("ok normalised")

# An id outside the vocabulary and a sequence past the 512 positions are
# errors (code 1), never an out-of-bounds read.
for bad, what in ((np.array([[101, 30522, 102]], np.int64), "id 30522"),
                  (np.ones((1, 513), np.int64), "513 tokens")):
    try:
        m.embed(bad, np.ones_like(bad))
        raise AssertionError(what + " must fail")
    except modrt.Error as e:
        assert e.code == 1, (what, e.code)
        print("error:", what)
print("PASS minilm")
