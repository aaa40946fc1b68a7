// Run-time errors of INTERFACE.md §2: routing and embedding ids out of range,
// negative dyns, bad weight files (test/e2e/errors_runtime.test).
model errors;

dim V = 10;
dim D = 8;
dim E = 3;
dyn B;
dyn T;
dyn N;

module Seq<I>(x: f32[N, T, I]) -> f32[N, T, I] {
  param w: f32[I, I] = xavier;
  return tanh(x @ w);
}

module Lin<I>(x: f32[N, I]) -> f32[N, I] {
  param w: f32[I, I] = xavier;
  param b: f32[I] = zeros;
  return x @ w + b;
}

param emb: f32[V, D] = normal(0.0, 1.0);
seqs: Seq<D>[E];
lins: Lin<D>[E];

// Per-example task routing of embedded tokens.
entry forward(tokens: i64[B, T], task_id: i32[B]) -> f32[B, T, D] {
  return route embedding(emb, tokens) to seqs by task(task_id);
}

// Per-row task routing.
entry rows(x: f32[N, D], task_id: i64[N]) -> f32[N, D] {
  return route x to lins by task(task_id);
}

entry embed(ids: i32[N]) -> f32[N, D] {
  return embedding(emb, ids);
}

// max, min and argmax over an empty axis have no value (PyTorch and NumPy
// raise): code 1 naming the builtin; an empty axis that is not reduced is
// fine.
entry extremes(x: f32[N, T]) -> (f32[N], i64[N]) {
  return (min(x, axis = 1), argmax(x, axis = -1));
}

// A train step over an embedding with ids out of range: code 1, nothing
// changed, and the gradient's scatter stays inside the table (it wrote past
// it: the heap broke a few calls later).
train embed_step(ids: i32[N], t: f32[N, D]) {
  minimize mse(embedding(emb, ids), t);
  update emb with sgd(lr = 0.1);
}
