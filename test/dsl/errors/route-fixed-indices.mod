// fixed indices are compile-time integers in [0, E), each listed once.
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
entry f(x: f32[N, D]) -> f32[N, D] {
  let a = route x to experts by fixed(0, 3);
  let b = route x to experts by fixed(1, 1);
  let c = route x to experts by fixed(-1);
  let d = route x to experts by fixed(N);
  return x;
}
// CHECK:      [[FILE]]:14:42: error: fixed target index 3 is out of range for 3 targets
// CHECK-NEXT:   let a = route x to experts by fixed(0, 3);
// CHECK-NEXT:                                          ^
// CHECK:      [[FILE]]:15:42: error: fixed target index 1 is listed twice
// CHECK-NEXT:   let b = route x to experts by fixed(1, 1);
// CHECK-NEXT:                                          ^
// CHECK:      [[FILE]]:16:39: error: fixed target index -1 is out of range for 3 targets
// CHECK-NEXT:   let c = route x to experts by fixed(-1);
// CHECK-NEXT:                                       ^
// CHECK:      [[FILE]]:17:39: error: a fixed target index must be a compile-time integer
// CHECK-NEXT:   let d = route x to experts by fixed(N);
// CHECK-NEXT:                                       ^
