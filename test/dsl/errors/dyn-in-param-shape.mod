// Parameters have static shapes (LANGUAGE.md §4): a dyn in a parameter's
// type is an error, in a module and at model level.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
param bias: f32[N];
module M(x: f32[N, 4]) -> f32[N, 4] {
  param w: f32[4, N + 1];
  return x;
}
// CHECK:      [[FILE]]:6:17: error: a parameter's shape must be static, but 'N' depends on a dyn
// CHECK-NEXT: param bias: f32[N];
// CHECK-NEXT:                 ^
// CHECK:      [[FILE]]:8:21: error: a parameter's shape must be static, but 'N + 1' depends on a dyn
// CHECK-NEXT:   param w: f32[4, N + 1];
// CHECK-NEXT:                     ^
