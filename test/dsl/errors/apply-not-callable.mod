// Only instances, entries and builtins can be called.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
dim D = 4;
entry f(x: f32[N]) -> f32[N] {
  let a = x(x);
  let b = D(x);
  return x;
}
// CHECK:      [[FILE]]:7:11: error: 'x' is a tensor and cannot be called
// CHECK-NEXT:   let a = x(x);
// CHECK-NEXT:           ^
// CHECK:      [[FILE]]:8:11: error: 'D' is a number and cannot be called
// CHECK-NEXT:   let b = D(x);
// CHECK-NEXT:           ^
