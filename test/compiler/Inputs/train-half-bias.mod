model thb;
dim D = 8;
dyn N;
param b: bf16[D] = zeros;
entry f(x: bf16[N, D]) -> bf16[N, D] { return x + b; }
train fit(x: bf16[N, D], t: f32[N, D]) {
  minimize mse(cast(f(x), f32), t);
  update b with sgd(lr = 1.0);
}
