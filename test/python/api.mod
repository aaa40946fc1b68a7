// A model exercising python/modrt: two dyns, a frozen instance, a scalar
// parameter, a tuple result with an offset dim, integer inputs.
model api;
dim D = 4;
dim E = 3;
dyn B;
dyn T;
dyn P;

module Proj<M>(x: f32[B, T, M]) -> f32[B, T, M] {
  param w: f32[M, M] = xavier;
  param b: f32[M] = zeros;
  return x @ w + b;
}

frozen proj: Proj<D>;
param scale: f32 = const(0.5);
param table: f32[E, D] = normal(0.0, 1.0);
param prefix: f32[2, D] = uniform(-1.0, 1.0);

entry forward(x: f32[B, T, D]) -> f32[B, T, D] {
  return proj(x) * scale;
}

entry both(x: f32[B, T, D]) -> (f32[B, T, D], f32[B, T + 2, D]) {
  return (forward(x), concat(expand(prefix, [B, 2, D]), x, axis = 1));
}

entry pool(x: f32[B, T, D], ids: i64[B]) -> f32[B, D] {
  return mean(x, axis = 1) + embedding(table, ids);
}

// A dim that is a multiple of a dyn: only whole multiples bind it.
entry pairs(x: f32[2 * B, D]) -> f32[2 * B, D] { return x * scale; }

// P appears only in a sum: bound once T is known from another input.
entry join(x: f32[B, P + T, D], t: f32[B, T, D]) -> f32[B, P + 2 * T, D] {
  return concat(x, t, axis = 1);
}
