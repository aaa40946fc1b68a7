// An argument whose type does not match the module's signature is an error
// at the call, with a note at the module.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O];
  return x @ w;
}
l: Lin<4, 8>;
entry f(x: f32[N, 5], i: i32[N, 4]) -> f32[N, 8] {
  let a = l(i);
  return l(x);
}
// CHECK:      [[FILE]]:12:11: error: argument 1 of 'l' has type i32[N, 4], but Lin<4, 8> expects f32[N, 4]
// CHECK-NEXT:   let a = l(i);
// CHECK-NEXT:           ^
// CHECK-NEXT: [[FILE]]:6:8: note: module defined here
// CHECK-NEXT: module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
// CHECK-NEXT:        ^
// CHECK:      [[FILE]]:13:10: error: argument 1 of 'l' has type f32[N, 5], but Lin<4, 8> expects f32[N, 4]
// CHECK-NEXT:   return l(x);
// CHECK-NEXT:          ^
// CHECK-NEXT: [[FILE]]:6:8: note: module defined here
// CHECK-NEXT: module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
// CHECK-NEXT:        ^
