// all-MiniLM-L6-v2 (sentence-transformers), the BERT sentence encoder, in
// `.mod`: word, position and token-type embeddings, 6 layers of 12-head
// self-attention and a GELU feed-forward, each followed by a residual
// layernorm, then the mean over the unpadded tokens, L2-normalised.
//
// Parameters are named as in the checkpoint (`encoder.layer.3.attention.
// self.query.weight`, PyTorch's [out, in] Linear layout, read in place), so
// `minilm_load` takes the published `model.safetensors` as it is (its extra
// tensors, the pooler and `position_ids`, are ignored). The model is frozen:
// examples/minilm_lora.mod trains modules on top of it.
model minilm;

dim V = 30522;  // vocabulary
dim P = 512;    // positions
dim H = 384;    // hidden size
dim HEADS = 12;
dim FF = 1536;  // feed-forward size
dim LAYERS = 6;
dyn B;          // sentences
dyn T;          // tokens per sentence (padded)

// torch.nn.Linear: y = x W^T + b with W stored [out, in].
module Linear<I, O>(x: f32[..., I]) -> f32[..., O] {
  param weight: f32[O, I] = normal(0.0, 0.02);
  param bias: f32[O] = zeros;
  return x @ transpose(weight, [1, 0]) + bias;
}

module Norm<D>(x: f32[..., D]) -> f32[..., D] {
  param weight: f32[D] = ones;
  param bias: f32[D] = zeros;
  return layernorm(x, weight, bias, eps = 1e-12);
}

module Table<N, D>(ids: i64[...]) -> f32[..., D] {
  param weight: f32[N, D] = normal(0.0, 0.02);
  return embedding(weight, ids);
}

module Embeddings(ids: i64[B, T]) -> f32[B, T, H] {
  word_embeddings: Table<V, H>;
  position_embeddings: Table<P, H>;
  token_type_embeddings: Table<2, H>;
  LayerNorm: Norm<H>;
  // One segment: every token has type 0, as sentence-transformers passes.
  let positions = position_embeddings(arange(T));
  let segment = token_type_embeddings(full([T], 0, dtype = i64));
  return LayerNorm(word_embeddings(ids) + positions + segment);
}

module SelfAttention(x: f32[B, T, H], mask: i64[B, T]) -> f32[B, T, H] {
  query: Linear<H, H>;
  key: Linear<H, H>;
  value: Linear<H, H>;
  return attention(query(x), key(x), value(x), heads = HEADS, key_mask = mask);
}

// A sublayer's output: dense, then layernorm of it plus the residual.
module Residual<I>(x: f32[..., I], residual: f32[..., H]) -> f32[..., H] {
  dense: Linear<I, H>;
  LayerNorm: Norm<H>;
  return LayerNorm(dense(x) + residual);
}

module Attention(x: f32[B, T, H], mask: i64[B, T]) -> f32[B, T, H] {
  self: SelfAttention;
  output: Residual<H>;
  return output(self(x, mask), x);
}

module Intermediate(x: f32[..., H]) -> f32[..., FF] {
  dense: Linear<H, FF>;
  return gelu(dense(x));
}

module Layer(x: f32[B, T, H], mask: i64[B, T]) -> f32[B, T, H] {
  attention: Attention;
  intermediate: Intermediate;
  output: Residual<FF>;
  let h = attention(x, mask);
  return output(intermediate(h), h);
}

module Encoder(x: f32[B, T, H], mask: i64[B, T]) -> f32[B, T, H] {
  layer: Layer[LAYERS];
  let h = x;
  for i in 0..LAYERS {
    h = layer[i](h, mask);
  }
  return h;
}

frozen embeddings: Embeddings;
frozen encoder: Encoder;

// The token embeddings of the last layer ([B, T, H]); `mask` is 1 for a
// token and 0 for padding (the tokenizer's attention_mask).
entry tokens(ids: i64[B, T], mask: i64[B, T]) -> f32[B, T, H] {
  return encoder(embeddings(ids), mask);
}

// Sentence embeddings: the mean of the unpadded token embeddings, L2
// normalised (sentence-transformers' Pooling and Normalize modules).
entry embed(ids: i64[B, T], mask: i64[B, T]) -> f32[B, H] {
  let h = tokens(ids, mask);
  let m = reshape(cast(mask, f32), [B, T, 1]);
  let mean = sum(h * m, axis = 1) / maximum(sum(m, axis = 1), 1e-9);
  let norm = sqrt(sum(mean * mean, axis = -1, keepdims = true));
  return mean / maximum(norm, 1e-12);
}
