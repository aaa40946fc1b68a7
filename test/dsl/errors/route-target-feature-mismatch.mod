// The routed rows' feature dims and element type must match the target's
// signature.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dim E = 3;
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O];
  return x @ w;
}

narrow: Lin<2, D>[E];
entry f(x: f32[N, D], i: i32[N], xi: i32[N, D]) -> f32[N, D] {
  let a = route x to narrow by task(i);
  return x;
}
// CHECK:      [[FILE]]:15:11: error: targets receive the routed rows as f32[R, 4], but Lin<2, 4> takes f32[N, 2]
// CHECK-NEXT:   let a = route x to narrow by task(i);
// CHECK-NEXT:           ^
// CHECK-NEXT: [[FILE]]:8:8: note: module defined here
// CHECK-NEXT: module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
// CHECK-NEXT:        ^
