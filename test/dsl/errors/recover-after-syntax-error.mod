// A syntax or lexical error no longer hides the rest of the file (issue 14
// bug 3, LANGUAGE.md §9): the declaration that holds it is left out, the
// others are still checked, and uses of the broken one report nothing more.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry broken(x: f32[N]) -> f32[N] {
  return x # 2 + undefined_thing;
}
entry other(x: f32[N]) -> f32[N] {
  return x + also_undefined;
}
entry calls(x: f32[N]) -> f32[N] {
  return broken(x);
}
module Bad(x: f32[N]) -> f32[N] { return x +; }
bad: Bad;
entry uses(x: f32[N]) -> f32[N] {
  return bad(x) * oops;
}
// CHECK: [[FILE]]:8:12: error: unexpected character '#'
// CHECK: [[FILE]]:11:14: error: unknown name 'also_undefined'
// CHECK: [[FILE]]:16:45: error: syntax error at ';'
// CHECK: [[FILE]]:19:19: error: unknown name 'oops'
