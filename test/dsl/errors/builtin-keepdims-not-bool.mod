// keepdims is `true` or `false`, not a number.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N, 4]) -> f32[N, 1] {
  return sum(x, 1, keepdims = 1);
}
// CHECK:      [[FILE]]:6:31: error: 'sum': keepdims must be true or false
// CHECK-NEXT:   return sum(x, 1, keepdims = 1);
// CHECK-NEXT:                               ^
