// f16 and bf16 end to end (LANGUAGE.md §3): parameters, inputs, outputs,
// elementwise math rounded per op, `@` and reductions accumulated in f32,
// casts between all element types, a module applied through a global route.
model lowp;
dim D = 16;
dim E = 3;
dyn N;
dyn B;
dyn T;
module Expert(x: bf16[..., D]) -> bf16[..., D] {
  param w: bf16[D, D] = normal(0.0, 0.3);
  return gelu(x @ w);
}
param table: bf16[50, D] = normal(0.0, 1.0);
param g: bf16[D] = ones;
param b: bf16[D] = zeros;
experts: Expert[E];
entry emb(ids: i64[B, T]) -> bf16[B, T, D] { return layernorm(embedding(table, ids), g, b); }
entry att(x: bf16[B, T, D]) -> bf16[B, T, D] { return attention(x, x, x, heads = 2); }
entry soft(x: bf16[N, D]) -> bf16[N, D] { return softmax(x, axis = -1) + mean(x, axis = -1, keepdims = true); }
entry casts(x: bf16[N, D]) -> (f16[N, D], f32[N, D], i32[N, D], bf16[N, D]) {
  return (cast(x, f16), cast(x, f32), cast(x * 4.0, i32), cast(cast(x, f16), bf16));
}
entry moe(x: bf16[N, D]) -> bf16[N, D] { return route x to experts by all combine mean; }
// Rounding of special results: subnormals, overflow to infinity, NaN.
entry product(x: bf16[N, D], y: bf16[N, D]) -> bf16[N, D] { return x * y; }
// A chain of elementwise ops (one fused loop at -O1+): each op rounds.
entry chain(x: bf16[N, D], y: bf16[N, D]) -> bf16[N, D] { return x * y + x / y - 1.5; }
// The right operand an activation rounded to bf16 (not a parameter).
entry scaled(x: bf16[N, D], c: bf16[D, D]) -> bf16[N, D] { return x @ (c * 2.0); }
// `merge` of bf16 parameters: mixed in f32, rounded once, then applied.
entry mixed(x: bf16[N, D], w: f32[N, E]) -> bf16[N, D] { return route x to experts by weights(w) combine merge; }
entry slice(x: bf16[B, T, D]) -> bf16[B, D] { return x[:, -1] * 0.5; }
// A literal operand of a builtin computed in f32 (it crashed the importer).
entry unit(x: bf16[N, D]) -> bf16[N, D] {
  return x / maximum(sqrt(sum(x * x, axis = -1, keepdims = true)), 1e-12);
}
param h: f16[D, 4] = normal(0.0, 1.0);
entry small(x: f16[N, D]) -> f16[N, 4] { return relu(x) @ h * 2.0 + exp(x[:, 0:4]); }
// Per-row routing of bf16 rows: the rows travel as f32 to the targets,
// which round them back; the weighted sum is computed in f32, rounded once.
entry top(x: bf16[N, D], logits: f32[N, E]) -> bf16[N, D] { return route x to experts by topk(logits, 2); }
entry by_task(x: bf16[B, T, D], ids: i32[B]) -> bf16[B, T, D] { return route x to experts by task(ids); }
// Experts with f16 weights: fused as well (grouped GEMMs widening f16).
module HExpert(x: f16[..., D]) -> f16[..., D] {
  param w: f16[D, D] = normal(0.0, 0.3);
  return gelu(x @ w);
}
hexperts: HExpert[E];
entry htop(x: f16[N, D], logits: f32[N, E]) -> f16[N, D] { return route x to hexperts by topk(logits, 2); }
entry htask(x: f16[B, T, D], ids: i32[B]) -> f16[B, T, D] { return route x to hexperts by task(ids); }
