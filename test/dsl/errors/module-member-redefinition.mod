// Members of a module share its scope with the arguments and template
// parameters.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Id(x: f32[N, 4]) -> f32[N, 4] { return x; }
module M<K>(x: f32[N, 4]) -> f32[N, 4] {
  param w: f32[4];
  param w: f32[4];
  x: Id;
  K: Id;
  return x;
}
m1: M<2>;
// CHECK:      [[FILE]]:9:9: error: redefinition of 'w'
// CHECK-NEXT:   param w: f32[4];
// CHECK-NEXT:         ^
// CHECK-NEXT: [[FILE]]:8:9: note: previous definition is here
// CHECK-NEXT:   param w: f32[4];
// CHECK-NEXT:         ^
// CHECK-NEXT: [[FILE]]:14:5: note: in M<2>, instantiated here
// CHECK-NEXT: m1: M<2>;
// CHECK-NEXT:     ^
// CHECK:      [[FILE]]:10:3: error: redefinition of 'x'
// CHECK-NEXT:   x: Id;
// CHECK-NEXT:   ^
// CHECK-NEXT: [[FILE]]:7:13: note: previous definition is here
// CHECK-NEXT: module M<K>(x: f32[N, 4]) -> f32[N, 4] {
// CHECK-NEXT:             ^
// CHECK-NEXT: [[FILE]]:14:5: note: in M<2>, instantiated here
// CHECK-NEXT: m1: M<2>;
// CHECK-NEXT:     ^
// CHECK:      [[FILE]]:11:3: error: redefinition of 'K'
// CHECK-NEXT:   K: Id;
// CHECK-NEXT:   ^
// CHECK-NEXT: [[FILE]]:7:10: note: previous definition is here
// CHECK-NEXT: module M<K>(x: f32[N, 4]) -> f32[N, 4] {
// CHECK-NEXT:          ^
// CHECK-NEXT: [[FILE]]:14:5: note: in M<2>, instantiated here
// CHECK-NEXT: m1: M<2>;
// CHECK-NEXT:     ^
