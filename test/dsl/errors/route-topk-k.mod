// topk needs 1 <= k <= E, k a compile-time integer; normalize is a
// boolean; capacity is not negative.
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
param wg: f32[D, E];
entry f(x: f32[N, D]) -> f32[N, D] {
  let a = route x to experts by topk(x @ wg, 0);
  let b = route x to experts by topk(x @ wg, 4);
  let c = route x to experts by topk(x @ wg, N);
  let d = route x to experts by topk(x @ wg, 2, normalize = 1);
  let e = route x to experts by topk(x @ wg, 2, capacity = -1.0);
  let g = route x to experts by expert_choice(x @ wg, x);
  return x;
}
// CHECK:      [[FILE]]:16:46: error: 'topk': k = 0 must be between 1 and the number of targets, 3
// CHECK-NEXT:   let a = route x to experts by topk(x @ wg, 0);
// CHECK-NEXT:                                              ^
// CHECK:      [[FILE]]:17:46: error: 'topk': k = 4 must be between 1 and the number of targets, 3
// CHECK-NEXT:   let b = route x to experts by topk(x @ wg, 4);
// CHECK-NEXT:                                              ^
// CHECK:      [[FILE]]:18:46: error: 'topk': k must be a compile-time integer
// CHECK-NEXT:   let c = route x to experts by topk(x @ wg, N);
// CHECK-NEXT:                                              ^
// CHECK:      [[FILE]]:19:61: error: 'topk': normalize must be true or false
// CHECK-NEXT:   let d = route x to experts by topk(x @ wg, 2, normalize = 1);
// CHECK-NEXT:                                                             ^
// CHECK:      [[FILE]]:20:60: error: 'topk': capacity must not be negative
// CHECK-NEXT:   let e = route x to experts by topk(x @ wg, 2, capacity = -1.0);
// CHECK-NEXT:                                                            ^
// CHECK:      [[FILE]]:21:55: error: 'expert_choice': capacity must be a compile-time number
// CHECK-NEXT:   let g = route x to experts by expert_choice(x @ wg, x);
// CHECK-NEXT:                                                       ^
