// A loop variable is visible in its body: a `let` of its name is a
// redefinition; a `let` inside the body is local to one iteration.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N]) -> f32[N] {
  for i in 0..2 {
    let t = x;
    let i = x;
  }
  return x;
}
// CHECK:      [[FILE]]:9:9: error: 'i' is already defined
// CHECK-NEXT:     let i = x;
// CHECK-NEXT:         ^
// CHECK-NEXT: [[FILE]]:7:7: note: previous definition is here
// CHECK-NEXT:   for i in 0..2 {
// CHECK-NEXT:       ^
