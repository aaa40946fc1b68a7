// Route test example_weights_merge: X f32[B, T, D] routed per example.
// Its reference and inputs are in test/e2e/Inputs/run_routes.py.
model example_weights_merge;

dim D = 8;
dim H = 16;
dim E = 3;
dyn B;
dyn T;
dyn N;

// Applied to whole examples [N, T, I]: mixes the T axis, so per-example
// routing differs from per-token routing.
module Seq<I, F>(x: f32[N, T, I]) -> f32[N, T, I] {
  param w1: f32[I, F] = xavier;
  param w2: f32[F, I] = xavier;
  param w3: f32[I, I] = xavier;
  return tanh(x @ w1) @ w2 + mean(x, axis = 1, keepdims = true) @ w3;
}

experts: Seq<D, H>[E];

entry forward(x: f32[B, T, D], w: f32[B, E]) -> f32[B, T, D] {
  return route x to experts by weights(w) combine merge;
}
