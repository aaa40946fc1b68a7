// `@` contracts the last dim of its left operand with the second-to-last of
// its right one; a mismatch names both.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
param w: f32[3, 4];
entry f(x: f32[N, 5]) -> f32[N, 4] {
  return x @ w;
}
// CHECK:      [[FILE]]:8:12: error: inner dimensions of '@' differ: 5 and 3 (f32[N, 5] @ f32[3, 4])
// CHECK-NEXT:   return x @ w;
// CHECK-NEXT:            ^
