// attention's key_mask must be [B, Tk] (the keys' batch and length).
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dyn B;
dyn T;
dyn S;
entry f(q: f32[B, T, 4], k: f32[B, S, 4], m: i64[B, T], n: f32[B]) -> f32[B, T, 4] {
  let a = attention(q, k, k, key_mask = m);
  let b = attention(q, k, k, key_mask = n);
  return q;
}
// CHECK: [[FILE]]:8:41: error: 'attention': key_mask must be [B, Tk] = i64[B, S], got i64[B, T]
// CHECK: [[FILE]]:9:41: error: 'attention': key_mask must be [B, Tk] = f32[B, S], got f32[B]
