// PyTorch's [out, in] Linear layout (LANGUAGE.md §6): `x @ transpose(w, [1,
// 0])` reads w in place (no transposed copy), in an entry and trained.
model hf;
dim I = 6;
dim O = 5;
dyn N;
param weight: f32[O, I] = normal(0.0, 0.4);
param bias: f32[O] = normal(0.0, 0.1);

entry forward(x: f32[N, I]) -> f32[N, O] {
  return x @ transpose(weight, [1, 0]) + bias;
}

train step(x: f32[N, I], target: f32[N, O]) {
  minimize mse(tanh(forward(x)), target);
  update weight, bias with sgd(lr = 1.0);
}
