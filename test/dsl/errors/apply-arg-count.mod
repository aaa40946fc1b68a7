// The number of arguments must match the module's.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Add(x: f32[N], y: f32[N]) -> f32[N] { return x + y; }
add: Add;
entry f(x: f32[N]) -> f32[N] {
  let a = add(x);
  return add(x, x, x);
}
// CHECK:      [[FILE]]:8:11: error: 'add' (Add) takes 2 arguments, got 1
// CHECK-NEXT:   let a = add(x);
// CHECK-NEXT:           ^
// CHECK-NEXT: [[FILE]]:5:8: note: module defined here
// CHECK-NEXT: module Add(x: f32[N], y: f32[N]) -> f32[N] { return x + y; }
// CHECK-NEXT:        ^
// CHECK:      [[FILE]]:9:10: error: 'add' (Add) takes 2 arguments, got 3
// CHECK-NEXT:   return add(x, x, x);
// CHECK-NEXT:          ^
// CHECK-NEXT: [[FILE]]:5:8: note: module defined here
// CHECK-NEXT: module Add(x: f32[N], y: f32[N]) -> f32[N] { return x + y; }
// CHECK-NEXT:        ^
