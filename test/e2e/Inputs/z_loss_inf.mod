// z_loss over rows holding -inf and +inf (test/e2e/z_loss_inf.test).
model zl;
dyn R;
dim C = 4;
entry f(x: f32[R, C]) -> f32 { return z_loss(x); }
param w: f32[C] = ones;
train fit(x: f32[R, C]) {
  minimize z_loss(x * w);
  update w with sgd(lr = 1.0);
}
