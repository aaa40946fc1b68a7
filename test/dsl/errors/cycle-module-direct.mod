// A module instantiating itself is an error (LANGUAGE.md §2).
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Tree(x: f32[N, 4]) -> f32[N, 4] {
  left: Tree;
  return left(x);
}
// CHECK:      [[FILE]]:6:9: error: module 'Tree' instantiates itself
// CHECK-NEXT:   left: Tree;
// CHECK-NEXT:         ^
// CHECK-NEXT: [[FILE]]:5:8: note: 'Tree' is defined here
// CHECK-NEXT: module Tree(x: f32[N, 4]) -> f32[N, 4] {
// CHECK-NEXT:        ^
