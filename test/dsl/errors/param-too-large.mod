// A parameter's element count must fit in 2^62, and the model's parameter
// tensors are bounded (every one is listed and allocated).
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
param huge: f32[4611686018427387904, 2];
module Big(x: f32[N]) -> f32[N] {
  param w: f32[4];
  return x;
}
module Many(x: f32[N]) -> f32[N] {
  inner: Big[1000000];
  return x;
}
lots: Many[8];
// CHECK:      [[FILE]]:6:7: error: parameter 'huge' has 2^62 or more elements
// CHECK-NEXT: param huge: f32[4611686018427387904, 2];
// CHECK-NEXT:       ^
// CHECK:      [[FILE]]:15:1: error: the model has more than 4194304 parameter tensors
// CHECK-NEXT: lots: Many[8];
// CHECK-NEXT: ^
