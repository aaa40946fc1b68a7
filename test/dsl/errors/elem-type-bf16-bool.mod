// bf16 is rejected in parameters and results; bool (v0.2) is a type, and
// returning an f32 value as bool is a type error.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
param w: bf16[4];
entry f(x: f32[N]) -> bool[N] { return x; }
// CHECK:      [[FILE]]:6:10: error: element type 'bf16' is not supported yet (f32, i32, i64 and bool are)
// CHECK-NEXT: param w: bf16[4];
// CHECK-NEXT:          ^
// CHECK:      [[FILE]]:7:40: error: returned value has type f32[N] but the declared result is bool[N]
