// A routed target's result may depend on the number of rows only through its
// leading dim: f32[N, N] cannot be scattered back row by row.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Square(x: f32[N, 4]) -> f32[N, N] {
  return expand(sum(x, 1, keepdims = true), [N, N]);
}
sq: Square[2];
entry f(x: f32[N, 4], t: i32[N]) -> f32[N, N] {
  return route x to sq by task(t);
}
// CHECK:      [[FILE]]:11:10: error: the result of Square must not depend on the number of routed rows beyond its leading dim
// CHECK-NEXT:   return route x to sq by task(t);
// CHECK-NEXT:          ^
