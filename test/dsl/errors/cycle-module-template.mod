// A template instantiating itself with other arguments is a cycle too, even
// if the recursion would end.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Deep<K>(x: f32[N, 4]) -> f32[N, 4] {
  inner: Deep<K - 1>;
  return inner(x);
}
d: Deep<3>;
// CHECK:      [[FILE]]:7:10: error: module 'Deep' instantiates itself
// CHECK-NEXT:   inner: Deep<K - 1>;
// CHECK-NEXT:          ^
// CHECK-NEXT: [[FILE]]:6:8: note: 'Deep' is defined here
// CHECK-NEXT: module Deep<K>(x: f32[N, 4]) -> f32[N, 4] {
// CHECK-NEXT:        ^
// CHECK-NEXT: [[FILE]]:10:4: note: in Deep<3>, instantiated here
// CHECK-NEXT: d: Deep<3>;
// CHECK-NEXT:    ^
