model names;
dyn N;
entry mul(x: f32[N], y: f32[N]) -> f32[N] { return x * y; }
entry two(y0: f32[N]) -> (f32[N], f32[N]) { return (y0, y0 * 2.0); }
entry both(y: f32[N], out: f32[N]) -> f32[N] { return y + out; }
param w: f32 = ones;
train fit(loss: f32[N], t: f32[N]) {
  minimize mse(loss * w, t);
  update w with sgd(lr = 0.25);
}
