// A negative dimension in a tensor type is an error at that dimension.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
dim D = 4;
entry f(x: f32[N, D - 5]) -> f32[N] { return sum(x, 1); }
// CHECK:      [[FILE]]:6:21: error: dimension must not be negative, got -1
// CHECK-NEXT: entry f(x: f32[N, D - 5]) -> f32[N] { return sum(x, 1); }
// CHECK-NEXT:                     ^
