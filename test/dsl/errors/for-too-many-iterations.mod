// A `for` loop is unrolled at compile time: more than 4096 iterations in one
// loop is an error at the loop.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N]) -> f32[N] {
  for i in 0..4097 { }
  return x;
}
// CHECK:      [[FILE]]:7:3: error: a 'for' loop is unrolled; more than 4096 iterations is not supported
// CHECK-NEXT:   for i in 0..4097 { }
// CHECK-NEXT:   ^
