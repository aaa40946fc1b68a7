// A module uses only its own parameters, instances and arguments: model-level
// ones are out of reach.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
param scale: f32[4];
module Id(x: f32[N, 4]) -> f32[N, 4] { return x; }
shared: Id;
module M(x: f32[N, 4]) -> f32[N, 4] {
  let y = shared(x);
  return x * scale;
}
// CHECK:      [[FILE]]:10:11: error: 'shared' is a model-level instance; a module may use only its own parameters, instances and arguments
// CHECK-NEXT:   let y = shared(x);
// CHECK-NEXT:           ^
// CHECK:      [[FILE]]:11:14: error: 'scale' is a model-level parameter; a module may use only its own parameters, instances and arguments
// CHECK-NEXT:   return x * scale;
// CHECK-NEXT:              ^
