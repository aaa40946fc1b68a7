// A dyn dimension is an integer: combining it with a float or using it as a
// tensor value is an error.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N]) -> f32[N] {
  let a = x * (N * 0.5);
  return x * N;
}
// CHECK:      [[FILE]]:7:18: error: a dyn dimension cannot be combined with a float
// CHECK-NEXT:   let a = x * (N * 0.5);
// CHECK-NEXT:                  ^
// CHECK:      [[FILE]]:8:12: error: a dyn dimension cannot be used as a tensor value
// CHECK-NEXT:   return x * N;
// CHECK-NEXT:            ^
