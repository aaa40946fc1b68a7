// Every dimension of a tensor type is an integer expression.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
dim D = 4;
param w: f32[2.5];
entry f(x: f32[N, 4]) -> f32[N, D / 2.0] { return x; }
// CHECK:      [[FILE]]:6:14: error: a dimension must be an integer expression
// CHECK-NEXT: param w: f32[2.5];
// CHECK-NEXT:              ^
// CHECK:      [[FILE]]:7:35: error: a dimension must be an integer expression
// CHECK-NEXT: entry f(x: f32[N, 4]) -> f32[N, D / 2.0] { return x; }
// CHECK-NEXT:                                   ^
