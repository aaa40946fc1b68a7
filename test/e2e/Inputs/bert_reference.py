"""A BERT sentence encoder written from the architecture (Devlin et al.
2019; sentence-transformers' mean pooling and normalisation) in PyTorch,
float64, on a {name: ndarray} checkpoint; independent of modc and of the
transformers package."""

import math

import torch


def sentence_embeddings(weights, ids, mask, layers=6, heads=12, eps=1e-12):
    """Returns (token states [B, T, H], embeddings [B, H]) for int arrays
    ids and mask [B, T]."""
    def w(name):
        return torch.tensor(weights[name], dtype=torch.float64)

    def linear(x, name):
        return x @ w(name + ".weight").T + w(name + ".bias")

    def norm(x, name):
        return torch.nn.functional.layer_norm(x, x.shape[-1:], w(name + ".weight"),
                                              w(name + ".bias"), eps)

    ids = torch.as_tensor(ids, dtype=torch.long)
    mask = torch.as_tensor(mask, dtype=torch.float64)
    b, t = ids.shape
    x = (w("embeddings.word_embeddings.weight")[ids]
         + w("embeddings.position_embeddings.weight")[:t]
         + w("embeddings.token_type_embeddings.weight")[0])
    x = norm(x, "embeddings.LayerNorm")
    hidden = x.shape[-1]
    dh = hidden // heads
    # Padded keys get the most negative score, as transformers does.
    bias = (1.0 - mask)[:, None, None, :] * torch.finfo(torch.float64).min

    def split(v):
        return v.reshape(b, t, heads, dh).transpose(1, 2)

    for i in range(layers):
        p = f"encoder.layer.{i}."
        q = split(linear(x, p + "attention.self.query"))
        k = split(linear(x, p + "attention.self.key"))
        v = split(linear(x, p + "attention.self.value"))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + bias, dim=-1)
        ctx = (probs @ v).transpose(1, 2).reshape(b, t, hidden)
        a = norm(linear(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        inner = torch.nn.functional.gelu(linear(a, p + "intermediate.dense"))
        x = norm(linear(inner, p + "output.dense") + a, p + "output.LayerNorm")
    m = mask[:, :, None]
    pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return x, torch.nn.functional.normalize(pooled, p=2, dim=1)
