// Soft MoE (Puigcerver et al., 2024), one layer: every slot is a softmax
// mix of the example's tokens (dispatch, over the tokens), every expert
// processes its own p slots, and every token is a softmax mix of the slots'
// outputs (combine, over the slots). The slots' ownership is a constant,
// kron(eye(E), full([p, 1], 1.0)) ([S, E]), built with v0.2's eye, full and
// kron instead of a matrix loaded from a file; the experts see every slot
// (all + concat) and each slot keeps its owner's output.
model soft_moe;

dim D = 32;
dim H = 64;
dim E = 4;
dim P = 2;
dim S = E * P;
dyn B;
dyn T;

module Expert<I, F>(x: f32[B, S, I]) -> f32[B, S, I] {
  param w1: f32[I, F] = xavier;
  param w2: f32[F, I] = xavier;
  return gelu(x @ w1) @ w2;
}

param phi: f32[D, S] = normal(0.0, 0.2);
experts: Expert<D, H>[E];

entry forward(x: f32[B, T, D]) -> f32[B, T, D] {
  let logits = x @ phi;                                     // [B, T, S]
  let dispatch = softmax(logits, axis = 1);                 // over tokens
  let mix = softmax(logits, axis = 2);                      // over slots
  let slots = transpose(dispatch, [0, 2, 1]) @ x;           // [B, S, D]
  let outs = route slots to experts by all combine concat;  // [B, S, E * D]
  let owner = kron(eye(E), full([P, 1], 1.0));              // [S, E]
  let mine = reshape(outs, [B, S, E, D]) * reshape(owner, [1, S, E, 1]);
  let y = sum(mine, 2);                                     // [B, S, D]
  return mix @ y;
}
