// Nested loops with empty bodies did no counted work per iteration: three of
// them ran 6.9e10 iterations. Every iteration is charged now.
model m;
dyn N;
entry f(x: f32[N]) -> f32[N] {
  for i in 0..4096 { for j in 0..4096 { for k in 0..4096 { } } }
  return x;
}
