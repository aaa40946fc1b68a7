// Elementwise builtins other than relu and abs, softmax and mean need a
// floating-point tensor; relu, abs, sum and max accept integers.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: i32[N, 4]) -> i32[N] {
  let a = relu(x) + abs(x);
  let b = exp(x);
  let c = softmax(x);
  let d = mean(x, 1);
  return sum(a, 1) + max(a, 1);
}
// CHECK:      [[FILE]]:8:15: error: 'exp' needs a floating-point tensor, got i32[N, 4]
// CHECK-NEXT:   let b = exp(x);
// CHECK-NEXT:               ^
// CHECK:      [[FILE]]:9:19: error: 'softmax' needs a floating-point tensor, got i32[N, 4]
// CHECK-NEXT:   let c = softmax(x);
// CHECK-NEXT:                   ^
// CHECK:      [[FILE]]:10:16: error: 'mean' needs a floating-point tensor, got i32[N, 4]
// CHECK-NEXT:   let d = mean(x, 1);
// CHECK-NEXT:                ^
