// A train block large enough for mod-split-large-functions at -O0, whose
// parts take and return slices (x[:, 0:2] and its gradient): a slice
// crossing a part boundary is copied contiguous (a part's arguments have
// the identity layout a strided view cannot be cast to).
model n;
dyn N;
module M4<I>(x: f32[N, I]) -> f32[N, I] {
  param p6: f32[I] = normal(1.0, 0.1);
  param p8: f32[I, I] = normal(0.0, 0.333);
  param p12: f32[2, I] = normal(0.0, 0.707);
  param p13: f32[I, I] = normal(0.0, 0.378);
  let v5 = x[:, 0:2];
  let v7 = x * p6;
  let v10 = v7 @ p8;
  let v11 = onehot(argmax(v10, axis = -1), I) + v10;
  return v5 @ p12 + v11 @ p13;
}
inst16: M4<9>[3];
entry e0(y: f32[N, 9], lg: f32[N, 3]) -> f32[N, 9] {
  return route y to inst16 by topk(lg, 2) combine max;
}
train fit40(y: f32[N, 9], lg: f32[N, 3], target: f32[N, 9]) {
  minimize mse(e0(y, lg), target);
  update inst16 with sgd(lr = 1.0);
}
