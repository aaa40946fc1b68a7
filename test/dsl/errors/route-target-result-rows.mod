// A routed target returns one row per row it receives.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dim E = 3;
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O];
  return x @ w;
}

module Rows(x: f32[N, D]) -> f32[2, D] {
  param p: f32[2, D];
  return p;
}
pools: Rows[E];
entry f(x: f32[N, D], i: i32[N]) -> f32[N, D] {
  return route x to pools by task(i);
}
// CHECK:      [[FILE]]:18:10: error: a routed target must return one row per input row, but Rows returns f32[2, 4]
// CHECK-NEXT:   return route x to pools by task(i);
// CHECK-NEXT:          ^
// CHECK-NEXT: [[FILE]]:12:8: note: module defined here
// CHECK-NEXT: module Rows(x: f32[N, D]) -> f32[2, D] {
// CHECK-NEXT:        ^
