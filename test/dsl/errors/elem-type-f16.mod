// f16 is an element type of the language but not supported in v0.1: a
// clear diagnostic at the type, never a crash.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f16[N]) -> f32[N] { return cast(x, f32); }
// CHECK:      [[FILE]]:6:12: error: element type 'f16' is not supported yet (f32, i32, i64 and bool are)
// CHECK-NEXT: entry f(x: f16[N]) -> f32[N] { return cast(x, f32); }
// CHECK-NEXT:            ^
