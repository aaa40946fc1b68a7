// reshape keeps the number of elements; symbolic dims are compared as
// linear expressions.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N, 4]) -> f32[N, 4] {
  let ok = reshape(x, [N, 2, 2]);
  let a = reshape(x, [N, 5]);
  let b = reshape(x, [2 * N, 4]);
  let c = reshape(x, [N, -4]);
  let d = reshape(x, N);
  return x;
}
// CHECK:      [[FILE]]:8:11: error: 'reshape': f32[N, 4] and f32[N, 5] do not have the same number of elements
// CHECK-NEXT:   let a = reshape(x, [N, 5]);
// CHECK-NEXT:           ^
// CHECK:      [[FILE]]:9:11: error: 'reshape': f32[N, 4] and f32[2 * N, 4] do not have the same number of elements
// CHECK-NEXT:   let b = reshape(x, [2 * N, 4]);
// CHECK-NEXT:           ^
// CHECK:      [[FILE]]:10:22: error: 'reshape': dimension -4 is negative
// CHECK-NEXT:   let c = reshape(x, [N, -4]);
// CHECK-NEXT:                      ^
// CHECK:      [[FILE]]:11:22: error: 'reshape' needs a list of dimensions like [N, 4]
// CHECK-NEXT:   let d = reshape(x, N);
// CHECK-NEXT:                      ^
