// The routed dims S... (logits [S..., E], ids [S...]) must be a non-empty
// prefix of the routed value's shape.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dim E = 3;
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O];
  return x @ w;
}

dyn B;
dyn T;
experts: Lin<D, D>[E];
entry f(x: f32[B, T, D], ids: i32[T], l: f32[T, E], i0: i32, i3: i32[B, T, D]) -> f32[B, T, D] {
  let a = route x to experts by task(ids);
  let b = route x to experts by softmax(l);
  let c = route x to experts by task(i0);
  let d = route x to experts by task(i3);
  return x;
}
// CHECK:      [[FILE]]:17:38: error: 'task': the routed dims [T] must be a non-empty prefix of the routed value's shape f32[B, T, 4]
// CHECK-NEXT:   let a = route x to experts by task(ids);
// CHECK-NEXT:                                      ^
// CHECK:      [[FILE]]:18:41: error: 'softmax': the routed dims [T] must be a non-empty prefix of the routed value's shape f32[B, T, 4]
// CHECK-NEXT:   let b = route x to experts by softmax(l);
// CHECK-NEXT:                                         ^
// CHECK:      [[FILE]]:19:38: error: 'task': the routed dims [] must be a non-empty prefix of the routed value's shape f32[B, T, 4]
// CHECK-NEXT:   let c = route x to experts by task(i0);
// CHECK-NEXT:                                      ^
// CHECK:      [[FILE]]:20:11: error: targets receive the routed rows as f32[R] (the routed dims [B, T, 4] flattened into R), but Lin<4, 4> takes f32[N, 4]
// CHECK-NEXT:   let d = route x to experts by task(i3);
// CHECK-NEXT:           ^
// CHECK-NEXT: [[FILE]]:8:8: note: module defined here
// CHECK-NEXT: module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
// CHECK-NEXT:        ^
