// attention takes q [B, Tq, D], k and v [B, Tk, D] of one element type.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn B;
dyn T;
dyn S;
entry f(q: f32[B, T, 8], k: f32[B, S, 8], v: f32[B, T, 8], x: f32[B, 8]) -> f32[B, T, 8] {
  let a = attention(q, x, x);
  let b = attention(q, k, v);
  return attention(q, k, k);
}
// CHECK:      [[FILE]]:8:24: error: 'attention': k must be [B, T, D], got f32[B, 8]
// CHECK-NEXT:   let a = attention(q, x, x);
// CHECK-NEXT:                        ^
// CHECK:      [[FILE]]:9:11: error: 'attention': q f32[B, T, 8], k f32[B, S, 8] and v f32[B, T, 8] must be [B, Tq, D], [B, Tk, D], [B, Tk, D]
// CHECK-NEXT:   let b = attention(q, k, v);
// CHECK-NEXT:           ^
