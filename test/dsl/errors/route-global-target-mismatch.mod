// With fixed and all, targets receive X unchanged and must accept its type.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dim E = 3;
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O];
  return x @ w;
}

experts: Lin<8, D>[E];
entry f(x: f32[N, D]) -> f32[N, D] {
  return route x to experts by all;
}
// CHECK:      [[FILE]]:14:10: error: argument 1 of 'experts' has type f32[N, 4], but Lin<8, 4> expects f32[N, 8]
// CHECK-NEXT:   return route x to experts by all;
// CHECK-NEXT:          ^
// CHECK-NEXT: [[FILE]]:7:8: note: module defined here
// CHECK-NEXT: module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
// CHECK-NEXT:        ^
