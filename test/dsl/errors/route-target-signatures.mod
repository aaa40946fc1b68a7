// Targets must have identical signatures; the note points at the module of
// the target that differs.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dim E = 3;
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O];
  return x @ w;
}

a: Lin<D, D>;
b: Lin<D, 8>;
entry f(x: f32[N, D]) -> f32[N, D] {
  return route x to [a, b] by all;
}
// CHECK:      [[FILE]]:16:25: error: routing targets must have identical signatures: 'b' is Lin<4, 8>(f32[N, 4]) -> f32[N, 8], but 'a' is Lin<4, 4>(f32[N, 4]) -> f32[N, 4]
// CHECK-NEXT:   return route x to [a, b] by all;
// CHECK-NEXT:                         ^
// CHECK-NEXT: [[FILE]]:8:8: note: module defined here
// CHECK-NEXT: module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
// CHECK-NEXT:        ^
