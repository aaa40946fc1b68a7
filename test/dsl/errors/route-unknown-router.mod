// The router is one of topk, softmax, expert_choice, task, hash, weights,
// fixed and all.
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
  let a = route x to experts by top2(x @ wg);
  return route x to experts by x @ wg;
}
// CHECK:      [[FILE]]:16:33: error: 'top2' is not a router (expected topk, softmax, expert_choice, task, hash, weights, fixed or all)
// CHECK-NEXT:   let a = route x to experts by top2(x @ wg);
// CHECK-NEXT:                                 ^
// CHECK:      [[FILE]]:17:34: error: this is not a router (expected topk, softmax, expert_choice, task, hash, weights, fixed or all)
// CHECK-NEXT:   return route x to experts by x @ wg;
// CHECK-NEXT:                                  ^
