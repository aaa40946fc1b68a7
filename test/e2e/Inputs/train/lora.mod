// A frozen base layer with a trainable LoRA beside it (LANGUAGE.md §10):
// one train block per optimiser, so that a test can take one SGD step with
// lr = 1 (each parameter changes by minus its gradient) or track AdamW.
model tlora;
dim D = 24;
dyn N;

module Linear<I, O>(x: f32[N, I]) -> f32[N, O] {
  param w: f32[I, O] = normal(0.0, 0.2);
  param b: f32[O] = normal(0.0, 0.1);
  return x @ w + b;
}

module LoRA<I, O, r = 4, alpha: float = 8.0>(x: f32[N, I]) -> f32[N, O] {
  param A: f32[I, r] = normal(0.0, 0.2);
  param B: f32[r, O] = normal(0.0, 0.2);
  return (x @ A) @ B * (alpha / r);
}

frozen base: Linear<D, D>;
adapter: LoRA<D, D>;
head: Linear<D, D>;

entry forward(x: f32[N, D]) -> f32[N, D] {
  return head(base(x) + adapter(x));
}

train sgd_step(x: f32[N, D], target: f32[N, D]) {
  minimize mse(forward(x), target);
  update adapter with sgd(lr = 1.0);
}

train adamw_step(x: f32[N, D], target: f32[N, D]) {
  let y = forward(x);
  minimize mse(y, target);
  update adapter, head with adamw(lr = 0.01);
}
