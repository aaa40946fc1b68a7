// Module and entry arguments are tensors.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Id(x: f32[N]) -> f32[N] { return x; }
id: Id;
entry g(x: f32[N]) -> f32[N] { return x; }
entry f(x: f32[N]) -> f32[N] {
  let a = id(3);
  return g(id);
}
// CHECK:      [[FILE]]:9:11: error: argument 1 of 'id' must be a tensor
// CHECK-NEXT:   let a = id(3);
// CHECK-NEXT:           ^
// CHECK:      [[FILE]]:10:10: error: argument 1 of 'g' must be a tensor
// CHECK-NEXT:   return g(id);
// CHECK-NEXT:          ^
