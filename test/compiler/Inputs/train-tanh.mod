// A train block whose IR (--emit=mod) from-mlir.test edits: an op with no
// derivative rule is then a located error of the differentiation pass.
model tr;
dyn N;
param w: f32[4] = ones;
train fit(x: f32[N, 4]) {
  minimize mean(sum(tanh(x * w), 1), 0);
  update w with sgd(lr = 0.1);
}
