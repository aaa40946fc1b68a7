// An index is a compile-time integer expression.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
module Id(x: f32[N]) -> f32[N] { return x; }
layers: Id[4];
entry f(x: f32[N], i: i32[N]) -> f32[N] {
  let a = layers[i](x);
  let b = layers[N](x);
  return layers[1.5](x);
}
// CHECK:      [[FILE]]:8:18: error: an instance array index must be a compile-time integer
// CHECK-NEXT:   let a = layers[i](x);
// CHECK-NEXT:                  ^
// CHECK:      [[FILE]]:9:18: error: an instance array index must be a compile-time integer
// CHECK-NEXT:   let b = layers[N](x);
// CHECK-NEXT:                  ^
// CHECK:      [[FILE]]:10:17: error: an instance array index must be a compile-time integer
// CHECK-NEXT:   return layers[1.5](x);
// CHECK-NEXT:                 ^
