// A dim defined through itself is an error, reported once for the whole
// cycle with the chain that closes it.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim A = B + 1;
dim B = 2 * C;
dim C = A;
dim D = A;
dim Self = Self;
// CHECK:      [[FILE]]:5:5: error: dim 'A' is defined through itself (A -> B -> C -> A)
// CHECK-NEXT: dim A = B + 1;
// CHECK-NEXT:     ^
// CHECK:      [[FILE]]:9:5: error: dim 'Self' is defined through itself
// CHECK-NEXT: dim Self = Self;
// CHECK-NEXT:     ^
