// The last dim of logits or weights is the number of targets E.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dim E = 3;
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O];
  return x @ w;
}

experts: Lin<D, D>[E];
param w4: f32[D, 4];
entry f(x: f32[N, D], w: f32[N, N]) -> f32[N, D] {
  let a = route x to experts by topk(x @ w4, 1);
  let b = route x to experts by weights(w);
  return x;
}
// CHECK:      [[FILE]]:15:40: error: 'topk': the last dimension of logits (4) must be the number of targets, 3
// CHECK-NEXT:   let a = route x to experts by topk(x @ w4, 1);
// CHECK-NEXT:                                        ^
// CHECK:      [[FILE]]:16:41: error: 'weights': the last dimension of w (N) must be the number of targets, 3
// CHECK-NEXT:   let b = route x to experts by weights(w);
// CHECK-NEXT:                                         ^
