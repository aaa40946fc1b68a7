// dyn dims are linear expressions checked symbolically (LANGUAGE.md §3):
// concat of [B, P, D] and [B, T, D] on axis 1 is [B, P + T, D]; 2 * N and
// N + M are dims; modules are polymorphic in their dyns, bound per call; a
// dyn may be divided by a constant when exact.
// RUN: modc %s --check
model linear;
dim D = 4;
dim P = 2;
dyn N;
dyn M;
dyn B;
dyn T;

module Id(x: f32[N, D]) -> f32[N, D] { return x; }

id: Id;
param prefix: f32[P, D] = zeros;

entry joined(x: f32[N, D], y: f32[M, D]) -> f32[N + M + 2, D] {
  let j = concat(x, y, axis = 0);
  return concat(j, prefix, axis = 0);
}

entry twice(x: f32[N, D]) -> f32[2 * N, D] {
  return reshape(expand(reshape(x, [N, 1, D]), [N, 2, D]), [2 * N, D]);
}

// N is read as x's rows minus y's (an argument's dim gives each dyn).
entry doubled(x: f32[N + M, D], y: f32[M, D]) -> f32[2 * N + 2 * M, D] {
  return twice(id(x));
}

entry halves(x: f32[2 * N, D]) -> f32[N, 2 * D] {
  return reshape(x, [2 * N / 2, 2 * D]);
}

entry prefixed(x: f32[B, T, D]) -> f32[B, P + T, D] {
  return concat(expand(prefix, [B, P, D]), x, axis = 1);
}

entry nested(x: f32[B, T + 1, D]) -> f32[B, T + P + 1, D] {
  return prefixed(x);
}
