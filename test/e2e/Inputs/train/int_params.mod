// An instance with an i64 parameter under an update line: only its f32
// parameters change (test/e2e/train_int_params.test).
model ii;
dim D = 4;
dyn N;
module M(x: f32[N, D]) -> f32[N, D] {
  param k: i64[D] = const(3);
  param w: f32[D] = ones;
  return x * w + cast(k, f32);
}
module K(x: f32[N, D]) -> f32[N, D] {
  param k: i32[D] = const(3);
  return x + cast(k, f32);
}
m: M;
kk: K;
train st(x: f32[N, D]) {
  minimize mse(kk(m(x)), x);
  update m with sgd(lr = 0.5, weight_decay = 0.5);
}
