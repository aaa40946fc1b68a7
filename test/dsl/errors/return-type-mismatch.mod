// The returned value must have the declared type; the note points at the
// declared result.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N, 4]) -> f32[N, 8] {
  return x;
}
// CHECK:      [[FILE]]:7:10: error: returned value has type f32[N, 4] but the declared result is f32[N, 8]
// CHECK-NEXT:   return x;
// CHECK-NEXT:          ^
// CHECK-NEXT: [[FILE]]:6:26: note: result declared here
// CHECK-NEXT: entry f(x: f32[N, 4]) -> f32[N, 8] {
// CHECK-NEXT:                          ^
