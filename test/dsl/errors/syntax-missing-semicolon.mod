// A missing ';' is reported where the statement ends (as clang does), with a
// note at the token that follows, not at the start of the next line.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N, 4]) -> f32[N, 4] {
  let y = x + 1.0
  return y;
}
// CHECK:      [[FILE]]:7:18: error: expected ';' after '1.0'
// CHECK-NEXT:   let y = x + 1.0
// CHECK-NEXT:                  ^
// CHECK-NEXT: [[FILE]]:8:3: note: the next token is 'return'
// CHECK-NEXT:   return y;
// CHECK-NEXT:   ^
