// An entry's result dims must follow from its arguments' sizes: a dyn no
// argument uses is an error at the result type.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
dyn M;
entry f(x: f32[N, 4]) -> f32[M, 4] { return x; }
entry g(x: f32[N, 4]) -> (f32[N, 4], f32[N + M]) { return (x, x); }
// CHECK:      [[FILE]]:7:26: error: result dimension 'M' uses dyn 'M', which no argument of 'f' determines
// CHECK-NEXT: entry f(x: f32[N, 4]) -> f32[M, 4] { return x; }
// CHECK-NEXT:                          ^
// CHECK:      [[FILE]]:8:38: error: result dimension 'N + M' uses dyn 'M', which no argument of 'g' determines
// CHECK-NEXT: entry g(x: f32[N, 4]) -> (f32[N, 4], f32[N + M]) { return (x, x); }
// CHECK-NEXT:                                      ^
