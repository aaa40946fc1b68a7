// Loops nest: the total unrolled work is bounded, so that no program makes
// the checker run for minutes. One error, at the statement that crosses the
// limit.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N]) -> f32[N] {
  let y = x;
  for i in 0..4096 {
    for j in 0..4096 {
      y = y + 1.0;
    }
  }
  return y;
}
// CHECK:      [[FILE]]:10:5: error: the program unrolls to more than 500056 operations (nested 'for' loops, template instantiations, modules or entries calling others, pipes or routes through large instance arrays)
// CHECK-NEXT:     for j in 0..4096 {
// CHECK-NEXT:     ^
