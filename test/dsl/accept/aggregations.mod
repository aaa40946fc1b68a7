// Every aggregation of LANGUAGE.md §7: the defaults (weighted_sum for
// per-row routers, sum for fixed/all), sum, mean, max, concat (fixed/all
// only, on the last axis), merge (one module) and a custom aggregation
// instance m(x, outs) with outs [..., E', O].
// RUN: modc %s --check
model aggregations;
dim D = 8;
dim E = 3;
dyn N;

module Expert<M>(x: f32[N, M]) -> f32[N, M] {
  param w: f32[M, M] = xavier;
  return x @ w;
}
module Fuse<M, K>(h: f32[N, M], outs: f32[N, K, M]) -> f32[N, M] {
  param q: f32[M, M] = xavier;
  let scores = softmax(reshape(h @ q, [N, 1, M]) @ transpose(outs, [0, 2, 1]));
  return reshape(scores @ outs, [N, M]);
}

experts: Expert<D>[E];
fuse3: Fuse<D, E>;
fuse2: Fuse<D, 2>;
param wg: f32[D, E] = normal(0.0, 0.02);

entry forward(x: f32[N, D], t: i32[N]) -> (f32[N, D], f32[N, 24], f32[N, 16]) {
  let l = x @ wg;
  let a = route x to experts by topk(l, 2) combine weighted_sum;
  let b = route x to experts by softmax(l) combine sum;
  let c = route x to experts by task(t) combine mean;
  let d = route x to experts by weights(softmax(l)) combine max;
  let e = route x to experts by topk(l, 2) combine merge;
  let f = route x to experts by all combine merge;
  let g = route x to experts by all combine fuse3;
  let h = route x to experts by fixed(2, 0) combine fuse2;
  let i = route x to experts by all;
  let j = route x to experts by fixed(1) combine mean;
  let k = route x to experts by all combine concat;
  let m = route x to experts by fixed(2, 1) combine concat;
  return (a + b + c + d + e + f + g + h + i + j, k, m);
}
