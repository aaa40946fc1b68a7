// More template arguments than the module declares is an error with a note
// at the module.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Scale<K>(x: f32[N]) -> f32[N] { return x * K; }
s: Scale<2, 3>;
// CHECK:      [[FILE]]:7:4: error: module 'Scale' takes 1 template argument, got 2
// CHECK-NEXT: s: Scale<2, 3>;
// CHECK-NEXT:    ^
// CHECK-NEXT: [[FILE]]:6:8: note: 'Scale' is defined here
// CHECK-NEXT: module Scale<K>(x: f32[N]) -> f32[N] { return x * K; }
// CHECK-NEXT:        ^
