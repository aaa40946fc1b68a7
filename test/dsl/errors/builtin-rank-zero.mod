// softmax, argmax, layernorm and concat need tensors of rank 1 or more.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
param s: f32;
param g: f32[1];
entry f(x: f32[4]) -> f32[4] {
  let a = softmax(s);
  let b = argmax(s);
  let c = layernorm(s, g, g);
  let d = concat(s, s);
  return x;
}
// CHECK:      [[FILE]]:7:19: error: 'softmax' needs a tensor of rank 1 or more
// CHECK-NEXT:   let a = softmax(s);
// CHECK-NEXT:                   ^
// CHECK:      [[FILE]]:8:18: error: 'argmax' needs a tensor of rank 1 or more
// CHECK-NEXT:   let b = argmax(s);
// CHECK-NEXT:                  ^
// CHECK:      [[FILE]]:9:21: error: 'layernorm' needs a tensor of rank 1 or more
// CHECK-NEXT:   let c = layernorm(s, g, g);
// CHECK-NEXT:                     ^
// CHECK:      [[FILE]]:10:18: error: 'concat' needs tensors of rank 1 or more
// CHECK-NEXT:   let d = concat(s, s);
// CHECK-NEXT:                  ^
