// f16/bf16 (LANGUAGE.md §3) under `merge` and in train blocks, once located
// errors: they check and compile (a train block merging bf16 experts with
// a per-row parameter, the fused factoring's parameter rows); the numbers
// are in test/e2e/lowp.test and train_half.test.
// RUN: modc %s --check
// RUN: modc %s -o %t.so
model m;
dim D = 4;
dyn N;
module E(x: bf16[N, D]) -> bf16[N, D] { param s: bf16[D] = ones; return x * s; }
experts: E[2];
param w: bf16[D, D] = normal(0.0, 1.0);
entry f(x: bf16[N, D], ids: i32[N]) -> bf16[N, D] { return route x to experts by task(ids); }
entry g(x: bf16[N, D], ids: i32[N]) -> bf16[N, D] { return route x to experts by task(ids) combine merge; }
train fit(x: bf16[N, D], y: f32[N, D]) {
  minimize mse(cast(x @ w, f32), y);
  update w with sgd(lr = 0.1);
}
train fit_experts(x: bf16[N, D], ids: i32[N], y: f32[N, D]) {
  minimize mse(cast(g(x, ids), f32), y);
  update experts with sgd(lr = 0.1);
}
