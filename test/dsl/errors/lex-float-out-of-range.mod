// A float literal beyond the range of a double is an error at the literal.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N]) -> f32[N] {
  return x * 1e999;
}
// CHECK:      [[FILE]]:6:14: error: float literal 1e999 is out of range
// CHECK-NEXT:   return x * 1e999;
// CHECK-NEXT:              ^
