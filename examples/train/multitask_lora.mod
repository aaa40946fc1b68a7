// Multi-task LoRA, trained: one frozen base layer and one LoRA per task,
// each example routed to its task's adapter (per-example `task` routing).
// Only the adapters train; the base gets no gradient, no optimiser state.
model multitask_lora;

dim D = 64;
dim TASKS = 4;
dyn N;

module Linear<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O] = xavier;
  param b: f32[O] = zeros;
  return x @ w + b;
}

module LoRA<I, O, r = 4, alpha: float = 8.0>(x: f32[N, I]) -> f32[N, O] {
  param A: f32[I, r] = normal(0.0, 0.1);
  param B: f32[r, O] = zeros;
  return (x @ A) @ B * (alpha / r);
}

frozen base: Linear<D, D>;
adapters: LoRA<D, D>[TASKS];

entry forward(x: f32[N, D], task: i32[N]) -> f32[N, D] {
  return base(x) + route x to adapters by task(task);
}

train fit(x: f32[N, D], task: i32[N], target: f32[N, D]) {
  minimize mse(forward(x, task), target);
  update adapters with adamw(lr = 1e-2, weight_decay = 0.0);
}
