// Comparisons need one element type and do not chain; where needs a bool
// condition.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model e;
dyn N;
entry f(x: f32[N], y: i32[N]) -> f32[N] {
  let a = x < y;
  let b = x < y < x;
  let c = where(x, x, x);
  let d = (x < 1.0) == (x > 2.0);
  return x;
}
// CHECK: [[FILE]]:7:13: error: element types differ: f32 < i32 (use cast)
// CHECK: [[FILE]]:8:17: error: comparisons do not chain: '<' and '<' need parentheses to say which comes first
// CHECK: [[FILE]]:9:17: error: 'where' needs a bool condition (a comparison), got f32[N]
