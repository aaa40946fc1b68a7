// `return` is last: a statement after it is an error at that statement;
// `return` inside a `for` loop is an error too.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N]) -> f32[N] {
  return x;
  let y = x;
}
entry g(x: f32[N]) -> f32[N] {
  for i in 0..2 {
    return x;
  }
  return x;
}
// CHECK:      [[FILE]]:8:3: error: statement after 'return'
// CHECK-NEXT:   let y = x;
// CHECK-NEXT:   ^
// CHECK:      [[FILE]]:12:12: error: 'return' inside a 'for' loop
// CHECK-NEXT:     return x;
// CHECK-NEXT:            ^
