// A named argument the builtin does not have is an error at the name.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N, 4]) -> f32[N, 4] {
  let a = softmax(x, axes = 1);
  let b = concat(x, x, dim_ = 0);
  return x;
}
// CHECK:      [[FILE]]:6:22: error: 'softmax' has no argument named 'axes'
// CHECK-NEXT:   let a = softmax(x, axes = 1);
// CHECK-NEXT:                      ^
// CHECK:      [[FILE]]:7:24: error: 'concat' has no argument named 'dim_'
// CHECK-NEXT:   let b = concat(x, x, dim_ = 0);
// CHECK-NEXT:                        ^
