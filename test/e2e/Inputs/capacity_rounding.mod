// Capacities whose C = ceil(capacity * R * k / E) is a whole number in the
// runtime's order of f64 operations (LANGUAGE.md §7) but not when a factor
// is folded first: 0.1 * 3 / 3 * 10 = 1.0000000000000002 kept a row more.
// Each output row counts the targets that kept it.
model caprnd;
dim E = 3;
dyn N;
module One(x: f32[N, 1]) -> f32[N, 1] {
  param b: f32[1] = ones;
  return x * 0.0 + b;
}
ex: One[E];
entry tk(x: f32[N, 1], l: f32[N, E]) -> f32[N, 1] {
  return route x to ex by topk(l, 3, capacity = 0.1) combine sum;
}
entry ec(x: f32[N, 1], l: f32[N, E]) -> f32[N, 1] {
  return route x to ex by expert_choice(l, 2.1) combine sum;
}
