// Division by zero in a dim expression is an error at the '/'.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim Z = 0;
dim D = 4 / Z;
// CHECK:      [[FILE]]:5:11: error: division by zero
// CHECK-NEXT: dim D = 4 / Z;
// CHECK-NEXT:           ^
