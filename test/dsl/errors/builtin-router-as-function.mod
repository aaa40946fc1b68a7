// Routers and aggregations are used in `route ... by ... combine ...`, not
// called like functions.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
entry f(x: f32[N, 4]) -> f32[N, 4] {
  let a = topk(x, 2);
  let b = merge(x);
  return x;
}
// CHECK:      [[FILE]]:7:11: error: 'topk' is a router; use it as 'route X to TARGETS by topk(...)'
// CHECK-NEXT:   let a = topk(x, 2);
// CHECK-NEXT:           ^
// CHECK:      [[FILE]]:8:11: error: 'merge' is an aggregation; use it after 'combine'
// CHECK-NEXT:   let b = merge(x);
// CHECK-NEXT:           ^
