// An argument given twice, positionally and by name or twice by name, is an
// error at the second one.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N, 4]) -> f32[N] {
  let a = softmax(x, 1, axis = 1);
  return sum(x, axis = 1, axis = 1);
}
// CHECK:      [[FILE]]:7:32: error: argument 'axis' of 'softmax' is given twice
// CHECK-NEXT:   let a = softmax(x, 1, axis = 1);
// CHECK-NEXT:                                ^
// CHECK:      [[FILE]]:8:34: error: argument 'axis' of 'sum' is given twice
// CHECK-NEXT:   return sum(x, axis = 1, axis = 1);
// CHECK-NEXT:                                  ^
