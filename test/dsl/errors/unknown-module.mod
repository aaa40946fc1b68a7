// An instance of an undeclared module is an error at the module name; an
// entry cannot be instantiated either.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry e(x: f32[N]) -> f32[N] { return x; }
a: Linear<4, 4>;
b: e;
// CHECK:      [[FILE]]:7:4: error: unknown module 'Linear'
// CHECK-NEXT: a: Linear<4, 4>;
// CHECK-NEXT:    ^
// CHECK:      [[FILE]]:8:4: error: 'e' is an entry, not a module; only modules can be instantiated
// CHECK-NEXT: b: e;
// CHECK-NEXT:    ^
