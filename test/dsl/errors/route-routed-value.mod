// The routed value is a tensor of rank 1 or more.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dim E = 3;
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O];
  return x @ w;
}

experts: Lin<D, D>[E];
entry f(x: f32[N, D], s: f32) -> f32[N, D] {
  let a = route 2.0 to experts by all;
  let b = route s to experts by all;
  return x;
}
// CHECK:      [[FILE]]:14:17: error: the routed value must be a tensor
// CHECK-NEXT:   let a = route 2.0 to experts by all;
// CHECK-NEXT:                 ^
// CHECK:      [[FILE]]:15:17: error: the routed value must have rank 1 or more
// CHECK-NEXT:   let b = route s to experts by all;
// CHECK-NEXT:                 ^
