// Only a `let` in scope can be re-bound: an argument, a parameter or an
// unknown name cannot.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
param w: f32[4];
entry f(x: f32[N, 4]) -> f32[N, 4] {
  x = x + 1.0;
  w = w;
  y = x;
  return x;
}
// CHECK:      [[FILE]]:8:3: error: assignment to 'x', which is not a 'let' in scope
// CHECK-NEXT:   x = x + 1.0;
// CHECK-NEXT:   ^
// CHECK:      [[FILE]]:9:3: error: assignment to 'w', which is not a 'let' in scope
// CHECK-NEXT:   w = w;
// CHECK-NEXT:   ^
// CHECK:      [[FILE]]:10:3: error: assignment to 'y', which is not a 'let' in scope
// CHECK-NEXT:   y = x;
// CHECK-NEXT:   ^
