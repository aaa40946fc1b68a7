// An instance array index is checked against its bounds at compile time,
// with a note at the array.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Id(x: f32[N]) -> f32[N] { return x; }
layers: Id[4];
entry f(x: f32[N]) -> f32[N] {
  let a = layers[3](x);
  let b = layers[-1](x);
  return layers[4](x);
}
// CHECK:      [[FILE]]:10:18: error: index -1 is out of bounds for 'layers' of 4 elements
// CHECK-NEXT:   let b = layers[-1](x);
// CHECK-NEXT:                  ^
// CHECK-NEXT: [[FILE]]:7:1: note: 'layers' is declared here
// CHECK-NEXT: layers: Id[4];
// CHECK-NEXT: ^
// CHECK:      [[FILE]]:11:17: error: index 4 is out of bounds for 'layers' of 4 elements
// CHECK-NEXT:   return layers[4](x);
// CHECK-NEXT:                 ^
// CHECK-NEXT: [[FILE]]:7:1: note: 'layers' is declared here
// CHECK-NEXT: layers: Id[4];
// CHECK-NEXT: ^
