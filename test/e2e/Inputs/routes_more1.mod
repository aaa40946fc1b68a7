// Routes beyond the examples, -O2 against -O0: fused bodies with
// layernorm, softmax and a reshaped result; expert_choice, hash and weights
// routers; merge by factoring; a nested module (not fused).
model r1;
dim D = 16;
dim H = 24;
dyn N;
module Exp(x: f32[N, D]) -> f32[N, 4, 4] {
  param w: f32[D, H] = xavier;
  param g: f32[H] = ones;
  param b: f32[H] = zeros;
  param w2: f32[H, D] = xavier;
  let h = layernorm(x @ w, g, b);
  let s = softmax(h) * gelu(h);
  return reshape(s @ w2 + x, [N, 4, 4]);
}
module Norm(x: f32[N, D]) -> f32[N, D] {
  param w: f32[D, D] = xavier;
  param g: f32[D] = ones;
  return rmsnorm(x @ w, g) + x;
}
module Nested(x: f32[N, D]) -> f32[N, D] {
  inner: Norm;
  return inner(x) * 2.0;
}
param g5: f32[D, 5] = normal(0.0, 1.0);
e: Exp[5];
n: Norm[5];
m: Nested[5];
entry ec(x: f32[N, D]) -> f32[N, 4, 4] { return route x to e by expert_choice(x @ g5, 0.6); }
entry hashed(x: f32[N, D], ids: i64[N]) -> f32[N, 4, 4] { return route x to e by hash(ids); }
entry weighted(x: f32[N, D], w: f32[N, 5]) -> f32[N, D] { return route x to n by weights(w) combine max; }
entry merged(x: f32[N, D]) -> f32[N, D] { return route x to n by softmax(x @ g5) combine merge; }
entry nested(x: f32[N, D]) -> f32[N, D] { return route x to m by topk(x @ g5, 2); }
entry soft(x: f32[N, D]) -> f32[N, 4, 4] { return route x to e by softmax(x @ g5) combine mean; }
