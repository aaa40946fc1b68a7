// `/` on dims is exact integer division (LANGUAGE.md §2); 7 / 2 is an error
// at the operator, 8 / 2 is fine.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim Ok = 8 / 2;
dim Q = 7 / 2;
// CHECK:      [[FILE]]:6:11: error: '7 / 2' is not an exact integer division
// CHECK-NEXT: dim Q = 7 / 2;
// CHECK-NEXT:           ^
