// More routes trained: topk with a capacity (dropped choices), the max
// aggregation, global routes (all, fixed) with mean, max and concat,
// per-example routing of [B, T, D] on [B, E] logits, and hash routing.
model troute2;
dim D = 8;
dim H = 12;
dim E = 4;
dim T = 3;
dyn N;
dyn B;

module Expert<I, F>(x: f32[N, I]) -> f32[N, I] {
  param w1: f32[I, F] = normal(0.0, 0.4);
  param b1: f32[F] = normal(0.0, 0.1);
  param w2: f32[F, I] = normal(0.0, 0.4);
  return gelu(x @ w1 + b1) @ w2;
}

module SeqExpert<I, F>(x: f32[N, T, I]) -> f32[N, T, I] {
  param w1: f32[I, F] = normal(0.0, 0.4);
  param w2: f32[F, I] = normal(0.0, 0.4);
  return tanh(x @ w1) @ w2;
}

module Gate<I, K>(x: f32[N, I]) -> f32[N, K] {
  param w: f32[I, K] = normal(0.0, 0.7);
  return x @ w;
}

gate: Gate<D, E>;
experts: Expert<D, H>[E];
seq: SeqExpert<D, H>[E];

train cap(x: f32[N, D], target: f32[N, D]) {
  minimize mse(route x to experts by topk(gate(x), 2, capacity = 0.75), target);
  update gate, experts with sgd(lr = 1.0);
}

train maxagg(x: f32[N, D], target: f32[N, D]) {
  minimize mse(route x to experts by topk(gate(x), 2) combine max, target);
  update experts with sgd(lr = 1.0);
}

train global_mean(x: f32[N, D], target: f32[N, D]) {
  minimize mse(route x to experts by all combine mean, target);
  update experts with sgd(lr = 1.0);
}

train global_max(x: f32[N, D], target: f32[N, D]) {
  minimize mse(route x to experts by fixed(0, 2) combine max, target);
  update experts with sgd(lr = 1.0);
}

train global_concat(x: f32[N, D], target: f32[N, 2 * D]) {
  minimize mse(route x to experts by fixed(3, 1) combine concat, target);
  update experts with sgd(lr = 1.0);
}

train per_example(xs: f32[B, T, D], target: f32[B, T, D]) {
  minimize mse(route xs to seq by topk(gate(mean(xs, 1)), 2), target);
  update gate, seq with sgd(lr = 1.0);
}

train hashed(x: f32[N, D], ids: i64[N], target: f32[N, D]) {
  minimize mse(route x to experts by hash(ids), target);
  update experts with sgd(lr = 1.0);
}

train merged(x: f32[N, D], target: f32[N, D]) {
  minimize mse(route x to experts by topk(gate(x), 2) combine merge, target);
  update gate, experts with sgd(lr = 1.0);
}

// `merge` per example over a module of [N, T, D] rows (each example's T
// tokens are inner rows of its matmuls): factored with the example's
// weights spread over its tokens.
train merged_example(xs: f32[B, T, D], target: f32[B, T, D]) {
  minimize mse(route xs to seq by topk(gate(mean(xs, 1)), 2) combine merge, target);
  update gate, seq with sgd(lr = 1.0);
}

// `merge` by task over a module that mixes an example's tokens
// (attention): one target per row with weight 1, so the mix is that
// target's parameters and the route trains in the sparse form.
module SeqAtt<I>(x: f32[N, T, I]) -> f32[N, T, I] {
  param w: f32[I, I] = normal(0.0, 0.4);
  return attention(x @ w, x, x, heads = 2);
}
att: SeqAtt<D>[E];
train merged_task(xs: f32[B, T, D], ids: i64[B], target: f32[B, T, D]) {
  minimize mse(route xs to att by task(ids) combine merge, target);
  update att with sgd(lr = 1.0);
}

// `merge` per example with soft weights over the same attention module:
// the mix is linear in the parameters, which enter only through `x @ w`,
// so the route factors exactly (each example's weights spread over its
// tokens); the attention stays within each example.
train merged_attention(xs: f32[B, T, D], target: f32[B, T, D]) {
  minimize mse(route xs to att by softmax(gate(mean(xs, 1))) combine merge, target);
  update gate, att with sgd(lr = 1.0);
}

// The same experts routed top-2 per example (a weighted sum): grouped,
// the attention running on the packed examples of all experts.
train routed_attention(xs: f32[B, T, D], target: f32[B, T, D]) {
  minimize mse(route xs to att by topk(gate(mean(xs, 1)), 2), target);
  update gate, att with sgd(lr = 1.0);
}

train merged_attention_top2(xs: f32[B, T, D], target: f32[B, T, D]) {
  minimize mse(route xs to att by topk(gate(mean(xs, 1)), 2) combine merge, target);
  update gate, att with sgd(lr = 1.0);
}

// A route inside a module (a mixture-of-experts block): lowered in the
// train block's differentiable form after the block is inlined.
module MoEBlock<I, F>(x: f32[N, I]) -> f32[N, I] {
  g: Gate<I, 4>;
  ex: Expert<I, F>[4];
  return x + route x to ex by topk(g(x), 2);
}

block: MoEBlock<D, H>;

train nested(x: f32[N, D], target: f32[N, D]) {
  minimize mse(block(x), target);
  update block with sgd(lr = 1.0);
}
