// `NAME = EXPR;` re-binds a let to a value of the same type; another type
// is an error with a note at the let.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
param w: f32[4, 8];
entry f(x: f32[N, 4]) -> f32[N, 4] {
  let h = x;
  for i in 0..2 {
    h = h @ w;
  }
  return h;
}
// CHECK:      [[FILE]]:10:5: error: 'h' is re-bound to a value of type f32[N, 8], but it has type f32[N, 4]
// CHECK-NEXT:     h = h @ w;
// CHECK-NEXT:     ^
// CHECK-NEXT: [[FILE]]:8:7: note: 'h' is defined here
// CHECK-NEXT:   let h = x;
// CHECK-NEXT:       ^
