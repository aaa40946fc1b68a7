// A builtin's tensor argument must be a tensor, not a number or an
// instance.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Id(x: f32[N]) -> f32[N] { return x; }
id: Id;
entry f(x: f32[N]) -> f32[N] {
  let a = relu(3);
  let b = softmax(id);
  return x;
}
// CHECK:      [[FILE]]:9:16: error: 'relu': the argument must be a tensor
// CHECK-NEXT:   let a = relu(3);
// CHECK-NEXT:                ^
// CHECK:      [[FILE]]:10:19: error: 'softmax': the argument must be a tensor
// CHECK-NEXT:   let b = softmax(id);
// CHECK-NEXT:                   ^
