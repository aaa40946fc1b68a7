// Every listed target is an instance (not a tensor, not a whole array), and
// the list is not empty.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dim E = 3;
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O];
  return x @ w;
}

a: Lin<D, D>;
arr: Lin<D, D>[2];
entry f(x: f32[N, D]) -> f32[N, D] {
  let p = route x to [a, x] by all;
  let q = route x to [a, arr] by all;
  let r = route x to [] by all;
  let s = route x to x by all;
  return x;
}
// CHECK:      [[FILE]]:16:26: error: a routing target must be an instance
// CHECK-NEXT:   let p = route x to [a, x] by all;
// CHECK-NEXT:                          ^
// CHECK:      [[FILE]]:17:26: error: an instance array inside a target list; list its elements or route to the array itself
// CHECK-NEXT:   let q = route x to [a, arr] by all;
// CHECK-NEXT:                          ^
// CHECK:      [[FILE]]:18:22: error: the target list is empty
// CHECK-NEXT:   let r = route x to [] by all;
// CHECK-NEXT:                      ^
// CHECK:      [[FILE]]:19:22: error: routing targets must be an instance array or a list of instances
// CHECK-NEXT:   let s = route x to x by all;
// CHECK-NEXT:                      ^
