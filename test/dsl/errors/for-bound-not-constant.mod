// `for` bounds are compile-time integers.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N], t: i32[N]) -> f32[N] {
  for i in 0..N { }
  for i in 0..t { }
  for i in 0.5..2 { }
  return x;
}
// CHECK:      [[FILE]]:6:15: error: a loop bound must be a compile-time integer
// CHECK-NEXT:   for i in 0..N { }
// CHECK-NEXT:               ^
// CHECK:      [[FILE]]:7:15: error: a loop bound must be a compile-time integer
// CHECK-NEXT:   for i in 0..t { }
// CHECK-NEXT:               ^
// CHECK:      [[FILE]]:8:12: error: a loop bound must be a compile-time integer
// CHECK-NEXT:   for i in 0.5..2 { }
// CHECK-NEXT:            ^
