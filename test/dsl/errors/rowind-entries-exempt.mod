// Entries are not routed, so they may reduce over any axis; the same code in
// a module is an error.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry total(x: f32[N, 4]) -> f32[4] { return sum(x, 0); }
module Total(x: f32[N, 4]) -> f32[4] { return sum(x, 0); }
// CHECK:      [[FILE]]:7:47: error: 'sum' over axis 0 (N) mixes rows: module Total must be row-independent along its leading dyn 'N'
// CHECK-NEXT: module Total(x: f32[N, 4]) -> f32[4] { return sum(x, 0); }
// CHECK-NEXT:                                               ^
