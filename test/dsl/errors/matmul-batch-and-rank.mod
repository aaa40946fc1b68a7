// Batch dims of `@` broadcast; a scalar operand or non-broadcasting batch
// dims are errors.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
param s: f32;
entry f(x: f32[2, N, 4], y: f32[3, 4, 4]) -> f32[2, N, 4] {
  let a = x @ y;
  let b = x @ s;
  let c = 2 @ 3;
  return x;
}
// CHECK:      [[FILE]]:8:13: error: batch dimensions of '@' do not broadcast (f32[2, N, 4] @ f32[3, 4, 4])
// CHECK-NEXT:   let a = x @ y;
// CHECK-NEXT:             ^
// CHECK:      [[FILE]]:9:13: error: operands of '@' must have rank 1 or more, got f32[2, N, 4] and f32
// CHECK-NEXT:   let b = x @ s;
// CHECK-NEXT:             ^
// CHECK:      [[FILE]]:10:13: error: '@' needs tensor operands
// CHECK-NEXT:   let c = 2 @ 3;
// CHECK-NEXT:             ^
