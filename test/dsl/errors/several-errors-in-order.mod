// All errors of a file are reported (LANGUAGE.md §9), sorted by position,
// even when they are found in another order (dims first, entries last).
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N, 4]) -> f32[N, 4] {
  return x + unknown;
}
dim D = 7 / 2;
module M(x: f32[N, 4]) -> f32[N, 8] { return x; }
param p: f32[N];
entry g(x: f32[N, 4], i: i32[N]) -> f32[N, 4] {
  return x + i;
}
// CHECK:      [[FILE]]:7:14: error: unknown name 'unknown'
// CHECK-NEXT:   return x + unknown;
// CHECK-NEXT:              ^
// CHECK:      [[FILE]]:9:11: error: '7 / 2' is not an exact integer division
// CHECK-NEXT: dim D = 7 / 2;
// CHECK-NEXT:           ^
// CHECK:      [[FILE]]:10:46: error: returned value has type f32[N, 4] but the declared result is f32[N, 8]
// CHECK-NEXT: module M(x: f32[N, 4]) -> f32[N, 8] { return x; }
// CHECK-NEXT:                                              ^
// CHECK-NEXT: [[FILE]]:10:27: note: result declared here
// CHECK-NEXT: module M(x: f32[N, 4]) -> f32[N, 8] { return x; }
// CHECK-NEXT:                           ^
// CHECK:      [[FILE]]:11:14: error: a parameter's shape must be static, but 'N' depends on a dyn
// CHECK-NEXT: param p: f32[N];
// CHECK-NEXT:              ^
// CHECK:      [[FILE]]:13:12: error: element types differ: f32 + i32 (use cast)
// CHECK-NEXT:   return x + i;
// CHECK-NEXT:            ^
