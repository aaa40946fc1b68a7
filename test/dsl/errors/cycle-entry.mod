// An entry calling itself, directly or through another entry, is an error.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N]) -> f32[N] { return g(x); }
entry g(x: f32[N]) -> f32[N] { return f(x); }
entry h(x: f32[N]) -> f32[N] { return h(x) + x; }
// CHECK:      [[FILE]]:6:39: error: entry 'f' calls itself (f -> g -> f)
// CHECK-NEXT: entry g(x: f32[N]) -> f32[N] { return f(x); }
// CHECK-NEXT:                                       ^
// CHECK-NEXT: [[FILE]]:5:7: note: 'f' is defined here
// CHECK-NEXT: entry f(x: f32[N]) -> f32[N] { return g(x); }
// CHECK-NEXT:       ^
// CHECK:      [[FILE]]:7:39: error: entry 'h' calls itself
// CHECK-NEXT: entry h(x: f32[N]) -> f32[N] { return h(x) + x; }
// CHECK-NEXT:                                       ^
// CHECK-NEXT: [[FILE]]:7:7: note: 'h' is defined here
// CHECK-NEXT: entry h(x: f32[N]) -> f32[N] { return h(x) + x; }
// CHECK-NEXT:       ^
