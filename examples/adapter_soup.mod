// AdapterSoup (Chronopoulou et al., 2023): the adapters of several domains,
// averaged in weight space for an unseen domain. `merge` over a `weights`
// router mixes the parameters per row; `full` gives every row the same
// weights, 1/E each, so the soup is one averaged adapter. An entry reads the
// adapters' parameters by path (v0.2) to export the averaged weights, e.g.
// to ship the soup as a single adapter.
model adapter_soup;

dim D = 64;
dim R = 8;
dim E = 4;
dyn N;

module Adapter<M, K>(h: f32[N, M]) -> f32[N, M] {
  param down: f32[M, K] = normal(0.0, 0.1);
  param up: f32[K, M] = normal(0.0, 0.1);
  return h + relu(h @ down) @ up;
}

adapters: Adapter<D, R>[E];

// The soup applied: every row merges the E adapters with weight 1/E.
entry forward(x: f32[N, D]) -> f32[N, D] {
  return route x to adapters by weights(full([N, E], 0.25)) combine merge;
}

// The soup's weights, exported (the average of each parameter).
entry soup() -> (f32[D, R], f32[R, D]) {
  let down = (adapters[0].down + adapters[1].down + adapters[2].down + adapters[3].down) / 4.0;
  let up = (adapters[0].up + adapters[1].up + adapters[2].up + adapters[3].up) / 4.0;
  return (down, up);
}
