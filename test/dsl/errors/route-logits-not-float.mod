// topk, softmax, expert_choice logits and weights(w) are floating-point
// tensors.
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
entry f(x: f32[N, D], il: i32[N, E], t: i32[N]) -> f32[N, D] {
  let a = route x to experts by softmax(il);
  let b = route x to experts by weights(il);
  let c = route x to experts by topk(t, 1);
  let d = route x to experts by softmax(2.0);
  return x;
}
// CHECK:      [[FILE]]:15:41: error: 'softmax': logits must be floating-point, got i32[N, 3]
// CHECK-NEXT:   let a = route x to experts by softmax(il);
// CHECK-NEXT:                                         ^
// CHECK:      [[FILE]]:16:41: error: 'weights': w must be floating-point, got i32[N, 3]
// CHECK-NEXT:   let b = route x to experts by weights(il);
// CHECK-NEXT:                                         ^
// CHECK:      [[FILE]]:17:38: error: 'topk': logits must be floating-point, got i32[N]
// CHECK-NEXT:   let c = route x to experts by topk(t, 1);
// CHECK-NEXT:                                      ^
// CHECK:      [[FILE]]:18:41: error: 'softmax': logits must be a tensor
// CHECK-NEXT:   let d = route x to experts by softmax(2.0);
// CHECK-NEXT:                                         ^
