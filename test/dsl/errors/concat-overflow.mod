// Shapes follow the 2^62 limit of dims: concat past it, and a result shape
// past it after binding a module's dyns, are overflow errors.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Twice(x: f32[4, N]) -> f32[4, 2 * N] { return concat(x, x, axis = 1); }
twice: Twice;
entry f(x: f32[4611686018427387904], y: f32[4, 4611686018427387904]) -> f32[4] {
  let a = concat(x, x);
  let b = twice(y);
  return sum(y, 1);
}
// CHECK:      [[FILE]]:9:11: error: 'concat': the result dimension overflows 2^62
// CHECK-NEXT:   let a = concat(x, x);
// CHECK-NEXT:           ^
// CHECK:      [[FILE]]:10:11: error: integer overflow in the result shape
// CHECK-NEXT:   let b = twice(y);
// CHECK-NEXT:           ^
