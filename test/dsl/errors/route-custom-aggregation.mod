// A custom aggregation is one instance called as m(x, outs), outs stacking
// the chosen outputs before the last axis: its signature must accept them.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dim E = 3;
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O];
  return x @ w;
}

module Fuse(x: f32[N, D], outs: f32[N, E, D]) -> f32[N, D] { return x; }
experts: Lin<D, D>[E];
fuses: Fuse[2];
fuse: Fuse;
entry f(x: f32[N, D]) -> f32[N, D] {
  let ok = route x to experts by all combine fuse;
  let a = route x to experts by all combine fuses;
  let b = route x to experts by fixed(0, 1) combine fuse;
  let c = route x to experts by all combine x;
  return x;
}
// CHECK:      [[FILE]]:19:45: error: custom aggregation needs one instance, not the array 'fuses'; use one element, 'fuses[i]'
// CHECK-NEXT:   let a = route x to experts by all combine fuses;
// CHECK-NEXT:                                             ^
// CHECK:      [[FILE]]:20:53: error: argument 2 of 'fuse' has type f32[N, 2, 4], but Fuse expects f32[N, 3, 4]
// CHECK-NEXT:   let b = route x to experts by fixed(0, 1) combine fuse;
// CHECK-NEXT:                                                     ^
// CHECK-NEXT: [[FILE]]:13:8: note: module defined here
// CHECK-NEXT: module Fuse(x: f32[N, D], outs: f32[N, E, D]) -> f32[N, D] { return x; }
// CHECK-NEXT:        ^
// CHECK:      [[FILE]]:21:45: error: 'combine' expects weighted_sum, sum, mean, max, concat, merge or an instance (custom aggregation)
// CHECK-NEXT:   let c = route x to experts by all combine x;
// CHECK-NEXT:                                             ^
