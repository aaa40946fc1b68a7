// onehot's ids are integers and n is a positive compile-time integer.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N], i: i64[N]) -> f32[N, 4] {
  let a = onehot(x, 4);
  let b = onehot(i, 0);
  let c = onehot(i, N);
  return onehot(i, 4);
}
// CHECK:      [[FILE]]:6:18: error: 'onehot': ids must be i32 or i64, got f32[N]
// CHECK-NEXT:   let a = onehot(x, 4);
// CHECK-NEXT:                  ^
// CHECK:      [[FILE]]:7:21: error: 'onehot': n must be positive
// CHECK-NEXT:   let b = onehot(i, 0);
// CHECK-NEXT:                     ^
// CHECK:      [[FILE]]:8:21: error: 'onehot': n must be a compile-time integer
// CHECK-NEXT:   let c = onehot(i, N);
// CHECK-NEXT:                     ^
