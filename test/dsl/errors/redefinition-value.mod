// Dims, dyns and model-level parameters share the value namespace: a second
// definition is an error with a note at the first.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dyn D;
param D: f32[4];
// CHECK:      [[FILE]]:6:5: error: redefinition of 'D'
// CHECK-NEXT: dyn D;
// CHECK-NEXT:     ^
// CHECK-NEXT: [[FILE]]:5:5: note: previous definition is here
// CHECK-NEXT: dim D = 4;
// CHECK-NEXT:     ^
// CHECK:      [[FILE]]:7:7: error: redefinition of 'D'
// CHECK-NEXT: param D: f32[4];
// CHECK-NEXT:       ^
// CHECK-NEXT: [[FILE]]:5:5: note: previous definition is here
// CHECK-NEXT: dim D = 4;
// CHECK-NEXT:     ^
