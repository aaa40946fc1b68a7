// concat and a custom aggregation need target results of rank 1 or more.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Total(x: f32[4, 4]) -> f32 { return sum(sum(x, 0), 0); }
module Agg(x: f32[4, 4], outs: f32[2]) -> f32 { return sum(outs, 0); }
totals: Total[2];
agg: Agg;
entry f(x: f32[4, 4]) -> f32 {
  let a = route x to totals by all combine concat;
  let b = route x to totals by all combine agg;
  return route x to totals by all;
}
// CHECK:      [[FILE]]:10:11: error: 'concat' needs target results of rank 1 or more
// CHECK-NEXT:   let a = route x to totals by all combine concat;
// CHECK-NEXT:           ^
// CHECK:      [[FILE]]:11:11: error: custom aggregation needs target results of rank 1 or more
// CHECK-NEXT:   let b = route x to totals by all combine agg;
// CHECK-NEXT:           ^
