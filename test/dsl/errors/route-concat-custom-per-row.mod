// `concat` and a custom aggregation combine outputs of a fixed set of
// targets: only with `all` or `fixed`, not with a per-row router.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dim E = 3;
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O];
  return x @ w;
}

module Fuse(x: f32[N, D], outs: f32[N, E, D]) -> f32[N, D] { return x; }
experts: Lin<D, D>[E];
fuse: Fuse;
param wg: f32[D, E];
entry f(x: f32[N, D]) -> f32[N, D] {
  let a = route x to experts by topk(x @ wg, 2) combine concat;
  let b = route x to experts by softmax(x @ wg) combine fuse;
  return x;
}
// CHECK:      [[FILE]]:18:57: error: 'concat' is only allowed with the routers 'all' and 'fixed', not 'topk'
// CHECK-NEXT:   let a = route x to experts by topk(x @ wg, 2) combine concat;
// CHECK-NEXT:                                                         ^
// CHECK:      [[FILE]]:19:57: error: custom aggregation is only allowed with the routers 'all' and 'fixed', not 'softmax'
// CHECK-NEXT:   let b = route x to experts by softmax(x @ wg) combine fuse;
// CHECK-NEXT:                                                         ^
