// `merge` combines parameters, so its targets must be instances of one
// module (one instantiation), and have parameters.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dim E = 3;
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O];
  return x @ w;
}

module Id(x: f32[N, D]) -> f32[N, D] { return x; }
a: Lin<D, D>;
b: Lin<D, D>;
c: Id;
ids: Id[2];
entry f(x: f32[N, D]) -> f32[N, D] {
  let ok = route x to [a, b] by all combine merge;
  let p = route x to [a, c] by all combine merge;
  let q = route x to ids by all combine merge;
  return x;
}
// CHECK:      [[FILE]]:20:26: error: 'merge' combines parameters, so its targets must be instances of one module: 'c' is Id, 'a' is Lin<4, 4>
// CHECK-NEXT:   let p = route x to [a, c] by all combine merge;
// CHECK-NEXT:                          ^
// CHECK-NEXT: [[FILE]]:13:8: note: module defined here
// CHECK-NEXT: module Id(x: f32[N, D]) -> f32[N, D] { return x; }
// CHECK-NEXT:        ^
// CHECK:      [[FILE]]:21:11: error: 'merge' needs targets with parameters
// CHECK-NEXT:   let q = route x to ids by all combine merge;
// CHECK-NEXT:           ^
