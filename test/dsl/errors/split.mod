// split's sizes must add up to the dim; its pieces are bound as a tuple.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N, 6]) -> f32[N, 2] {
  let (a, b) = split(x, [2, 3]);
  let c = split(x, [2, 4]);
  let (d, g) = split(x, [N, 0], axis = 0);
  return a + d;
}
// CHECK: [[FILE]]:6:25: error: 'split': the sizes add up to 5, but axis 1 of f32[N, 6] has 6
// CHECK: [[FILE]]:7:11: error: the call returns 2 values; bind them with 'let (c, ...) = ...'
