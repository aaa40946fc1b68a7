// Element types never mix implicitly (LANGUAGE.md §6): i32 + f32 is an error
// at the operator that suggests cast.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N], i: i32[N], j: i64[N]) -> f32[N] {
  let a = x + i;
  let b = i * j;
  return x + cast(i, f32);
}
// CHECK:      [[FILE]]:7:13: error: element types differ: f32 + i32 (use cast)
// CHECK-NEXT:   let a = x + i;
// CHECK-NEXT:             ^
// CHECK:      [[FILE]]:8:13: error: element types differ: i32 * i64 (use cast)
// CHECK-NEXT:   let b = i * j;
// CHECK-NEXT:             ^
