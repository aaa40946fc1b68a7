// Matmuls whose contraction dim is a dyn of 0: NumPy gives zeros
// ([M, 0] @ [0, N]), whatever the element types and layouts.
model empty_k;
dyn M;
dyn Q;
dyn P;
entry fx(x: f32[M, Q], y: bf16[Q, P]) -> f32[M, P] { return x @ cast(y, f32); }
entry fxt(x: f32[M, Q], y: bf16[P, Q]) -> f32[M, P] {
  return x @ transpose(cast(y, f32), [1, 0]);
}
entry hx(x: f32[M, Q], y: f16[P, Q]) -> f32[M, P] {
  return x @ transpose(cast(y, f32), [1, 0]);
}
entry bb(x: bf16[M, Q], y: bf16[Q, P]) -> bf16[M, P] { return x @ y; }
entry bbt(x: bf16[M, Q], y: bf16[P, Q]) -> bf16[M, P] {
  return x @ transpose(y, [1, 0]);
}
entry ff(x: f32[M, Q], y: f32[Q, P]) -> f32[M, P] { return x @ y; }
