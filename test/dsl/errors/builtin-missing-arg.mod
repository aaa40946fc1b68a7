// A required builtin argument that is not given is an error at the call.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N, 4]) -> f32[N] {
  let r = reshape(x);
  return sum(x);
}
// CHECK:      [[FILE]]:6:11: error: 'reshape' needs the argument 'shape'
// CHECK-NEXT:   let r = reshape(x);
// CHECK-NEXT:           ^
// CHECK:      [[FILE]]:7:10: error: 'sum' needs the argument 'axis'
// CHECK-NEXT:   return sum(x);
// CHECK-NEXT:          ^
