// Template parameters and arguments of one module share a scope: a name
// declared twice is a redefinition.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module M<K, K>(x: f32[N]) -> f32[N] { return x; }
module P<x>(x: f32[N]) -> f32[N] { return x; }
// CHECK:      [[FILE]]:6:13: error: redefinition of 'K'
// CHECK-NEXT: module M<K, K>(x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:             ^
// CHECK-NEXT: [[FILE]]:6:10: note: previous definition is here
// CHECK-NEXT: module M<K, K>(x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:          ^
// CHECK:      [[FILE]]:7:13: error: redefinition of 'x'
// CHECK-NEXT: module P<x>(x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:             ^
// CHECK-NEXT: [[FILE]]:7:10: note: previous definition is here
// CHECK-NEXT: module P<x>(x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:          ^
