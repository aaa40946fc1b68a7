// A classifier through most tensor-level gradient rules: matmul with a
// broadcast bias, layernorm, gelu, tanh, sigmoid, relu, exp/log/sqrt/abs,
// softmax, a max reduction, mean, concat, reshape, transpose, attention
// (causal), cross_entropy and z_loss.
model tmlp;
dim D = 8;
dim H = 16;
dim C = 5;
dyn B;
dyn T;

param w1: f32[D, H] = normal(0.0, 0.3);
param b1: f32[H] = normal(0.0, 0.1);
param g: f32[H] = normal(1.0, 0.1);
param beta: f32[H] = normal(0.0, 0.1);
param wq: f32[H, H] = normal(0.0, 0.3);
param wk: f32[H, H] = normal(0.0, 0.3);
param w2: f32[2 * H, C] = normal(0.0, 0.3);
frozen param wf: f32[H, H] = normal(0.0, 0.3);
param unused: f32[C] = ones;

entry logits(x: f32[B, T, D]) -> f32[B, T, C] {
  let h = layernorm(x @ w1 + b1, g, beta) |> gelu;
  let a = attention(h @ wq, h @ wk, tanh(h @ wf), heads = 2, causal = true);
  let s = softmax(a, axis = -1) * sigmoid(h) + relu(h) * 0.5;
  let m = max(s, 2, keepdims = true);
  let n = sqrt(abs(s) + 1.0) + log(exp(s - m) + 1.0);
  let t = transpose(reshape(n, [B, T, 4, 4]), [0, 1, 3, 2]);
  let u = reshape(t, [B, T, H]);
  return concat(u, h - mean(h, 2, keepdims = true), axis = 2) @ w2;
}

train step(x: f32[B, T, D], labels: i64[B, T]) {
  let z = logits(x);
  minimize cross_entropy(z, labels) + 0.1 * z_loss(z);
  update w1, b1, g, beta, wq, wk, w2, unused with sgd(lr = 1.0);
}
