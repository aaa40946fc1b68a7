// Route test fixed_merge: X f32[N, D].
// Its reference and inputs are in test/e2e/Inputs/run_routes.py.
model fixed_merge;

dim D = 16;
dim H = 24;
dim E = 4;
dyn N;

// Not linear in its parameters, and x (not 0) when they are all zero.
module Res<I, F>(x: f32[N, I]) -> f32[N, I] {
  param w1: f32[I, F] = xavier;
  param b1: f32[F] = zeros;
  param w2: f32[F, I] = xavier;
  return x + tanh(x @ w1 + b1) @ w2;
}

experts: Res<D, H>[E];

entry forward(x: f32[N, D]) -> f32[N, D] {
  return route x to experts by fixed(0, 2) combine merge;
}
