// embedding's ids are i32 or i64, and the table has rank 1 or more.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
param table: f32[16, 4];
param s: f32;
entry f(x: f32[N, 4], i: i32[N]) -> f32[N, 4] {
  let a = embedding(table, x);
  let b = embedding(s, i);
  return embedding(table, i);
}
// CHECK:      [[FILE]]:8:28: error: 'embedding': ids must be i32 or i64, got f32[N, 4]
// CHECK-NEXT:   let a = embedding(table, x);
// CHECK-NEXT:                            ^
// CHECK:      [[FILE]]:9:21: error: 'embedding': the table must have rank 1 or more
// CHECK-NEXT:   let b = embedding(s, i);
// CHECK-NEXT:                     ^
