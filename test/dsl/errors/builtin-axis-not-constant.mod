// An axis is a compile-time integer.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N, 4]) -> f32[N] {
  return sum(x, axis = N);
}
// CHECK:      [[FILE]]:6:24: error: 'sum': axis must be a compile-time integer
// CHECK-NEXT:   return sum(x, axis = N);
// CHECK-NEXT:                        ^
