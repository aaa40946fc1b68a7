// LoRA on a frozen base, trained: only A and B get gradients and adamw
// moments.
model lora_train;

dim D = 256;
dyn N;

frozen param w0: f32[D, D] = xavier;
param A: f32[D, 8] = normal(0.0, 0.02);
param B: f32[8, D] = zeros;

entry forward(x: f32[N, D]) -> f32[N, D] {
  return x @ w0 + (x @ A) @ B * 2.0;
}

train fit(x: f32[N, D], target: f32[N, D]) {
  minimize mse(forward(x), target);
  update A, B with adamw(lr = 1e-2);
}
