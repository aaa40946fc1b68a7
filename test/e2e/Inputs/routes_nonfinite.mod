// Routing on NaN and infinite logits and expert outputs
// (test/e2e/routes_nonfinite.test).
model nf;
dim D = 4;
dim E = 3;
dyn N;
module Lin<I>(x: f32[N, I]) -> f32[N, I] {
  param w: f32[I, I] = normal(0.0, 1.0);
  return x @ w;
}
module Scale<I>(x: f32[N, I]) -> f32[N, I] {
  param s: f32[I] = ones;
  return x * s + 1.0;
}
ex: Lin<D>[E];
sc: Scale<D>[E];
one: Scale<D>[1];
entry k1(x: f32[N, D], g: f32[N, E]) -> f32[N, D] { return route x to ex by topk(g, 1); }
entry k2(x: f32[N, D], g: f32[N, E]) -> f32[N, D] { return route x to ex by topk(g, 2, normalize = false); }
entry ec(x: f32[N, D], g: f32[N, E]) -> f32[N, D] { return route x to ex by expert_choice(g, 1.0); }
entry wmax(x: f32[N, D], g: f32[N, E]) -> f32[N, D] { return route x to sc by weights(g) combine max; }
entry amax(x: f32[N, D]) -> f32[N, D] { return route x to sc by all combine max; }
entry one_k(x: f32[N, D], g: f32[N, 1]) -> f32[N, D] { return route x to one by topk(g, 1); }
entry one_s(x: f32[N, D], g: f32[N, 1]) -> f32[N, D] { return route x to one by softmax(g); }
entry one_sum(x: f32[N, D], g: f32[N, 1]) -> f32[N, D] { return route x to one by softmax(g) combine sum; }
