// A tuple is allowed only in `return`; a tuple-returning entry's result is
// bound with `let (a, b) = ...`.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry two(x: f32[N]) -> (f32[N], f32[N]) { return (x, x); }
entry f(x: f32[N]) -> f32[N] {
  let t = (x, x);
  let u = two(x);
  let (a, b, c) = two(x);
  let (d, e) = x;
  return x;
}
// CHECK:      [[FILE]]:8:11: error: a tuple is allowed only in 'return'
// CHECK-NEXT:   let t = (x, x);
// CHECK-NEXT:           ^
// CHECK:      [[FILE]]:9:11: error: the call returns 2 values; bind them with 'let (u, ...) = ...'
// CHECK-NEXT:   let u = two(x);
// CHECK-NEXT:           ^
// CHECK:      [[FILE]]:10:3: error: the call returns 2 values, but 3 names are bound
// CHECK-NEXT:   let (a, b, c) = two(x);
// CHECK-NEXT:   ^
// CHECK:      [[FILE]]:11:16: error: a tuple 'let' needs a call of an entry that returns a tuple
// CHECK-NEXT:   let (d, e) = x;
// CHECK-NEXT:                ^
