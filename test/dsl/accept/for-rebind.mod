// `for` loops unroll at compile time: a `let` outside re-bound in the body
// (same type each time), the loop variable in index expressions and in
// arithmetic, `0..L` lexed as `0 .. L`, nested loops, and a `let` local to
// one iteration.
// RUN: modc %s --check
// RUN: modc %s --print-params | FileCheck %s
model loops;
dim L = 3;
dim D = 8;
dyn N;

module Block<M>(x: f32[N, M]) -> f32[N, M] {
  param w: f32[M, M] = xavier;
  return relu(x @ w) + x;
}

module Stack<M, K>(x: f32[N, M]) -> f32[N, M] {
  layers: Block<M>[K];
  let h = x;
  for i in 0..K {
    let scaled = h * (i + 1);
    h = layers[i](scaled);
  }
  for i in 0..K - 1 {
    for j in i..i + 2 {
      h = h + layers[j](h) * 0.5;
    }
  }
  return h;
}

stack: Stack<D, L>;

entry forward(x: f32[N, D]) -> f32[N, D] {
  let y = x;
  for k in 0..L {
    y = stack(y);
  }
  return y;
}
// CHECK:      stack.layers.0.w f32[8,8] trainable 64
// CHECK-NEXT: stack.layers.1.w f32[8,8] trainable 64
// CHECK-NEXT: stack.layers.2.w f32[8,8] trainable 64
// CHECK-NEXT: total parameters: 192
