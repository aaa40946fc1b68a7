// `a[i]` picks an instance-array element when `a` is a callable and slices
// when it is a value (LANGUAGE.md §6); nothing else can be indexed.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dyn N;
module Id(x: f32[N]) -> f32[N] { return x; }
one: Id;
many: Id[2];
entry f(x: f32[N, 4]) -> f32[4] {
  let b = one[0](x[:, 0]);
  let c = D[0];
  let d = many[0:1];
  return x[0];
}
// CHECK:      [[FILE]]:11:11: error: only tensors and instance arrays can be indexed
// CHECK-NEXT:   let b = one[0](x[:, 0]);
// CHECK-NEXT:           ^
// CHECK:      [[FILE]]:12:11: error: only tensors and instance arrays can be indexed
// CHECK:      [[FILE]]:13:16: error: an instance array takes one integer index, not a slice
