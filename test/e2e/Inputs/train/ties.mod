// Gradients at ties, as PyTorch autograd: clamp passes the gradient to x
// on the closed interval [lo, hi] and to the bound past it (a tensor bound
// too); relu and abs have gradient 0 at 0 (LANGUAGE.md §10). run_train.py
// sets the parameters onto the bounds before the step.
model ties;
dim D = 4;
param a: f32[3, D] = zeros;
param lo: f32[D] = zeros;
param r: f32[3, D] = zeros;

train clamp_bounds(t: f32[3, D]) {
  minimize sum(sum(clamp(a, -1.0, 1.0) * t + clamp(a, lo, 0.75) * t, 0), 0);
  update a, lo with sgd(lr = 1.0);
}

train relu_abs(t: f32[3, D]) {
  minimize sum(sum((relu(r) + abs(r)) * t, 0), 0);
  update r with sgd(lr = 1.0);
}
