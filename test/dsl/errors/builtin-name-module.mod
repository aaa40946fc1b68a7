// A user callable may not take a builtin's name (LANGUAGE.md §1).
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module relu(x: f32[N]) -> f32[N] { return x; }
// CHECK:      [[FILE]]:5:8: error: 'relu' is the name of a builtin and cannot be redefined
// CHECK-NEXT: module relu(x: f32[N]) -> f32[N] { return x; }
// CHECK-NEXT:        ^
