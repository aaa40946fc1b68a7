// A module is row-independent along its leading dyn (LANGUAGE.md §4):
// sum, mean, max over that axis mix rows and are errors.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module S(x: f32[N, 4]) -> f32[4] { return sum(x, 0); }
module M(x: f32[N, 4]) -> f32[1, 4] { return mean(x, 0, keepdims = true); }
module X(x: f32[N, 4]) -> f32[4] { return max(x, axis = -2); }
module Ok(x: f32[N, 4]) -> f32[N] { return sum(x, 1); }
// CHECK:      [[FILE]]:6:43: error: 'sum' over axis 0 (N) mixes rows: module S must be row-independent along its leading dyn 'N'
// CHECK-NEXT: module S(x: f32[N, 4]) -> f32[4] { return sum(x, 0); }
// CHECK-NEXT:                                           ^
// CHECK:      [[FILE]]:7:46: error: 'mean' over axis 0 (N) mixes rows: module M must be row-independent along its leading dyn 'N'
// CHECK-NEXT: module M(x: f32[N, 4]) -> f32[1, 4] { return mean(x, 0, keepdims = true); }
// CHECK-NEXT:                                              ^
// CHECK:      [[FILE]]:8:43: error: 'max' over axis 0 (N) mixes rows: module X must be row-independent along its leading dyn 'N'
// CHECK-NEXT: module X(x: f32[N, 4]) -> f32[4] { return max(x, axis = -2); }
// CHECK-NEXT:                                           ^
