// Routes beyond the examples, -O2 against -O0: a folded LoRA inside a
// routed target (regression: its weight was read inside a region), per-example
// task routing and merge over [N, S, D] rows.
model r2;
dim D = 16;
dim T = 3;
dyn N;
dyn S;
module Linear(x: f32[N, D]) -> f32[N, D] {
  param w: f32[D, D] = xavier;
  param b: f32[D] = zeros;
  return x @ w + b;
}
module LoRA(x: f32[N, D]) -> f32[N, D] {
  param A: f32[D, 2] = normal(0.0, 0.3);
  param B: f32[2, D] = normal(0.0, 0.3);
  return (x @ A) @ B * 0.5;
}
module Tuned(x: f32[N, D]) -> f32[N, D] {
  frozen base: Linear;
  ad: LoRA;
  return base(x) + ad(x);
}
module Other(x: f32[N, D]) -> f32[N, D] {
  param w: f32[D, D] = xavier;
  return relu(x @ w);
}
module Seq(h: f32[N, S, D]) -> f32[N, S, D] {
  param w: f32[D, D] = xavier;
  param b: f32[D] = zeros;
  return h @ w + b;
}
param g2: f32[D, 2] = normal(0.0, 1.0);
t: Tuned;
o: Other;
q: Seq[T];
entry mixed(x: f32[N, D]) -> f32[N, D] { return route x to [t, o] by topk(x @ g2, 1); }
entry perex(h: f32[N, S, D], task: i32[N]) -> f32[N, S, D] { return route h to q by task(task); }
entry perex_merge(h: f32[N, S, D], w: f32[N, 3]) -> f32[N, S, D] { return route h to q by weights(w) combine merge; }
