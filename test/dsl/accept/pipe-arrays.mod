// `x |> f |> g` is g(f(x)); piping into an instance array applies every
// element in order (stacking); elementwise builtins pipe too; a route in a
// pipe is parenthesised.
// RUN: modc %s --check
// RUN: modc %s --print-params | FileCheck %s
model pipes;
dim D = 4;
dyn N;

module Adapter<M>(h: f32[N, M]) -> f32[N, M] {
  param down: f32[M, 2] = normal(0.0, 0.02);
  param up: f32[2, M] = zeros;
  return h + relu(h @ down) @ up;
}

stack: Adapter<D>[3];
extra: Adapter<D>;
experts: Adapter<D>[2];

entry forward(x: f32[N, D], t: i32[N]) -> f32[N, D] {
  let a = x |> stack |> extra |> tanh;
  let b = (route a to experts by task(t)) |> stack[0] |> gelu;
  return a |> stack[1] |> stack[2] |> silu |> sigmoid |> abs;
}
// CHECK:      stack.0.down f32[4,2]
// CHECK-NEXT: stack.0.up f32[2,4]
// CHECK-NEXT: stack.1.down
// CHECK:      stack.2.up
// CHECK-NEXT: extra.down
// CHECK:      experts.1.up f32[2,4] trainable 8
// CHECK-NEXT: total parameters: 96
