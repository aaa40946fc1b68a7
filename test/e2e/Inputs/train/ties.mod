// Gradients at ties, as PyTorch autograd: clamp passes the gradient to x
// on the closed interval [lo, hi] and to the bound past it (a tensor bound
// too); relu and abs have gradient 0 at 0 (LANGUAGE.md §10); `maximum` and
// `minimum` split a tie in halves (torch.maximum), against a literal too.
// Edges: pow(x, 0) has gradient 0 at x = 0, softplus 0.5 at 0, sigmoid and
// silu finite far below -88 (where exp(-x) overflows f32).
// run_train.py sets the parameters onto the bounds and ties before the step.
model ties;
dim D = 4;
param a: f32[3, D] = zeros;
param lo: f32[D] = zeros;
param r: f32[3, D] = zeros;
param p: f32[3, D] = zeros;
param q: f32[3, D] = zeros;
param e: f32[3, D] = zeros;

train clamp_bounds(t: f32[3, D]) {
  minimize sum(sum(clamp(a, -1.0, 1.0) * t + clamp(a, lo, 0.75) * t, 0), 0);
  update a, lo with sgd(lr = 1.0);
}

train relu_abs(t: f32[3, D]) {
  minimize sum(sum((relu(r) + abs(r)) * t, 0), 0);
  update r with sgd(lr = 1.0);
}

train split_ties(t: f32[3, D]) {
  minimize sum(sum((maximum(p, q) + 2.0 * minimum(p, q) + 4.0 * maximum(p, 0.0)
                    + 8.0 * minimum(0.5, q)) * t, 0), 0);
  update p, q with sgd(lr = 1.0);
}

train edges(t: f32[3, D]) {
  minimize sum(sum((pow(e, 0.0) + softplus(e) + sigmoid(e) + silu(e)) * t, 0), 0);
  update e with sgd(lr = 1.0);
}
