// A dyn in a signature is bound anew at each call, once per call: the same
// dyn must get the same size in every argument.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
dyn A;
dyn B;
module Add(x: f32[N], y: f32[N]) -> f32[N] { return x + y; }
add: Add;
entry ok(x: f32[A], y: f32[A]) -> f32[A] { return add(x, y); }
entry f(x: f32[A], y: f32[B]) -> f32[A] { return add(x, y); }
// CHECK:      [[FILE]]:11:50: error: argument 2 of 'add' has type f32[B], but Add expects f32[N]
// CHECK-NEXT: entry f(x: f32[A], y: f32[B]) -> f32[A] { return add(x, y); }
// CHECK-NEXT:                                                  ^
// CHECK-NEXT: [[FILE]]:8:8: note: module defined here
// CHECK-NEXT: module Add(x: f32[N], y: f32[N]) -> f32[N] { return x + y; }
// CHECK-NEXT:        ^
