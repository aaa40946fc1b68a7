// Indexing tensors is not part of v0.1: `a[i]` indexes instance arrays
// only.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Id(x: f32[N]) -> f32[N] { return x; }
one: Id;
entry f(x: f32[N, 4]) -> f32[N, 4] {
  let a = x[0];
  let b = one[0](x);
  return x;
}
// CHECK:      [[FILE]]:9:11: error: only instance arrays can be indexed in v0.1
// CHECK-NEXT:   let a = x[0];
// CHECK-NEXT:           ^
// CHECK:      [[FILE]]:10:11: error: only instance arrays can be indexed in v0.1
// CHECK-NEXT:   let b = one[0](x);
// CHECK-NEXT:           ^
