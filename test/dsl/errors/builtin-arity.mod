// A builtin given more positional arguments than it has is an error at the
// first extra argument.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N, 4]) -> f32[N, 4] {
  let a = relu(x, x);
  let b = softmax(x, 1, 2);
  return x;
}
// CHECK:      [[FILE]]:7:19: error: 'relu' takes at most 1 argument
// CHECK-NEXT:   let a = relu(x, x);
// CHECK-NEXT:                   ^
// CHECK:      [[FILE]]:8:25: error: 'softmax' takes at most 2 arguments
// CHECK-NEXT:   let b = softmax(x, 1, 2);
// CHECK-NEXT:                         ^
