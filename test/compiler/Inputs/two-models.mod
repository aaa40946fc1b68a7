// Two models of this program (model renamed by the test) linked into one
// C program: only NAME_* is exported, so neither binds the other's
// internal functions (the split parts of fit, MLIR's helpers).
model small;
dim D = 8;
dim E = 4;
dyn N;
module Lin<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O] = xavier;
  param b: f32[O] = normal(0.0, 0.1);
  return x @ w + b;
}
gate: Lin<D, E>;
experts: Lin<D, D>[E];
frozen base: Lin<D, D>;
entry forward(x: f32[N, D]) -> f32[N, D] {
  return base(x) + route x to experts by topk(gate(x), 2);
}
entry both(x: f32[N, D]) -> (f32[N, D], f32[N, E]) {
  let l = gate(x);
  return (route x to experts by topk(l, 2), l);
}
train fit(x: f32[N, D], t: f32[N, D]) {
  let (y, l) = both(x);
  minimize mse(y, t) + 0.01 * load_balance(l, 2);
  update experts with adamw(lr = 1e-2);
  update gate with sgd(lr = 0.1, momentum = 0.9);
}
