// Slicing (LANGUAGE.md §6, v0.2): integer items drop a dim, ranges keep it,
// `...` stands for the dims not named; negative bounds count from the end;
// dyn bounds are checked when the entry runs. Trained through.
model sl;
dim D = 8;
dyn N;
dyn B;
dyn T;
dyn K;

// Slices its trailing (named) dim only: row-independent along N.
module Halves<M>(h: f32[N, M]) -> f32[N, M / 2] {
  param w: f32[M / 2, M / 2] = normal(0.0, 0.5);
  return (h[:, 0:M / 2] * h[:, M / 2:]) @ w;
}

layer: Halves<D>;
param p: f32[4, D / 2] = normal(0.0, 1.0);

entry cls(h: f32[B, T, D]) -> f32[B, D] { return h[:, 0]; }
entry last(h: f32[B, T, D]) -> f32[B, D] { return h[:, -1]; }
entry inner(h: f32[B, T, D]) -> f32[B, T - 2, 2] { return h[:, 1:-1, -3:-1]; }
entry picked(h: f32[B, T, D]) -> f32[B, 3] { return h[..., 1, 2:5]; }
entry window(h: f32[B, T, D], k: f32[K]) -> f32[B, T - K, D / 2] {
  return h[:, K:, D / 2:];
}
entry tail(h: f32[B, T, D], k: f32[K]) -> f32[B, D] { return h[:, T - K]; }
entry point(h: f32[B, T, D]) -> f32[] { return h[1, 0, 7]; }
entry whole(h: f32[B, T, D]) -> f32[B, T, D] { return h[...] + h[:, :, :]; }
entry pooled(h: f32[B, T, D]) -> f32[B, D / 2] {
  return layer(h[:, -1]) + p[1:2] + p[-1];
}
train t(h: f32[B, T, D], target: f32[B, D / 2]) {
  minimize mse(layer(h[:, -1]) + p[1:2] + p[-1], target);
  update layer, p with sgd(lr = 0.5);
}
