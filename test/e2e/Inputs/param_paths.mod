// Parameter reads by path through arrays and nested instances, in entries
// and a train block.
model mem;
dim D = 4;
dyn N;
module Adapter(x: f32[N, D]) -> f32[N, D] {
  param down: f32[D, 2] = normal(0.0, 1.0);
  param up: f32[2, D] = normal(0.0, 1.0);
  return x + (x @ down) @ up;
}
module Stack(x: f32[N, D]) -> f32[N, D] {
  layers: Adapter[3];
  frozen param s: f32[D] = ones;
  return (x |> layers) * s;
}
adapters: Adapter[2];
stack: Stack;
entry soup() -> f32[D, 2] {
  return (adapters[0].down + adapters[1].down) / 2.0;
}
entry deep(x: f32[N, D]) -> f32[N, D] {
  return x @ (stack.layers[2].down @ stack.layers[2].up) * stack.s;
}
train t(x: f32[N, D], y: f32[N, D]) {
  minimize mse(x @ (adapters[1].down @ adapters[1].up), y);
  update adapters with sgd(lr = 1.0);
}
// A parameter returned as it is, alone or in a tuple (the compiler crashed).
entry raw() -> (f32[D], f32[D, 2]) {
  return (stack.s, adapters[1].down);
}
entry same() -> f32[D, 2] { return reshape(adapters[0].down, [D, 2]); }
