// Parameter initialisers are zeros, ones, const(v), normal(mean, std),
// uniform(lo, hi) and xavier, with exactly their arguments.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
param a: f32[4] = glorot;
param b: f32[4] = normal(0.0);
param c: f32[4] = xavier();
param d: f32[4] = normal(0.0, -1.0);
param e: f32[4] = uniform(1.0, 0.0);
param f: f32[4] = const(a);
param g: f32[4] = const(-0.5);
// CHECK:      [[FILE]]:5:19: error: unknown initialiser 'glorot' (expected zeros, ones, const, normal, uniform or xavier)
// CHECK-NEXT: param a: f32[4] = glorot;
// CHECK-NEXT:                   ^
// CHECK:      [[FILE]]:6:19: error: initialiser 'normal' takes 2 arguments, got 1
// CHECK-NEXT: param b: f32[4] = normal(0.0);
// CHECK-NEXT:                   ^
// CHECK:      [[FILE]]:7:19: error: initialiser 'xavier' takes no arguments
// CHECK-NEXT: param c: f32[4] = xavier();
// CHECK-NEXT:                   ^
// CHECK:      [[FILE]]:8:31: error: normal(): the standard deviation must not be negative
// CHECK-NEXT: param d: f32[4] = normal(0.0, -1.0);
// CHECK-NEXT:                               ^
// CHECK:      [[FILE]]:9:32: error: uniform(): the upper bound is below the lower
// CHECK-NEXT: param e: f32[4] = uniform(1.0, 0.0);
// CHECK-NEXT:                                ^
// CHECK:      [[FILE]]:10:25: error: 'a' is a model-level parameter, not a compile-time value
// CHECK-NEXT: param f: f32[4] = const(a);
// CHECK-NEXT:                         ^
