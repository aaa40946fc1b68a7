// `model` must be the first declaration; comments may precede it.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
dim D = 4;
model m;
// CHECK:      [[FILE]]:4:7: error: 'model' must be the first declaration
// CHECK-NEXT: model m;
// CHECK-NEXT:       ^
