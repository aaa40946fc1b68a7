// attention over keys that are the module's rows mixes rows.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module SelfAttn(x: f32[N, 8]) -> f32[1, N, 8] {
  let q = expand(x, [1, N, 8]);
  return attention(q, q, q, heads = 2);
}
// CHECK:      [[FILE]]:7:10: error: 'attention' over axis 1 (N) mixes rows: module SelfAttn must be row-independent along its leading dyn 'N'
// CHECK-NEXT:   return attention(q, q, q, heads = 2);
// CHECK-NEXT:          ^
