// A module is applied through an instance, an array through one element or a
// pipe.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Id(x: f32[N]) -> f32[N] { return x; }
layers: Id[4];
entry f(x: f32[N]) -> f32[N] {
  let a = Id(x);
  let b = layers(x);
  let c = x |> Id;
  return x;
}
// CHECK:      [[FILE]]:9:11: error: 'Id' is a module: declare an instance of it and apply that
// CHECK-NEXT:   let a = Id(x);
// CHECK-NEXT:           ^
// CHECK:      [[FILE]]:10:11: error: 'layers' is an instance array: apply one element ('layers[i](...)') or pipe into it
// CHECK-NEXT:   let b = layers(x);
// CHECK-NEXT:           ^
// CHECK:      [[FILE]]:11:13: error: 'Id' is a module: declare an instance of it and apply that
// CHECK-NEXT:   let c = x |> Id;
// CHECK-NEXT:             ^
