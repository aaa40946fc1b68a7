// For a per-row router a target receives the routed rows flattened,
// [R, F...]: per-example routing of [B, T, D] needs targets on [N, T, D],
// and per-token routing needs targets on [N, D].
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
module Seq(x: f32[N, T, D]) -> f32[N, T, D] { return x; }
tok: Lin<D, D>[E];
seq: Seq[E];
entry f(x: f32[B, T, D], ex: i32[B], tk: i32[B, T]) -> f32[B, T, D] {
  let a = route x to tok by task(ex);
  let b = route x to seq by task(tk);
  return x;
}
// CHECK:      [[FILE]]:20:11: error: targets receive the routed rows as f32[R, T, 4], but Lin<4, 4> takes f32[N, 4]
// CHECK-NEXT:   let a = route x to tok by task(ex);
// CHECK-NEXT:           ^
// CHECK-NEXT: [[FILE]]:9:8: note: module defined here
// CHECK-NEXT: module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
// CHECK-NEXT:        ^
// CHECK:      [[FILE]]:21:11: error: targets receive the routed rows as f32[R, 4] (the routed dims [B, T] flattened into R), but Seq takes f32[N, T, 4]
// CHECK-NEXT:   let b = route x to seq by task(tk);
// CHECK-NEXT:           ^
// CHECK-NEXT: [[FILE]]:16:8: note: module defined here
// CHECK-NEXT: module Seq(x: f32[N, T, D]) -> f32[N, T, D] { return x; }
// CHECK-NEXT:        ^
