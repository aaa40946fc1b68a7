// The number of returned values must match the declared results; a module
// returns one tensor.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Two(x: f32[N]) -> (f32[N], f32[N]) { return (x, x); }
entry f(x: f32[N]) -> (f32[N], f32[N]) { return x; }
entry g(x: f32[N]) -> f32[N] { return (x, x); }
// CHECK:      [[FILE]]:6:27: error: a module returns one tensor
// CHECK-NEXT: module Two(x: f32[N]) -> (f32[N], f32[N]) { return (x, x); }
// CHECK-NEXT:                           ^
// CHECK:      [[FILE]]:7:49: error: 'f' returns 2 values, got 1
// CHECK-NEXT: entry f(x: f32[N]) -> (f32[N], f32[N]) { return x; }
// CHECK-NEXT:                                                 ^
// CHECK:      [[FILE]]:8:39: error: 'g' returns 1 value, got 2
// CHECK-NEXT: entry g(x: f32[N]) -> f32[N] { return (x, x); }
// CHECK-NEXT:                                       ^
