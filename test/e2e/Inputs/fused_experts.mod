// Routes over one module, fused into one grouped computation at -O2 (the
// biases become per-row parameter rows, the matmuls grouped GEMMs), at
// sizes where the grouped GEMM splits groups, rows and columns over threads.
model fx;

dim D = 64;
dim H = 96;
dyn N;
dyn T;

module FFN(x: f32[N, D]) -> f32[N, D] {
  param w1: f32[D, H] = xavier;
  param b1: f32[H] = zeros;
  param w2: f32[H, D] = xavier;
  param b2: f32[D] = zeros;
  return gelu(x @ w1 + b1) @ w2 + b2;
}

// Per example: a [N, T, D] batch, one adapter per example (tenant).
module Adapter(h: f32[N, T, D]) -> f32[N, T, D] {
  param down: f32[D, 8] = normal(0.0, 0.02);
  param up: f32[8, D] = zeros;
  return h + relu(h @ down) @ up;
}

// One matmul: the gather and the weighted scatter both fused into it.
module Proj(x: f32[N, D]) -> f32[N, D] {
  param w: f32[D, D] = xavier;
  return x @ w;
}

param g8: f32[D, 8] = normal(0.0, 0.5);
param g3: f32[D, 3] = normal(0.0, 0.5);
e: FFN[8];
a: FFN;
b: FFN;
c: FFN;
ad: Adapter[5];
p: Proj[8];

entry top2(x: f32[N, D]) -> f32[N, D] {
  return route x to e by topk(x @ g8, 2);
}

entry capped(x: f32[N, D]) -> f32[N, D] {
  return route x to e by topk(x @ g8, 2, capacity = 0.75);
}

entry listed_mean(x: f32[N, D]) -> f32[N, D] {
  return route x to [a, b, c] by topk(x @ g3, 2) combine mean;
}

entry dense_max(x: f32[N, D]) -> f32[N, D] {
  return route x to [c, a, b] by softmax(x @ g3) combine max;
}

entry tenants(x: f32[N, T, D], tenant: i32[N]) -> f32[N, T, D] {
  return route x to ad by task(tenant);
}

entry proj_top2(x: f32[N, D]) -> f32[N, D] {
  return route x to p by topk(x @ g8, 2, capacity = 0.75);
}

entry proj_mean(x: f32[N, D]) -> f32[N, D] {
  return route x to p by topk(x @ g8, 3) combine mean;
}

entry proj_max(x: f32[N, D]) -> f32[N, D] {
  return route x to p by topk(x @ g8, 2) combine max;
}
