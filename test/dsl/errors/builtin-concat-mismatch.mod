// concat's parts must agree outside the axis, in rank and element type, and
// there must be at least two.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
dyn M;
entry f(x: f32[N, 4], y: f32[M, 4], z: f32[N, 3], i: i32[N, 4]) -> f32[N, 4] {
  let a = concat(x, y, axis = -1);
  let b = concat(x, y, axis = 0);
  let c = concat(x, z, axis = 0);
  let d = concat(x, i);
  let e = concat(x);
  return x;
}
// CHECK:      [[FILE]]:8:21: error: 'concat': f32[M, 4] does not match f32[N, 4] outside axis 1
// CHECK-NEXT:   let a = concat(x, y, axis = -1);
// CHECK-NEXT:                     ^
// CHECK:      [[FILE]]:10:21: error: 'concat': f32[N, 3] does not match f32[N, 4] outside axis 0
// CHECK-NEXT:   let c = concat(x, z, axis = 0);
// CHECK-NEXT:                     ^
// CHECK:      [[FILE]]:11:21: error: 'concat': i32[N, 4] does not match f32[N, 4] outside axis 1
// CHECK-NEXT:   let d = concat(x, i);
// CHECK-NEXT:                     ^
// CHECK:      [[FILE]]:12:11: error: 'concat' needs at least two tensors
// CHECK-NEXT:   let e = concat(x);
// CHECK-NEXT:           ^
