// Element counts of a reshape are compared as polynomials in the dyns, so
// reshapes over several dyns are accepted exactly when the counts agree
// (f32[B, T, 2] -> [B, 2 * T] used to be refused).
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn B;
dyn T;
entry ok(x: f32[B, T, 2]) -> f32[B, 2 * T] { return reshape(x, [B, 2 * T]); }
entry ok3(x: f32[B, T, 6]) -> f32[3, 2 * B, T] { return reshape(x, [3, 2 * B, T]); }
entry ok_sum(x: f32[B, T + 1, 4]) -> f32[B, 2 * T + 2, 2] { return reshape(x, [B, 2 * T + 2, 2]); }
entry bad(x: f32[B, T, 2]) -> f32[B, 3 * T] { return reshape(x, [B, 3 * T]); }
entry bad_mix(x: f32[B, T]) -> f32[T + B] { return reshape(x, [T + B]); }
// CHECK: [[FILE]]:11:54: error: 'reshape': f32[B, T, 2] and f32[B, 3 * T] do not have the same number of elements
// CHECK: [[FILE]]:12:52: error: 'reshape': f32[B, T] and f32[B + T] do not have the same number of elements
