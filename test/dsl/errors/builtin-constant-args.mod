// eps is a compile-time number and reshape's dims are integers.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn N;
param g: f32[4];
entry f(x: f32[N, 4]) -> f32[N, 4] {
  let a = layernorm(x, g, g, eps = x);
  let b = reshape(x, [N, 2.5]);
  return x;
}
// CHECK:      [[FILE]]:7:36: error: 'layernorm': eps must be a compile-time number
// CHECK-NEXT:   let a = layernorm(x, g, g, eps = x);
// CHECK-NEXT:                                    ^
// CHECK:      [[FILE]]:8:22: error: 'reshape': every dimension must be an integer
// CHECK-NEXT:   let b = reshape(x, [N, 2.5]);
// CHECK-NEXT:                      ^
