// One bottleneck adapter (Houlsby et al. 2019, Pfeiffer et al. 2021),
// written once with `...` (LANGUAGE.md §4, v0.2) and used three ways: directly
// on [B, T, D] hidden states, per token on [N, D] rows routed by task id,
// and per example on [B, T, D] with one task id per sequence. A classifier
// reads the first token (`h[:, 0]`, a slice) and trains the task adapters.
model anywhere;

dim D = 32;
dim R = 8;
dim TASKS = 3;
dim C = 4;
dyn N;
dyn B;
dyn T;

// `...` is any number of leading dims: [D], [N, D], [B, T, D] or a route's
// packed rows alike. The body is row-independent along all of them.
module Adapter<M, K>(h: f32[..., M]) -> f32[..., M] {
  param ln_g: f32[M] = ones;
  param ln_b: f32[M] = zeros;
  param down: f32[M, K] = normal(0.0, 0.02);
  param up: f32[K, M] = zeros;
  return h + relu(layernorm(h, ln_g, ln_b) @ down) @ up;
}

shared: Adapter<D, R>;
tasks: Adapter<D, R>[TASKS];
frozen param head: f32[D, C] = normal(0.0, 0.1);

// Directly, on every token of every sequence.
entry encode(h: f32[B, T, D]) -> f32[B, T, D] { return shared(h); }

// Per token: each row picks its task's adapter.
entry per_token(x: f32[N, D], task_id: i32[N]) -> f32[N, D] {
  return route x to tasks by task(task_id);
}

// Per example: each sequence picks one adapter for all of its tokens.
entry per_example(h: f32[B, T, D], task_id: i32[B]) -> f32[B, T, D] {
  return route shared(h) to tasks by task(task_id);
}

// Sequence classification from the first token.
entry classify(h: f32[B, T, D], task_id: i32[B]) -> f32[B, C] {
  let z = route shared(h) to tasks by task(task_id);
  return z[:, 0] @ head;
}

train fit(h: f32[B, T, D], task_id: i32[B], labels: i32[B]) {
  minimize cross_entropy(classify(h, task_id), labels);
  update tasks with adamw(lr = 0.01);
}
