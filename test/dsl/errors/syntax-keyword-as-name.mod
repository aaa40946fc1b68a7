// Keywords are reserved (LANGUAGE.md §1): using one where a name is expected
// says so.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N, 4]) -> f32[N, 4] {
  let in = x;
  return x;
}
// CHECK:      [[FILE]]:7:7: error: syntax error at 'in': no viable alternative at input 'let in' ('in' is a reserved keyword)
// CHECK-NEXT:   let in = x;
// CHECK-NEXT:       ^
