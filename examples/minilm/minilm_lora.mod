// all-MiniLM-L6-v2 (minilm.mod) with modules to train on top of the frozen
// checkpoint: LoRA (Hu et al. 2022) on the query and value projections and a
// Pfeiffer bottleneck adapter (Pfeiffer et al. 2021) after each layer's
// feed-forward, plus a classification head on the sentence embedding.
//
// The checkpoint's parameters keep their names and are frozen (`frozen
// param`); the new ones are named below them (`encoder.layer.0.attention.
// self.query.lora_A`, `encoder.layer.0.output.adapter.down.weight`, `head.
// weight`). The checkpoint has no such tensors, so it is loaded by name into
// the state dict rather than with NAME_load (README, "A pretrained model").
model minilm_lora;

dim V = 30522;  // vocabulary
dim P = 512;    // positions
dim H = 384;    // hidden size
dim HEADS = 12;
dim FF = 1536;  // feed-forward size
dim LAYERS = 6;
dim R = 8;      // LoRA rank
dim BOTTLENECK = 48;
dim CLASSES = 3;
dyn B;          // sentences
dyn T;          // tokens per sentence (padded)

// torch.nn.Linear: y = x W^T + b with W stored [out, in]; pretrained,
// frozen.
module Linear<I, O>(x: f32[..., I]) -> f32[..., O] {
  frozen param weight: f32[O, I] = normal(0.0, 0.02);
  frozen param bias: f32[O] = zeros;
  return x @ transpose(weight, [1, 0]) + bias;
}

// A frozen Linear plus a trainable low-rank change, scaled by alpha / r (PEFT's
// LoRA layout: A [r, in], B [out, r], B starting at zero).
module LoRALinear<I, O, r, alpha: float = 16.0>(x: f32[..., I]) -> f32[..., O] {
  frozen param weight: f32[O, I] = normal(0.0, 0.02);
  frozen param bias: f32[O] = zeros;
  param lora_A: f32[r, I] = normal(0.0, 0.02);
  param lora_B: f32[O, r] = zeros;
  let low = (x @ transpose(lora_A, [1, 0])) @ transpose(lora_B, [1, 0]);
  return x @ transpose(weight, [1, 0]) + bias + low * (alpha / r);
}

// Trainable Linear (adapters and the head), same layout.
module Dense<I, O>(x: f32[..., I]) -> f32[..., O] {
  param weight: f32[O, I] = normal(0.0, 0.02);
  param bias: f32[O] = zeros;
  return x @ transpose(weight, [1, 0]) + bias;
}

// Pfeiffer's bottleneck adapter, residual inside.
module Adapter<D, K>(x: f32[..., D]) -> f32[..., D] {
  down: Dense<D, K>;
  up: Dense<K, D>;
  return x + up(relu(down(x)));
}

module Norm<D>(x: f32[..., D]) -> f32[..., D] {
  frozen param weight: f32[D] = ones;
  frozen param bias: f32[D] = zeros;
  return layernorm(x, weight, bias, eps = 1e-12);
}

module Table<N, D>(ids: i64[...]) -> f32[..., D] {
  frozen param weight: f32[N, D] = normal(0.0, 0.02);
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
  query: LoRALinear<H, H, R>;
  key: Linear<H, H>;
  value: LoRALinear<H, H, R>;
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

// The feed-forward's output with the adapter after its dense projection,
// before the residual layernorm.
module AdaptedOutput(x: f32[..., FF], residual: f32[..., H]) -> f32[..., H] {
  dense: Linear<FF, H>;
  adapter: Adapter<H, BOTTLENECK>;
  LayerNorm: Norm<H>;
  return LayerNorm(adapter(dense(x)) + residual);
}

module Layer(x: f32[B, T, H], mask: i64[B, T]) -> f32[B, T, H] {
  attention: Attention;
  intermediate: Intermediate;
  output: AdaptedOutput;
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

embeddings: Embeddings;
encoder: Encoder;
head: Dense<H, CLASSES>;

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

// Class logits from the sentence embedding.
entry classify(ids: i64[B, T], mask: i64[B, T]) -> f32[B, CLASSES] {
  return head(embed(ids, mask));
}

// One AdamW step on the LoRA matrices, the adapters and the head; the
// checkpoint's parameters are frozen and get no gradient.
train fit(ids: i64[B, T], mask: i64[B, T], labels: i64[B]) {
  minimize cross_entropy(classify(ids, mask), labels);
  update encoder, head with adamw(lr = 1e-3);
}
