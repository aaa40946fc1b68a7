// The model's parameters together must have fewer than 2^62 elements.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
param a: f32[2305843009213693952, 1];
param b: f32[2305843009213693952, 1];
// CHECK:      [[FILE]]:5:7: error: the model has 2^62 or more parameter elements
// CHECK-NEXT: param b: f32[2305843009213693952, 1];
// CHECK-NEXT:       ^
