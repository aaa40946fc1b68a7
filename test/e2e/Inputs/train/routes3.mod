// `merge` over modules whose parameters enter nonlinearly (LANGUAGE.md §7:
// theta_r = sum_e w[r, e] theta_e, then the module; a different function
// from mixing outputs): trained row by row on each row's mixed parameters.
// And `max` over experts that fuse at inference (each row's gradient to
// the target that gave its maximum, not to every chosen one).
model troute3;
dim D = 8;
dim E = 3;
dim P = 2;
dim T = 3;
dyn N;
dyn B;

module Gate<I, K>(x: f32[N, I]) -> f32[N, K] {
  param w: f32[I, K] = normal(0.0, 0.7);
  return x @ w;
}

// A parameter transformed before its matmul, and one squared.
module Squash<I>(x: f32[N, I]) -> f32[N, I] {
  param w: f32[I, I] = normal(0.0, 0.6);
  param b: f32[I] = normal(0.0, 0.5);
  return x @ tanh(w) + b * b;
}

// Prefix tuning: the prefixes join the keys and values of an attention
// over the example's tokens (softmax over them: not linear).
module Prefix<I>(x: f32[B, T, I]) -> f32[B, T, I] {
  param pk: f32[P, I] = normal(0.0, 0.5);
  param pv: f32[P, I] = normal(0.0, 0.5);
  let k = concat(expand(pk, [B, P, I]), x, axis = 1);
  let v = concat(expand(pv, [B, P, I]), x, axis = 1);
  return attention(x, k, v, heads = 2);
}

// The attention of an example's tokens with a squashed query weight.
module TanhAtt<I>(x: f32[B, T, I]) -> f32[B, T, I] {
  param w: f32[I, I] = normal(0.0, 0.6);
  return attention(x @ tanh(w), x, x, heads = 2);
}

gate: Gate<D, E>;
squash: Squash<D>[E];
prefix: Prefix<D>[E];
tatt: TanhAtt<D>[E];

// Per token, soft weights.
train merged_rows(x: f32[N, D], target: f32[N, D]) {
  minimize mse(route x to squash by softmax(gate(x)) combine merge, target);
  update gate, squash with sgd(lr = 1.0);
}

// Per token, top-1 with a capacity: dropped rows merge nothing (0).
train merged_dropped(x: f32[N, D], target: f32[N, D]) {
  minimize mse(route x to squash by topk(gate(x), 1, capacity = 0.5) combine merge, target);
  update gate, squash with sgd(lr = 1.0);
}

// Per example, top-2 weights over prefixes.
train merged_prefix(xs: f32[B, T, D], target: f32[B, T, D]) {
  minimize mse(route xs to prefix by topk(gate(mean(xs, 1)), 2) combine merge, target);
  update gate, prefix with sgd(lr = 1.0);
}

// Per example, soft weights; only the experts are updated.
train merged_tanh(xs: f32[B, T, D], target: f32[B, T, D]) {
  minimize mse(route xs to tatt by softmax(gate(mean(xs, 1))) combine merge, target);
  update tatt with sgd(lr = 1.0);
}

// Experts of one matmul each (fused at inference), top-2 combined by max.
module Lin<I>(x: f32[N, I]) -> f32[N, I] {
  param w: f32[I, I] = normal(0.0, 0.4);
  return x @ w;
}
lin: Lin<D>[E];
train max_fused(x: f32[N, D], target: f32[N, D]) {
  minimize mse(route x to lin by topk(gate(x), 2) combine max, target);
  update gate, lin with sgd(lr = 1.0);
}

// Merge over modules that route inside (a softmax over their own
// experts), after another such module: the row loop's backward runs the
// inner route's rules row by row.
module Outer<I>(x: f32[N, I]) -> f32[N, I] {
  param g: f32[I, 2] = normal(0.0, 1.0);
  sub: Lin<I>[2];
  return route x to sub by softmax(x @ g);
}
outers: Outer<D>[2];
first: Outer<D>;
train merged_nested(x: f32[N, D], w: f32[N, 2], target: f32[N, D]) {
  minimize mse(route first(x) to outers by weights(w) combine merge, target);
  update first, outers with sgd(lr = 1.0);
}

// The same route at inference (the per-weight-vector form).
entry forward(xs: f32[B, T, D]) -> f32[B, T, D] {
  return route xs to prefix by topk(gate(mean(xs, 1)), 2) combine merge;
}
