// Integer literals must fit in 2^62 (LANGUAGE.md §1): 2^62 itself is fine,
// 2^62 + 1 is an error at the literal.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim Ok = 4611686018427387904;
dim Big = 4611686018427387905;
// CHECK:      [[FILE]]:6:11: error: integer literal 4611686018427387905 does not fit in 2^62
// CHECK-NEXT: dim Big = 4611686018427387905;
// CHECK-NEXT:           ^
