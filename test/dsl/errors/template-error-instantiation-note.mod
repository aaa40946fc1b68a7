// An error inside a template body names the instantiation it comes from;
// the same error from a second instantiation is not repeated.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Proj<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O];
  return x @ w + missing;
}
a: Proj<4, 8>;
b: Proj<4, 16>;
// CHECK:      [[FILE]]:8:18: error: unknown name 'missing'
// CHECK-NEXT:   return x @ w + missing;
// CHECK-NEXT:                  ^
// CHECK-NEXT: [[FILE]]:10:4: note: in Proj<4, 8>, instantiated here
// CHECK-NEXT: a: Proj<4, 8>;
// CHECK-NEXT:    ^
