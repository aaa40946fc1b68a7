// weighted_sum and mean need floating-point target results.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dim E = 3;
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O];
  return x @ w;
}

module Ids(x: f32[N, D]) -> i64[N] { return argmax(x, axis = 1); }
pick: Ids[E];
entry f(x: f32[N, D], t: i32[N]) -> i64[N] {
  let a = route x to pick by task(t);
  let b = route x to pick by all combine mean;
  return route x to pick by all combine max;
}
// CHECK:      [[FILE]]:15:11: error: 'weighted_sum' needs floating-point target results
// CHECK-NEXT:   let a = route x to pick by task(t);
// CHECK-NEXT:           ^
// CHECK:      [[FILE]]:16:11: error: 'mean' needs floating-point target results
// CHECK-NEXT:   let b = route x to pick by all combine mean;
// CHECK-NEXT:           ^
