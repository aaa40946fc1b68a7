// Integer division in a value is Python's `/` (docs/design.md: 3 / 2 is
// 1.5); where an integer is needed (a dim, a shape, an integer template
// argument, an index, an axis, a reshape dim, topk's k) a non-exact division
// is an error at the '/'.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
dim D = 4;
dim Q = (D + 3) / 2 * 2;
module Id<K>(x: f32[N, 4]) -> f32[N, 4] { return x; }
layers: Id<1>[4];
half: Id<3 / 2>;
param wg: f32[4, 4];
entry g(y: f32[N, 3 / 2]) -> f32[N] { return sum(y, 1); }
entry f(x: f32[N, 4]) -> f32[N, 4] {
  let a = layers[5 / 2](x);
  let b = softmax(x, axis = -3 / 2);
  let c = reshape(x, [N, 8 / 3, 2]);
  let d = route x to layers by topk(x @ wg, 3 / 2);
  return x;
}
// CHECK:      [[FILE]]:9:17: error: '7 / 2' is not an exact integer division
// CHECK-NEXT: dim Q = (D + 3) / 2 * 2;
// CHECK-NEXT:                 ^
// CHECK:      [[FILE]]:12:12: error: '3 / 2' is not an exact integer division
// CHECK-NEXT: half: Id<3 / 2>;
// CHECK-NEXT:            ^
// CHECK:      [[FILE]]:14:21: error: '3 / 2' is not an exact integer division
// CHECK-NEXT: entry g(y: f32[N, 3 / 2]) -> f32[N] { return sum(y, 1); }
// CHECK-NEXT:                     ^
// CHECK:      [[FILE]]:16:20: error: '5 / 2' is not an exact integer division
// CHECK-NEXT:   let a = layers[5 / 2](x);
// CHECK-NEXT:                    ^
// CHECK:      [[FILE]]:17:32: error: '-3 / 2' is not an exact integer division
// CHECK-NEXT:   let b = softmax(x, axis = -3 / 2);
// CHECK-NEXT:                                ^
// CHECK:      [[FILE]]:18:28: error: '8 / 3' is not an exact integer division
// CHECK-NEXT:   let c = reshape(x, [N, 8 / 3, 2]);
// CHECK-NEXT:                            ^
// CHECK:      [[FILE]]:19:47: error: '3 / 2' is not an exact integer division
// CHECK-NEXT:   let d = route x to layers by topk(x @ wg, 3 / 2);
// CHECK-NEXT:                                               ^
