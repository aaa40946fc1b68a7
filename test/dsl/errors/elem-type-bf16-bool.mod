// bf16 and bool are rejected the same way, in parameters and results.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
param w: bf16[4];
entry f(x: f32[N]) -> bool[N] { return x; }
// CHECK:      [[FILE]]:5:10: error: element type 'bf16' is not supported yet (v0.1 supports f32, i32, i64)
// CHECK-NEXT: param w: bf16[4];
// CHECK-NEXT:          ^
// CHECK:      [[FILE]]:6:23: error: element type 'bool' is not supported yet (v0.1 supports f32, i32, i64)
// CHECK-NEXT: entry f(x: f32[N]) -> bool[N] { return x; }
// CHECK-NEXT:                       ^
