// softmax, log_softmax and argmax over the leading dyn axis mix rows.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module S(x: f32[N, 4]) -> f32[N, 4] { return softmax(x, axis = 0); }
module L(x: f32[N, 4]) -> f32[N, 4] { return log_softmax(x, axis = -2); }
module A(x: f32[N, 4]) -> i64[4] { return argmax(x, axis = 0); }
// CHECK:      [[FILE]]:5:46: error: 'softmax' over axis 0 (N) mixes rows: module S must be row-independent along its leading dyn 'N'
// CHECK-NEXT: module S(x: f32[N, 4]) -> f32[N, 4] { return softmax(x, axis = 0); }
// CHECK-NEXT:                                              ^
// CHECK:      [[FILE]]:6:46: error: 'log_softmax' over axis 0 (N) mixes rows: module L must be row-independent along its leading dyn 'N'
// CHECK-NEXT: module L(x: f32[N, 4]) -> f32[N, 4] { return log_softmax(x, axis = -2); }
// CHECK-NEXT:                                              ^
// CHECK:      [[FILE]]:7:43: error: 'argmax' over axis 0 (N) mixes rows: module A must be row-independent along its leading dyn 'N'
// CHECK-NEXT: module A(x: f32[N, 4]) -> i64[4] { return argmax(x, axis = 0); }
// CHECK-NEXT:                                           ^
