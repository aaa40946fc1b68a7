// Every router of LANGUAGE.md §7 with its arguments, positional and named,
// per-token and per-example (sequence-level) routing, array and list
// targets.
// RUN: modc %s --check
model routers;
dim D = 8;
dim E = 4;
dyn N;
dyn B;
dyn T;

module Expert<M>(x: f32[N, M]) -> f32[N, M] {
  param w: f32[M, M] = xavier;
  return gelu(x @ w);
}
module SeqExpert<M>(x: f32[N, T, M]) -> f32[N, T, M] {
  param w: f32[M, M] = xavier;
  return x @ w;
}

experts: Expert<D>[E];
seq: SeqExpert<D>[E];
a: Expert<D>;
b: Expert<D>;
param wg: f32[D, E] = normal(0.0, 0.02);

entry tokens(x: f32[N, D], ids: i32[N], ids64: i64[N]) -> f32[N, D] {
  let l = x @ wg;
  let r1 = route x to experts by topk(l, 2);
  let r2 = route x to experts by topk(l, k = 1, normalize = false);
  let r3 = route x to experts by topk(logits = l, k = 2, capacity = 1.25);
  let r4 = route x to experts by softmax(l);
  let r5 = route x to experts by expert_choice(l, 2.0);
  let r6 = route x to experts by expert_choice(l, capacity = 1);
  let r7 = route x to experts by task(ids);
  let r8 = route x to experts by hash(ids64);
  let r9 = route x to experts by weights(relu(l));
  let r10 = route x to experts by fixed(3, 0);
  let r11 = route x to experts by all;
  let r12 = route x to [a, b] by fixed(1);
  return r1 + r2 + r3 + r4 + r5 + r6 + r7 + r8 + r9 + r10 + r11 + r12;
}

// Per-token routing of [B, T, D] calls targets declared on [N, D];
// per-example routing calls targets declared on [N, T, D].
entry sequences(x: f32[B, T, D], lang: i32[B]) -> f32[B, T, D] {
  let per_token = route x to experts by topk(x @ wg, 2);
  let per_example = route x to seq by task(lang);
  let pooled = mean(x, axis = 1) @ wg;
  let by_logits = route x to seq by softmax(pooled);
  return per_token + per_example + by_logits;
}
