// A routed MoE with a train block whose scratch buffers are per thread
// (test/python/modrt_unload_threads.test, test/compiler/unload-cycles.test).
model ul;
dyn N;
dim D = 128;
dim E = 4;
module Ex(x: f32[N, D]) -> f32[N, D] {
  param w: f32[D, D] = normal(0.0, 0.05);
  param h: bf16[D, D] = normal(0.0, 0.05);
  return gelu(x @ w) @ cast(h, f32);
}
ex: Ex[E];
gate: Ex;
param g: f32[D, E] = normal(0.0, 0.1);
entry fwd(x: f32[N, D]) -> f32[N, D] { return route x to ex by topk(x @ g, 2); }
entry dense(x: f32[N, D]) -> f32[N, D] { return gate(x); }
train fit(x: f32[N, D], y: f32[N, D]) { minimize mse(route x to ex by topk(x @ g, 2), y); update ex, g with adamw(lr = 1e-3); }
