// A dim is between 0 and 2^62; a negative one is an error at its name.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 2 - 5;
// CHECK:      [[FILE]]:4:5: error: dim 'D' must be between 0 and 2^62, got -3
// CHECK-NEXT: dim D = 2 - 5;
// CHECK-NEXT:     ^
