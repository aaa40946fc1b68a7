// Experts that mix an example's tokens (attention with a residual), routed
// per example: grouped at -O2 (the attention runs on the packed examples of
// all experts, each example's tokens apart), and merged with soft weights.
model routed_attention;
dim D = 8;
dim E = 4;
dim T = 3;
dyn B;
module SeqAtt<I>(x: f32[B, T, I]) -> f32[B, T, I] {
  param w: f32[I, I] = normal(0.0, 0.4);
  param v: f32[I, I] = normal(0.0, 0.4);
  return attention(x @ w, x, x @ v, heads = 2) + x;
}
att: SeqAtt<D>[E];
param gate: f32[D, E] = normal(0.0, 0.7);
entry top2(xs: f32[B, T, D]) -> f32[B, T, D] {
  return route xs to att by topk(mean(xs, 1) @ gate, 2);
}
entry soft(xs: f32[B, T, D]) -> f32[B, T, D] {
  return route xs to att by softmax(mean(xs, 1) @ gate) combine merge;
}
