// A template parameter without a default needs an argument; the note points
// at the parameter.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Lin<I, O, r = 4>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O];
  return x @ w;
}
l: Lin<8>;
// CHECK:      [[FILE]]:10:4: error: missing template argument 'O' of module 'Lin'
// CHECK-NEXT: l: Lin<8>;
// CHECK-NEXT:    ^
// CHECK-NEXT: [[FILE]]:6:15: note: 'O' is declared here
// CHECK-NEXT: module Lin<I, O, r = 4>(x: f32[N, I]) -> f32[N, O] {
// CHECK-NEXT:               ^
