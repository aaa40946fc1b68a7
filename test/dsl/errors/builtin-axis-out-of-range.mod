// An axis outside [-rank, rank) is an error at the axis argument.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N, 4]) -> f32[N] {
  let a = softmax(x, axis = 2);
  let b = argmax(x, axis = -3);
  let c = concat(x, x, axis = 5);
  return sum(x, 2);
}
// CHECK:      [[FILE]]:6:29: error: axis 2 is out of range for rank 2
// CHECK-NEXT:   let a = softmax(x, axis = 2);
// CHECK-NEXT:                             ^
// CHECK:      [[FILE]]:7:28: error: axis -3 is out of range for rank 2
// CHECK-NEXT:   let b = argmax(x, axis = -3);
// CHECK-NEXT:                            ^
// CHECK:      [[FILE]]:8:31: error: axis 5 is out of range for rank 2
// CHECK-NEXT:   let c = concat(x, x, axis = 5);
// CHECK-NEXT:                               ^
// CHECK:      [[FILE]]:9:17: error: axis 2 is out of range for rank 2
// CHECK-NEXT:   return sum(x, 2);
// CHECK-NEXT:                 ^
