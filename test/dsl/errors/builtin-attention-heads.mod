// D must be divisible by heads; heads is a positive compile-time integer and
// causal is a boolean.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn B;
dyn T;
entry f(q: f32[B, T, 8]) -> f32[B, T, 8] {
  let a = attention(q, q, q, heads = 3);
  let b = attention(q, q, q, heads = 0);
  let c = attention(q, q, q, causal = 1);
  return attention(q, q, q, heads = 4, causal = true);
}
// CHECK:      [[FILE]]:8:38: error: 'attention': D = 8 is not divisible by heads = 3
// CHECK-NEXT:   let a = attention(q, q, q, heads = 3);
// CHECK-NEXT:                                      ^
// CHECK:      [[FILE]]:9:38: error: 'attention': heads must be positive
// CHECK-NEXT:   let b = attention(q, q, q, heads = 0);
// CHECK-NEXT:                                      ^
// CHECK:      [[FILE]]:10:39: error: 'attention': causal must be true or false
// CHECK-NEXT:   let c = attention(q, q, q, causal = 1);
// CHECK-NEXT:                                       ^
