// Compile-time weights (a weights router over the one-hot of a specialised
// id): targets whose weight is 0 are eliminated; none left gives zeros.
model zw;
dim D = 8;
dyn N;
module Lin(x: f32[N, D]) -> f32[N, D] {
  param w: f32[D, D] = xavier;
  return x @ w;
}
e: Lin[4];
entry f(x: f32[N, D], t: i32[N]) -> f32[N, D] {
  return route x to e by weights(onehot(t, 4) * 0.5);
}
entry g(x: f32[N, D], t: i32[N]) -> f32[N, D] {
  return route x to e by weights(onehot(t, 4) * 0.0);
}
entry h(x: f32[N, D], t: i32[N]) -> f32[N, D] {
  return route x to e by weights(onehot(t, 4) * 2.0) combine merge;
}
entry two(x: f32[N, D], t: i32[N], u: i32[N]) -> f32[N, D] {
  return route x to e by weights(onehot(t, 4) * 0.5 + onehot(u, 4) * 0.25);
}
