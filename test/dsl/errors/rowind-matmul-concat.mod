// A product contracting the rows, or a concat along them, mixes rows.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module P(x: f32[N, 4]) -> f32[1, 4, 4] {
  let q = expand(x, [1, N, 4]);
  return transpose(q, [0, 2, 1]) @ q;
}
module C(x: f32[N, 4]) -> f32[2 * N, 4] { return concat(x, x, axis = 0); }
// CHECK:      [[FILE]]:7:34: error: '@' over axis 2 (N) mixes rows: module P must be row-independent along its leading dyn 'N'
// CHECK-NEXT:   return transpose(q, [0, 2, 1]) @ q;
// CHECK-NEXT:                                  ^
// CHECK:      [[FILE]]:9:50: error: 'concat' over axis 0 (N) mixes rows: module C must be row-independent along its leading dyn 'N'
// CHECK-NEXT: module C(x: f32[N, 4]) -> f32[2 * N, 4] { return concat(x, x, axis = 0); }
// CHECK-NEXT:                                                  ^
