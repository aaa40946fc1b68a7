// A module or entry without a return is an error at its name.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Id(x: f32[N]) -> f32[N] {
  let y = x;
}
entry f(x: f32[N]) -> f32[N] {
  let y = x;
}
// CHECK:      [[FILE]]:5:8: error: 'Id' has no return statement
// CHECK-NEXT: module Id(x: f32[N]) -> f32[N] {
// CHECK-NEXT:        ^
// CHECK:      [[FILE]]:8:7: error: 'f' has no return statement
// CHECK-NEXT: entry f(x: f32[N]) -> f32[N] {
// CHECK-NEXT:       ^
