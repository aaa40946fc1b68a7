// Route test all_custom: X f32[N, D].
// Its reference and inputs are in test/e2e/Inputs/run_routes.py.
model all_custom;

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

// Custom aggregation: outs stacks the chosen targets' outputs before the last axis.
module Mix<M, K, P>(h: f32[N, M], outs: f32[N, K, P]) -> f32[N, P] {
  param wg: f32[M, K] = xavier;
  let g = reshape(softmax(h @ wg, axis = -1), [N, 1, K]);
  return reshape(g @ outs, [N, P]) + max(outs, axis = 1);
}

experts: MLP<D, H, O>[E];
fuse: Mix<D, 3, O>;

entry forward(x: f32[N, D]) -> f32[N, O] {
  return route x to experts by all combine fuse;
}
