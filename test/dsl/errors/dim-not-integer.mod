// A dim is an integer expression of literals and other dims: a float or a
// dyn is not allowed.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
dim F = 2.5;
dim G = N;
// CHECK:      [[FILE]]:6:9: error: a dim must be a compile-time integer
// CHECK-NEXT: dim F = 2.5;
// CHECK-NEXT:         ^
// CHECK:      [[FILE]]:7:9: error: a dim must be a compile-time integer
// CHECK-NEXT: dim G = N;
// CHECK-NEXT:         ^
