// A number literal takes the element type of the other operand: a float
// literal with an integer tensor is an error, an integer literal is fine.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(i: i32[N]) -> i32[N] {
  let ok = i * 2;
  return i * 2.5;
}
// CHECK:      [[FILE]]:8:12: error: float literal used with an integer tensor of type i32
// CHECK-NEXT:   return i * 2.5;
// CHECK-NEXT:            ^
