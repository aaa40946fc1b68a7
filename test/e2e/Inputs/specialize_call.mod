// A train block that reaches its task route through a called entry:
// --specialize fit.task_id=V is range-checked along the call.
model mt;
dim D = 32;
dim TASKS = 4;
dyn B;
module Adapter<M, Rk>(h: f32[B, M]) -> f32[B, M] {
  param down: f32[M, Rk] = normal(0.0, 0.2);
  param up: f32[Rk, M] = normal(0.0, 0.2);
  return h + relu(h @ down) @ up;
}
param w: f32[D, D] = xavier;
adapters: Adapter<D, 8>[TASKS];
entry forward(x: f32[B, D], task_id: i32[B]) -> f32[B, D] {
  return route x @ w to adapters by task(task_id);
}
entry other(x: f32[B, D], k: i64[B]) -> f32[B, D] {
  return x @ w + reshape(cast(k, f32), [B, 1]) * 0.0;
}
train fit(x: f32[B, D], task_id: i32[B], t: f32[B, D]) {
  minimize mse(forward(x, task_id), t);
  update adapters with adamw(lr = 1e-2);
  update w with sgd(lr = 0.1, momentum = 0.9);
}
