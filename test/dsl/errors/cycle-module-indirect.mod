// A cycle through other modules is reported with its chain, once.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module A(x: f32[N, 4]) -> f32[N, 4] {
  b: B;
  return b(x);
}
module B(x: f32[N, 4]) -> f32[N, 4] {
  c: C<2>;
  return c(x);
}
module C<K>(x: f32[N, 4]) -> f32[N, 4] {
  a: A;
  return a(x) * K;
}
top: A;
// CHECK:      [[FILE]]:14:6: error: module 'A' instantiates itself (A -> B -> C -> A)
// CHECK-NEXT:   a: A;
// CHECK-NEXT:      ^
// CHECK-NEXT: [[FILE]]:5:8: note: 'A' is defined here
// CHECK-NEXT: module A(x: f32[N, 4]) -> f32[N, 4] {
// CHECK-NEXT:        ^
// CHECK-NEXT: [[FILE]]:10:6: note: in C<2>, instantiated here
// CHECK-NEXT:   c: C<2>;
// CHECK-NEXT:      ^
