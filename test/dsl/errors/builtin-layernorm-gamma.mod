// layernorm's gamma and beta must be 1-D over the last axis of x; rmsnorm's
// gamma too.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
param g4: f32[4];
param g3: f32[3];
param g44: f32[4, 4];
entry f(x: f32[N, 4]) -> f32[N, 4] {
  let a = layernorm(x, g3, g4);
  let b = layernorm(x, g4, g44);
  let c = rmsnorm(x, g3);
  return layernorm(x, g4, g4, eps = -1.0);
}
// CHECK:      [[FILE]]:10:24: error: 'layernorm': gamma must be f32[4], got f32[3]
// CHECK-NEXT:   let a = layernorm(x, g3, g4);
// CHECK-NEXT:                        ^
// CHECK:      [[FILE]]:11:28: error: 'layernorm': beta must be f32[4], got f32[4, 4]
// CHECK-NEXT:   let b = layernorm(x, g4, g44);
// CHECK-NEXT:                            ^
// CHECK:      [[FILE]]:12:22: error: 'rmsnorm': gamma must be f32[4], got f32[3]
// CHECK-NEXT:   let c = rmsnorm(x, g3);
// CHECK-NEXT:                      ^
// CHECK:      [[FILE]]:13:37: error: 'layernorm': eps must not be negative
// CHECK-NEXT:   return layernorm(x, g4, g4, eps = -1.0);
// CHECK-NEXT:                                     ^
