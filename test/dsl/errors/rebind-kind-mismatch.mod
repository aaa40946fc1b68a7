// A let bound to a compile-time number cannot be re-bound to a tensor.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N]) -> f32[N] {
  let k = 2;
  k = x;
  return x * k;
}
// CHECK:      [[FILE]]:7:3: error: 'k' is re-bound to a different kind of value
// CHECK-NEXT:   k = x;
// CHECK-NEXT:   ^
