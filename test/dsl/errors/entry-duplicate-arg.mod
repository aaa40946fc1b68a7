// Two arguments of one entry or module with the same name are a
// redefinition.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module M(x: f32[N], x: f32[N]) -> f32[N] { return x; }
entry f(x: f32[N], y: f32[N], x: f32[N]) -> f32[N] { return x; }
// CHECK:      [[FILE]]:6:21: error: redefinition of 'x'
// CHECK-NEXT: module M(x: f32[N], x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:                     ^
// CHECK-NEXT: [[FILE]]:6:10: note: previous definition is here
// CHECK-NEXT: module M(x: f32[N], x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:          ^
// CHECK:      [[FILE]]:7:31: error: redefinition of 'x'
// CHECK-NEXT: entry f(x: f32[N], y: f32[N], x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:                               ^
// CHECK-NEXT: [[FILE]]:7:9: note: previous definition is here
// CHECK-NEXT: entry f(x: f32[N], y: f32[N], x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:         ^
