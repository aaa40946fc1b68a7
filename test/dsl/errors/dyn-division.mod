// Dividing by a dyn is not linear; dividing a dyn expression by a constant
// must be exact.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[4 / N]) -> f32[4] { return x; }
entry g(x: f32[(2 * N + 1) / 2]) -> f32[N] { return x; }
// CHECK:      [[FILE]]:6:18: error: cannot divide by the dyn dimension 'N'
// CHECK-NEXT: entry f(x: f32[4 / N]) -> f32[4] { return x; }
// CHECK-NEXT:                  ^
// CHECK:      [[FILE]]:7:28: error: '(2 * N + 1) / 2' is not an exact integer division
// CHECK-NEXT: entry g(x: f32[(2 * N + 1) / 2]) -> f32[N] { return x; }
// CHECK-NEXT:                            ^
