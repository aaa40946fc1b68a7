// A file declares one model.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
model other;
// CHECK:      [[FILE]]:5:1: error: a file declares one model
// CHECK-NEXT: model other;
// CHECK-NEXT: ^
