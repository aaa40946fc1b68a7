// Modules, instances and entries share the callable namespace.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Id(x: f32[N]) -> f32[N] { return x; }
Id: Id;
entry Id(x: f32[N]) -> f32[N] { return x; }
// CHECK:      [[FILE]]:6:1: error: redefinition of 'Id'
// CHECK-NEXT: Id: Id;
// CHECK-NEXT: ^
// CHECK-NEXT: [[FILE]]:5:8: note: previous definition is here
// CHECK-NEXT: module Id(x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:        ^
// CHECK:      [[FILE]]:7:7: error: redefinition of 'Id'
// CHECK-NEXT: entry Id(x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:       ^
// CHECK-NEXT: [[FILE]]:5:8: note: previous definition is here
// CHECK-NEXT: module Id(x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:        ^
