// Routed experts trained (LANGUAGE.md §10): gradients through every
// router's weights (topk normalised and not, softmax, expert_choice,
// weights), through task routing (no gradient to the ids), through the
// sum, mean and weighted_sum aggregations, and the auxiliary losses.
model troute;
dim D = 12;
dim H = 16;
dim E = 4;
dyn N;

module Expert<I, F>(x: f32[N, I]) -> f32[N, I] {
  param w1: f32[I, F] = normal(0.0, 0.3);
  param b1: f32[F] = normal(0.0, 0.1);
  param w2: f32[F, I] = normal(0.0, 0.3);
  return gelu(x @ w1 + b1) @ w2;
}

module Gate<I, K>(x: f32[N, I]) -> f32[N, K] {
  param w: f32[I, K] = normal(0.0, 0.5);
  return x @ w;
}

gate: Gate<D, E>;
experts: Expert<D, H>[E];

entry top2(x: f32[N, D]) -> (f32[N, D], f32[N, E]) {
  let logits = gate(x);
  return (route x to experts by topk(logits, 2), logits);
}

train step_top2(x: f32[N, D], target: f32[N, D]) {
  let (y, logits) = top2(x);
  minimize mse(y, target) + 0.1 * load_balance(logits, 2) + 0.01 * z_loss(logits);
  update gate, experts with sgd(lr = 1.0);
}

train step_raw(x: f32[N, D], target: f32[N, D]) {
  minimize mse(route x to experts by topk(gate(x), 1, normalize = false), target);
  update gate, experts with sgd(lr = 1.0);
}

train step_soft(x: f32[N, D], target: f32[N, D]) {
  minimize mse(route x to experts by softmax(gate(x)), target);
  update gate, experts with sgd(lr = 1.0);
}

train step_mean(x: f32[N, D], target: f32[N, D]) {
  minimize mse(route x to experts by topk(gate(x), 2) combine mean, target);
  update experts with sgd(lr = 1.0);
}

train step_sum(x: f32[N, D], target: f32[N, D]) {
  minimize mse(route x to experts by topk(gate(x), 3) combine sum, target);
  update gate, experts with sgd(lr = 1.0);
}

train step_ec(x: f32[N, D], target: f32[N, D]) {
  minimize mse(route x to experts by expert_choice(gate(x), 1.0), target);
  update gate, experts with sgd(lr = 1.0);
}

train step_weights(x: f32[N, D], target: f32[N, D]) {
  minimize mse(route x to experts by weights(relu(gate(x))), target);
  update gate, experts with sgd(lr = 1.0);
}

train step_task(x: f32[N, D], ids: i64[N], target: f32[N, D]) {
  minimize mse(route x to experts by task(ids), target);
  update experts[0], experts[2] with sgd(lr = 1.0);
}
