// attention(..., key_mask = m) (LANGUAGE.md §6, v0.2): padded keys dropped
// from every query's softmax, a query with no key left gets 0; with causal
// too; masks of any element type; and trained through (the gradient of the
// masked scores).
model kmask;
dim D = 8;
dyn B;
dyn T;
param wq: f32[D, D] = normal(0.0, 0.4);
param wk: f32[D, D] = normal(0.0, 0.4);

entry f(x: f32[B, T, D], m: i64[B, T], mb: bool[B, T]) -> (f32[B, T, D], f32[B, T, D]) {
  return (attention(x @ wq, x @ wk, x, heads = 2, key_mask = m),
          attention(x @ wq, x, x, heads = 1, causal = true, key_mask = mb));
}

// The scores as they come: an allowed key scoring -inf.
entry raw(q: f32[B, T, D], k: f32[B, T, D], v: f32[B, T, D], mb: bool[B, T]) -> (f32[B, T, D], f32[B, T, D]) {
  return (attention(q, k, v, heads = 1, key_mask = mb),
          attention(q, k, v, heads = 1, causal = true, key_mask = mb));
}

train step(x: f32[B, T, D], m: i64[B, T], target: f32[B, T, D]) {
  minimize mse(attention(x @ wq, x @ wk, x, heads = 2, key_mask = m), target);
  update wq, wk with sgd(lr = 1.0);
}
