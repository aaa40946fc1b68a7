// max, min and argmax over an axis of size 0 have no value: an error at
// compile time when the size is a constant (a run-time error 1 for a dyn).
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim Z = 0;
dyn N;
entry ok(x: f32[N, 4]) -> f32[4] { return max(x, axis = 0); }
entry f(x: f32[N, Z]) -> f32[N] { return max(x, axis = 1); }
entry g(x: f32[Z, N]) -> i64[N] { return argmax(x, axis = 0); }
// CHECK: [[FILE]]:8:42: error: 'max' over axis 1 of f32[N, 0], which is empty
// CHECK: [[FILE]]:9:42: error: 'argmax' over axis 0 of f32[0, N], which is empty
