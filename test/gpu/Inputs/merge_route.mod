// A per-example merge route (test/gpu/no-driver.test): its host code reads
// routing results the GPU would write.
model pe;
dim D = 4;
dim E = 2;
dyn B;
dyn T;
module Lin<I>(x: f32[B, T, I]) -> f32[B, T, I] {
  param w: f32[I, I] = xavier;
  return x @ w;
}
experts: Lin<D>[E];
entry forward(x: f32[B, T, D], w: f32[B, E]) -> f32[B, T, D] {
  return route x to experts by weights(w) combine merge;
}
