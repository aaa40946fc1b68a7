// Sums over long axes: forward sum/mean (f32 and bf16) and the gradient of
// a bias broadcast over many rows, against float64 references.
model long_sums;
dyn N;
dim D = 4;
param b: f32[D] = zeros;
param s: f32 = zeros;

entry rows(x: f32[N, D]) -> f32[D] { return sum(x, 0); }
entry cols(x: f32[D, N]) -> f32[D, 1] { return mean(x, 1, keepdims = true); }
entry halves(x: bf16[N, D]) -> bf16[D] { return sum(x, 0); }
entry shifted(x: f32[N, D]) -> f32[N, D] { return x + b + s; }

train fit(x: f32[N, D], t: f32[N, D]) {
  minimize mse(shifted(x), t);
  update b, s with sgd(lr = 1.0);
}
