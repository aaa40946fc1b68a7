// mod-fold-parameter-composition: which sums fold into one derived weight
// (W' = W + s A B, computed by the runtime at load time) and which do not.
model fold;

dim D = 32;
dyn N;

module Linear(x: f32[N, D]) -> f32[N, D] {
  param w: f32[D, D] = xavier;
  param b: f32[D] = zeros;
  return x @ w + b;
}

module LoRA<r>(x: f32[N, D]) -> f32[N, D] {
  param A: f32[D, r] = normal(0.0, 0.02);
  param B: f32[r, D] = zeros;
  return (x @ A) @ B * 0.5;
}

frozen base: Linear;
tuned: Linear;
a1: LoRA<4>;
a2: LoRA<2>;
wide: LoRA<24>;

// Folds: a frozen W and two adapters, 3 terms.
entry two(x: f32[N, D]) -> f32[N, D] {
  return base(x) + a1(x) + a2(x);
}

// The same sum again: it shares __fold.0.
entry two_again(x: f32[N, D]) -> f32[N, D] {
  return base(x) + a1(x) + a2(x);
}

// Folds, scale and bias included: 3 (x W + b + 0.5 x A B).
entry scaled(x: f32[N, D]) -> f32[N, D] {
  return (base(x) + a1(x)) * 3.0;
}

// Folds on cost alone: rank 24 costs 24 (32 + 32) > 32 * 32 per row.
entry wide_only(x: f32[N, D]) -> f32[N, D] {
  return wide(x);
}

// Does not fold: a rank-4 adapter alone is cheaper factored.
entry narrow_only(x: f32[N, D]) -> f32[N, D] {
  return a1(x);
}

// Does not fold: the full weight is trainable.
entry trainable(x: f32[N, D]) -> f32[N, D] {
  return tuned(x) + a1(x);
}

// Does not fold: not linear in x.
entry nonlinear(x: f32[N, D]) -> f32[N, D] {
  return relu(base(x)) + a1(x);
}

// Does not fold: the terms read different inputs.
entry two_inputs(x: f32[N, D], z: f32[N, D]) -> f32[N, D] {
  return base(x) + a1(z);
}
