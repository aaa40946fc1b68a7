// Losses at their edges (test/e2e/loss_edges.test): z_loss over rows
// holding -inf and +inf; mse of operands that broadcast.
model zl;
dyn R;
dim C = 4;
entry f(x: f32[R, C]) -> f32 { return z_loss(x); }
param w: f32[C] = ones;
train fit(x: f32[R, C]) {
  minimize z_loss(x * w);
  update w with sgd(lr = 1.0);
}
entry m_row(a: f32[R, C], b: f32[C]) -> f32 { return mse(a, b); }
entry m_col(a: f32[R, 1], b: f32[R, C]) -> f32 { return mse(a, b); }
param v: f32[C] = ones;
train fit_mse(a: f32[R, C], t: f32[R, 1]) {
  minimize mse(a * v, t);
  update v with sgd(lr = 1.0);
}
