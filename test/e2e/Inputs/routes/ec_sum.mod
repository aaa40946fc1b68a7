// Route test ec_sum: X f32[N, D].
// Its reference and inputs are in test/e2e/Inputs/run_routes.py.
model ec_sum;

dim D = 16;
dim H = 24;
dim O = 12;
dim E = 3;
dyn N;

module MLP<I, F, P>(x: f32[N, I]) -> f32[N, P] {
  param w1: f32[I, F] = xavier;
  param b1: f32[F] = zeros;
  param w2: f32[F, P] = xavier;
  param b2: f32[P] = zeros;
  return relu(x @ w1 + b1) @ w2 + b2;
}

experts: MLP<D, H, O>[E];

entry forward(x: f32[N, D], logits: f32[N, E]) -> f32[N, O] {
  return route x to experts by expert_choice(logits, 6e18) combine sum;
}
