// The rules of train blocks (LANGUAGE.md §10), each a located error.
// RUN: not modc %s --check 2>&1 | FileCheck %s -DFILE=%s --implicit-check-not=error:
model m;
dim D = 4;
dyn N;
module Lin(x: f32[N, D]) -> f32[N, D] {
  param w: f32[D, D] = zeros;
  return x @ w;
}
frozen base: Lin;
a: Lin;
b: Lin;
experts: Lin[2];
frozen param s: f32[D] = ones;
entry f(x: f32[N, D]) -> f32[N, D] { return a(x); }

train vector_loss(x: f32[N, D]) {
  minimize f(x);
  update a with sgd(lr = 0.1);
}
// CHECK:      [[FILE]]:18:12: error: the loss must be a rank-0 f32 tensor (e.g. mse(y, target)), got f32[N, 4]

train frozen_target(x: f32[N, D], t: f32[N, D]) {
  minimize mse(f(x), t);
  update base, s with adam();
}
// CHECK:      [[FILE]]:25:10: error: 'base' is frozen: it has no trainable parameter to update
// CHECK:      [[FILE]]:10:8: note: declared frozen here
// CHECK:      [[FILE]]:25:16: error: parameter 's' is frozen and cannot be updated
// CHECK:      [[FILE]]:14:14: note: declared frozen here

train twice(x: f32[N, D], t: f32[N, D]) {
  minimize mse(f(x), t);
  update experts with sgd(lr = 0.1);
  update experts[1], a with adamw();
}
// CHECK:      [[FILE]]:35:10: error: parameter 'experts.1.w' is updated twice: one parameter has one optimizer
// CHECK:      [[FILE]]:34:10: note: first updated here

train bad_optimizer(x: f32[N, D], t: f32[N, D]) {
  minimize mse(f(x), t);
  update a with rmsprop(lr = 0.1);
  update b with sgd(momentum = 0.9);
  update experts with adam(lr = 0.1, gamma = 2.0);
}
// CHECK:      [[FILE]]:42:17: error: unknown optimizer 'rmsprop'; the optimizers are sgd, adam, adamw, e.g. adamw(lr = 1e-3)
// CHECK:      [[FILE]]:43:17: error: 'sgd' needs the argument 'lr'
// CHECK:      [[FILE]]:44:38: error: 'adam' has no argument named 'gamma'

train no_minimize(x: f32[N, D]) {
  update a with sgd(lr = 0.1);
}
// CHECK:      [[FILE]]:50:7: error: train block 'no_minimize' has no 'minimize'

train two(x: f32[N, D], t: f32[N, D]) {
  minimize mse(f(x), t);
  minimize mse(a(x), t);
  update a with sgd(lr = -1.0, momentum = -0.5);
}
// CHECK:      [[FILE]]:57:3: error: a train block has one 'minimize'
// CHECK:      [[FILE]]:56:3: note: the first 'minimize' is here
// CHECK:      [[FILE]]:58:26: error: 'sgd': lr = -1.0 is out of range (finite and >= 0)
// CHECK:      [[FILE]]:58:43: error: 'sgd': momentum = -0.5 is out of range (finite and >= 0)

entry g(x: f32[N, D]) -> f32[N, D] {
  minimize mse(x, x);
  return x;
}
// CHECK:      [[FILE]]:66:3: error: 'minimize' is only allowed in a train block

// mse's operands broadcast as for '-' (f32[N, D] against f32[D] is fine);
// shapes that do not, or two element types, are errors.
train mismatched(x: f32[N, D], t: f32[N, 3], u: f32[D], h: f16[N, D]) {
  minimize mse(f(x), t) + mse(f(x), u) + mse(x, h);
  update a with sgd(lr = 0.1);
}
// CHECK:      [[FILE]]:74:12: error: 'mse' needs two tensors of one element type whose shapes broadcast, got f32[N, 4] and f32[N, 3]
// CHECK:      [[FILE]]:74:42: error: 'mse' needs two tensors of one element type whose shapes broadcast, got f32[N, 4] and f16[N, 4]

// Integer and bool parameters carry no gradient: named alone, an error; an
// instance with nothing else, an error (one with f32 parameters too updates
// those: test/e2e/train_int_params.test).
param ik: i64[D] = zeros;
module Ints(x: f32[N, D]) -> f32[N, D] {
  param k: i32[D] = zeros;
  return x + cast(k, f32);
}
ints: Ints;
train integers(x: f32[N, D]) {
  minimize mse(ints(x), x);
  update ik, ints with sgd(lr = 0.1);
}
// CHECK:      [[FILE]]:91:10: error: parameter 'ik' is i64[4]: only floating-point parameters can be updated (integer values carry no gradient)
// CHECK:      [[FILE]]:83:7: note: declared here
// CHECK:      [[FILE]]:91:14: error: 'ints' has no trainable floating-point parameter to update
// CHECK:      [[FILE]]:88:1: note: declared here
