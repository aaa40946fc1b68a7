// A module returns one tensor (LANGUAGE.md §4); tuples are for entries.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Two(x: f32[N]) -> (f32[N], f32[N]) { return (x, x); }
// CHECK:      [[FILE]]:5:27: error: a module returns one tensor
// CHECK-NEXT: module Two(x: f32[N]) -> (f32[N], f32[N]) { return (x, x); }
// CHECK-NEXT:                           ^
