// Routing targets are an instance array or a list: a single instance is an
// error (LANGUAGE.md §7).
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dim E = 3;
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O];
  return x @ w;
}

one: Lin<D, D>;
entry f(x: f32[N, D]) -> f32[N, D] {
  return route x to one by all;
}
// CHECK:      [[FILE]]:15:21: error: a single instance is not a set of routing targets; route to an instance array or a list [a, b, ...]
// CHECK-NEXT:   return route x to one by all;
// CHECK-NEXT:                     ^
