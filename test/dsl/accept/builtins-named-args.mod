// Every builtin of LANGUAGE.md §6, with each optional argument given by name
// and positionally, and the result types they promise (each result is
// checked against a declared type).
// RUN: modc %s --check
model builtins;
dim D = 8;
dim V = 16;
dim H = 2;
dim P = 3;
dyn N;
dyn B;
dyn T;

param gamma: f32[D] = ones;
param beta: f32[D] = zeros;
param table: f32[V, D] = normal(0.0, 1.0);
param prefix: f32[P, D] = uniform(-0.1, 0.1);
param c: f32[D] = const(0.5);

entry elementwise(x: f32[N, D]) -> f32[N, D] {
  return relu(x) + gelu(x) + silu(x) + sigmoid(x) + tanh(x) + exp(x) +
         log(abs(x) + 1.0) + sqrt(abs(x)) + c;
}

entry normalise(x: f32[N, D]) -> (f32[N, D], f32[N, D], f32[N, D], f32[N, D]) {
  let a = softmax(x) + softmax(x, 0) + softmax(x, axis = -1);
  let b = log_softmax(x, axis = 1) + log_softmax(x);
  let ln = layernorm(x, gamma, beta) + layernorm(x, gamma, beta, eps = 1e-3);
  let rms = rmsnorm(x, gamma) + rmsnorm(x, gamma = gamma, eps = 1e-6);
  return (a, b, ln, rms);
}

entry reduce(x: f32[N, D], i: i32[N, D]) -> (f32[N], f32[N, 1], f32[D], i32[N], i64[N], i64[D]) {
  let s = sum(x, 1) + mean(x, axis = -1) + max(x, 1, false);
  let k = sum(x, axis = 1, keepdims = true) + mean(x, 1, keepdims = true);
  let over_rows = max(x, axis = 0);
  return (s, k, over_rows, sum(i, 1), argmax(x), argmax(x, axis = 0));
}

entry shapes(x: f32[B, T, D]) -> (f32[B, T + P, D], f32[B, T, H, 4], f32[B, D, T], f32[B, P, D]) {
  let with_prefix = concat(expand(prefix, [B, P, D]), x, axis = 1);
  let split = reshape(x, [B, T, H, D / H]);
  let swapped = transpose(x, [0, 2, 1]);
  let broadcast = expand(prefix, shape = [B, P, D]);
  return (with_prefix, split, swapped, broadcast);
}

entry lookup(ids: i64[B, T], small: i32[N]) -> (f32[B, T, D], f32[N, V], f32[N, D], i32[N], f32[N]) {
  let emb = embedding(table, ids);
  let oh = onehot(small, V);
  let oh2 = onehot(ids = small, n = 4);
  return (emb, oh, embedding(table = table, ids = small), cast(cast(small, f32), i32), cast(small, type = f32));
}

entry attend(q: f32[B, T, D], kv: f32[B, P, D]) -> f32[B, T, D] {
  let a = attention(q, kv, kv);
  let b = attention(q, kv, kv, heads = H);
  let s = attention(q, q, q, heads = 4, causal = true);
  let d = attention(q = q, k = kv, v = kv, causal = false);
  return a + b + s + d;
}
