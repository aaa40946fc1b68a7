// Rank polymorphism (LANGUAGE.md §4): one `...` module applied to [D],
// [N, D] and [B, T, D], and routed per token, per example, globally and by
// top-k over two routed dims; and to batch dims of static size (the
// instantiation takes them as dynamic; the call casts).
model poly;
dim D = 8;
dyn N;
dyn B;
dyn T;

module Adapter<M, K>(h: f32[..., M]) -> f32[..., M] {
  param down: f32[M, K] = normal(0.0, 0.3);
  param up: f32[K, M] = normal(0.0, 0.3);
  return h + (relu(h @ down) @ up) * softmax(h, axis = -1);
}

a: Adapter<D, 2>;
experts: Adapter<D, 2>[3];

entry d0(x: f32[D]) -> f32[D] { return a(x); }
entry d2(x: f32[N, D]) -> f32[N, D] { return a(x); }
entry d3(x: f32[B, T, D]) -> f32[B, T, D] { return a(x); }
entry tok(x: f32[N, D], ids: i32[N]) -> f32[N, D] { return route x to experts by task(ids); }
entry ex(x: f32[B, T, D], ids: i32[B]) -> f32[B, T, D] { return route x to experts by task(ids); }
entry all3(x: f32[B, T, D]) -> f32[B, T, D] { return route x to experts by all combine mean; }
entry top(x: f32[B, T, D], logits: f32[B, T, 3]) -> f32[B, T, D] { return route x to experts by topk(logits, 2); }
entry s2(x: f32[2, D]) -> f32[2, D] { return a(x); }
entry s3(x: f32[B, 3, D]) -> f32[B, 3, D] { return a(x); }
entry sex(x: f32[B, 3, D], ids: i32[B]) -> f32[B, 3, D] { return route x to experts by task(ids); }
entry sall(x: f32[2, 3, D]) -> f32[2, 3, D] { return route x to experts by all combine mean; }
