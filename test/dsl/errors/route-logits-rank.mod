// Logits and weights have shape [S..., E] with S non-empty: a 1-D tensor
// has no routed dims.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Id(x: f32[N, 4]) -> f32[N, 4] { return x; }
experts: Id[3];
param l: f32[3];
entry f(x: f32[N, 4]) -> f32[N, 4] {
  return route x to experts by softmax(l);
}
// CHECK:      [[FILE]]:10:40: error: 'softmax': logits must have shape [S..., E] with S a prefix of the routed value's shape, got f32[3]
// CHECK-NEXT:   return route x to experts by softmax(l);
// CHECK-NEXT:                                        ^
