// A top-2 mixture of SwiGLU experts, trained with the Switch Transformer's
// load-balancing loss on the router's logits (LANGUAGE.md §6, §10): the gate
// learns from the weights of the two experts each token chose, the experts
// from the tokens routed to them.
model moe_train;

dim D = 32;
dim H = 64;
dim E = 4;
dyn N;

module SwiGLU<I, F>(x: f32[N, I]) -> f32[N, I] {
  param w_gate: f32[I, F] = xavier;
  param w_up: f32[I, F] = xavier;
  param w_down: f32[F, I] = xavier;
  return (silu(x @ w_gate) * (x @ w_up)) @ w_down;
}

module Gate<I, K>(x: f32[N, I]) -> f32[N, K] {
  param w: f32[I, K] = normal(0.0, 0.1);
  return x @ w;
}

gate: Gate<D, E>;
experts: SwiGLU<D, H>[E];

entry forward(x: f32[N, D]) -> (f32[N, D], f32[N, E]) {
  let logits = gate(x);
  return (route x to experts by topk(logits, 2), logits);
}

train fit(x: f32[N, D], target: f32[N, D]) {
  let (y, logits) = forward(x);
  minimize mse(y, target) + 0.01 * load_balance(logits, 2);
  update gate, experts with adamw(lr = 3e-3);
}
