// split (LANGUAGE.md §6, v0.2): consecutive pieces along an axis, static
// and dyn sizes, bound with let (a, b) = ...; trained through.
model sp;
dyn N;
dyn T;
param w: f32[6, 4] = normal(0.0, 1.0);
entry f(x: f32[N, 6], y: f32[N, T]) -> (f32[N, 2], f32[N, 4], f32[N, T], f32[N, 1], f32[2, 4]) {
  let (a, b) = split(x, [2, 4]);
  let (c, d) = split(concat(y, x, axis = 1), [T, 6], axis = 1);
  let (e, g, h) = split(x, [1, 2, 3], axis = -1);
  let (top, rest) = split(w, [2, 4], axis = 0);
  return (a, b + 1.0, c, e, top);
}
train t(x: f32[N, 6], target: f32[N, 4]) {
  let (a, b) = split(x @ concat(w, w, axis = 1), [4, 4], axis = 1);
  minimize mse(a, target);
  update w with sgd(lr = 1.0);
}
