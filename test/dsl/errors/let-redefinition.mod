// A second `let` of a name visible in the same scope is an error with a note
// at the first; so is a `let` of an argument's name.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N]) -> f32[N] {
  let y = x;
  let y = x + 1.0;
  let x = y;
  return y;
}
// CHECK:      [[FILE]]:8:7: error: 'y' is already defined
// CHECK-NEXT:   let y = x + 1.0;
// CHECK-NEXT:       ^
// CHECK-NEXT: [[FILE]]:7:7: note: previous definition is here
// CHECK-NEXT:   let y = x;
// CHECK-NEXT:       ^
// CHECK:      [[FILE]]:9:7: error: 'x' is already defined
// CHECK-NEXT:   let x = y;
// CHECK-NEXT:       ^
// CHECK-NEXT: [[FILE]]:6:9: note: previous definition is here
// CHECK-NEXT: entry f(x: f32[N]) -> f32[N] {
// CHECK-NEXT:         ^
