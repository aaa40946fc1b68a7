// A slice has no step, and a range or '...' stands only inside brackets.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry a(x: f32[N, 8]) -> f32[N, 4] {
  let b = x[:, 0:8:2];
  let r = 1:2;
  return x[:, ::2];
}
// CHECK: [[FILE]]:6:19: error: syntax error at ':': extraneous input ':' expecting {',', ']'}
// CHECK: [[FILE]]:7:12: error: syntax error at ':': mismatched input ':' expecting ';'
