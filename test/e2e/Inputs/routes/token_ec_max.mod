// Route test token_ec_max: X f32[B, T, D] routed per token.
// Its reference and inputs are in test/e2e/Inputs/run_routes.py.
model token_ec_max;

dim D = 8;
dim H = 24;
dim O = 6;
dim E = 3;
dyn B;
dyn T;
dyn N;

module MLP<I, F, P>(x: f32[N, I]) -> f32[N, P] {
  param w1: f32[I, F] = xavier;
  param b1: f32[F] = zeros;
  param w2: f32[F, P] = xavier;
  param b2: f32[P] = zeros;
  return relu(x @ w1 + b1) @ w2 + b2;
}

experts: MLP<D, H, O>[E];

entry forward(x: f32[B, T, D], logits: f32[B, T, E]) -> f32[B, T, O] {
  return route x to experts by expert_choice(logits, 1.0) combine max;
}
