// Training f16/bf16 parameters (LANGUAGE.md §10: updated in f32 and
// rounded): a bf16 layer with a bf16 bias trained through tanh and a
// frozen bf16 head, and an f16 LoRA-style pair on an f32 input.
model half;
dim D = 16;
dim H = 24;
dyn N;
param w: bf16[D, H] = normal(0.0, 0.3);
param b: bf16[H] = normal(0.0, 0.1);
frozen param head: bf16[H, D] = normal(0.0, 0.3);
param bias: bf16[D] = zeros;
param a: f16[D, 4] = normal(0.0, 0.3);
param c: f16[4, D] = normal(0.0, 0.3);
entry forward(x: bf16[N, D]) -> bf16[N, D] { return tanh(x @ w + b) @ head; }
entry lowrank(x: f32[N, D]) -> f32[N, D] { return cast((cast(x, f16) @ a) @ c, f32); }
train fit(x: bf16[N, D], t: f32[N, D]) {
  minimize mse(cast(forward(x), f32), t);
  update w, b with sgd(lr = 1.0);
}
train fit_adamw(x: bf16[N, D], t: f32[N, D]) {
  minimize mse(cast(forward(x), f32), t);
  update w, b with adamw(lr = 1e-2);
}
train fit_half(x: f32[N, D], t: f32[N, D]) {
  minimize mse(lowrank(x), t);
  update a, c with sgd(lr = 1.0);
}
// A bias over many rows: its gradient is a sum over the rows, accumulated
// in f32 (in bf16 it was off by percents).
train fit_bias(x: bf16[N, D], t: f32[N, D]) {
  minimize mse(cast(x + bias, f32), t);
  update bias with sgd(lr = 1.0);
}
// `merge` of bf16 experts in a train block (exact factoring: the gradient
// of each expert's weight through the mixed one).
module Lin(x: bf16[N, D]) -> bf16[N, D] {
  param w: bf16[D, D] = normal(0.0, 0.3);
  return tanh(x @ w);
}
experts: Lin[3];
entry merged(x: bf16[N, D], mix: f32[N, 3]) -> bf16[N, D] {
  return route x to experts by weights(mix) combine merge;
}
train fit_merge(x: bf16[N, D], mix: f32[N, 3], t: f32[N, D]) {
  minimize mse(cast(merged(x, mix), f32), t);
  update experts with sgd(lr = 1.0);
}
// A bf16 and an f16 embedding table trained: the rows' gradients summed in
// f32 into each table's gradient.
param table: bf16[10, D] = normal(0.0, 1.0);
param htable: f16[10, D] = normal(0.0, 1.0);
train fit_table(ids: i64[N], t: f32[N, D]) {
  minimize mse(cast(embedding(table, ids), f32) + cast(embedding(htable, ids), f32), t);
  update table, htable with sgd(lr = 1.0);
}
// Losses of half tensors: widened exactly, computed in f32, so the same
// step as with the casts spelled out (fit above).
train fit_direct(x: bf16[N, D], t: bf16[N, D]) {
  minimize mse(forward(x), t);
  update w, b with sgd(lr = 1.0);
}
train fit_logits(x: bf16[N, D], labels: i64[N]) {
  let y = forward(x);
  minimize cross_entropy(y, labels) + z_loss(y) + load_balance(y, 2);
  update w, b with sgd(lr = 1.0);
}
train fit_logits_cast(x: bf16[N, D], labels: i64[N]) {
  let y = cast(forward(x), f32);
  minimize cross_entropy(y, labels) + z_loss(y) + load_balance(y, 2);
  update w, b with sgd(lr = 1.0);
}
