// Names in a type are resolved like any other; a typo is reported in the
// dimension list.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
dim D = 4;
entry f(x: f32[N, DD]) -> f32[N, D] { return x; }
// CHECK:      [[FILE]]:7:19: error: unknown name 'DD'
// CHECK-NEXT: entry f(x: f32[N, DD]) -> f32[N, D] { return x; }
// CHECK-NEXT:                   ^
