// f16/bf16 (LANGUAGE.md §3): what is not supported yet says so, located:
// `merge` of half parameters. Training a bf16 parameter is fine
// (test/e2e/train_half.test).
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
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
// CHECK: [[FILE]]:12:60: error: 'merge' of f16/bf16 values or parameters is not supported yet (f32 is)
