// task and hash route by integer ids (i32/i64).
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dim E = 3;
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O];
  return x @ w;
}

experts: Lin<D, D>[E];
entry f(x: f32[N, D], fid: f32[N]) -> f32[N, D] {
  let a = route x to experts by task(fid);
  let b = route x to experts by hash(x);
  return x;
}
// CHECK:      [[FILE]]:14:38: error: 'task': ids must be i32 or i64, got f32[N]
// CHECK-NEXT:   let a = route x to experts by task(fid);
// CHECK-NEXT:                                      ^
// CHECK:      [[FILE]]:15:38: error: 'hash': ids must be i32 or i64, got f32[N, 4]
// CHECK-NEXT:   let b = route x to experts by hash(x);
// CHECK-NEXT:                                      ^
