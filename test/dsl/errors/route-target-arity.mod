// A routing target takes exactly one argument.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dim E = 3;
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O];
  return x @ w;
}

module Add(x: f32[N, D], y: f32[N, D]) -> f32[N, D] { return x + y; }
adders: Add[2];
entry f(x: f32[N, D]) -> f32[N, D] {
  return route x to adders by all;
}
// CHECK:      [[FILE]]:15:21: error: routing target 'adders' must take one argument; Add takes 2
// CHECK-NEXT:   return route x to adders by all;
// CHECK-NEXT:                     ^
// CHECK-NEXT: [[FILE]]:12:8: note: module defined here
// CHECK-NEXT: module Add(x: f32[N, D], y: f32[N, D]) -> f32[N, D] { return x + y; }
// CHECK-NEXT:        ^
