// An entry returns a tuple; another entry binds it with `let (a, b) = ...`
// and calls entries like modules, with their dyns bound anew per call.
// RUN: modc %s --check
model tuples;
dim D = 4;
dim E = 2;
dyn N;
dyn M;

module Gate<I, K>(x: f32[N, I]) -> f32[N, K] {
  param w: f32[I, K] = normal(0.0, 0.02);
  return x @ w;
}

gate: Gate<D, E>;

entry both(x: f32[N, D]) -> (f32[N, D], f32[N, E]) {
  let logits = gate(x);
  return (x * 2.0, logits);
}

entry uses(x: f32[M, D], y: f32[N, D]) -> (f32[M, E], f32[N + M, D]) {
  let (a, la) = both(x);
  let (b, lb) = both(y);
  let c = concat(a, b, axis = 0);
  return (la, concat(b, a, axis = 0) + c);
}
