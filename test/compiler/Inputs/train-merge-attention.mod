model tma;
dim D = 8;
dim E = 3;
dyn B;
dyn T;
module Att(x: f32[B, T, D]) -> f32[B, T, D] {
  param w: f32[D, D] = normal(0.0, 0.3);
  return attention(x @ tanh(w), x, x, heads = 2);
}
blocks: Att[E];
param gate: f32[D, E] = normal(0.0, 0.3);
train fit(x: f32[B, T, D], t: f32[B, T, D]) {
  minimize mse(route x to blocks by softmax(mean(x, 1) @ gate) combine merge, t);
  update blocks with sgd(lr = 1.0);
}
