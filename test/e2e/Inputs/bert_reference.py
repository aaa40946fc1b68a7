"""A BERT sentence encoder written from the architecture (Devlin et al.
2019; sentence-transformers' mean pooling and normalisation) in PyTorch,
float64, on a {name: ndarray or tensor} checkpoint; independent of modc and
of the transformers package. When the weights hold them, LoRA matrices
(PEFT's formula: x A^T B^T * alpha / r) on a projection and a bottleneck
adapter after each feed-forward's dense projection (Pfeiffer) are added."""

import math

import torch


def sentence_embeddings(weights, ids, mask, layers=6, heads=12, eps=1e-12,
                        lora_alpha=16.0):
    """Returns (token states [B, T, H], embeddings [B, H]) for int arrays
    ids and mask [B, T]."""
    def w(name):
        v = weights[name]
        return v if torch.is_tensor(v) else torch.tensor(v, dtype=torch.float64)

    def linear(x, name):
        y = x @ w(name + ".weight").T + w(name + ".bias")
        if name + ".lora_A" in weights:
            a, b = w(name + ".lora_A"), w(name + ".lora_B")
            y = y + (x @ a.T) @ b.T * (lora_alpha / a.shape[0])
        return y

    def adapter(x, name):
        if name + ".down.weight" not in weights:
            return x
        return x + linear(torch.relu(linear(x, name + ".down")), name + ".up")

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
        x = norm(adapter(linear(inner, p + "output.dense"), p + "output.adapter") + a,
                 p + "output.LayerNorm")
    m = mask[:, :, None]
    pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return x, torch.nn.functional.normalize(pooled, p=2, dim=1)
