// `1.` is not a number (LANGUAGE.md §1): floats need a digit after the
// point, so the dot is an unexpected character.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N]) -> f32[N] {
  return x * 1.;
}
// CHECK:      [[FILE]]:7:15: error: unexpected character '.'
// CHECK-NEXT:   return x * 1.;
// CHECK-NEXT:               ^
