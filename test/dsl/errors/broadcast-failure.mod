// Elementwise arithmetic broadcasts NumPy-style; incompatible shapes are an
// error naming both types.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
dyn M;
entry f(x: f32[N, 4], y: f32[N, 3], z: f32[M, 4], w: f32[4, 1, 4]) -> f32[N, 4] {
  let ok = x + w;
  let a = x + y;
  let b = x - z;
  return x;
}
// CHECK:      [[FILE]]:9:13: error: shapes do not broadcast: f32[N, 4] + f32[N, 3]
// CHECK-NEXT:   let a = x + y;
// CHECK-NEXT:             ^
// CHECK:      [[FILE]]:10:13: error: shapes do not broadcast: f32[N, 4] - f32[M, 4]
// CHECK-NEXT:   let b = x - z;
// CHECK-NEXT:             ^
