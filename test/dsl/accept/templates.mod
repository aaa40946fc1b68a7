// Module templates: integer and float parameters, defaults that use earlier
// parameters, one instantiation per distinct argument list, template
// parameters used in shapes and as values, a template parameter shadowing a
// file-level dim, and a template nobody instantiates (its names are checked:
// test/dsl/errors/unused-template.mod).
// RUN: modc %s --check
// RUN: modc %s --print-params | FileCheck %s
model templates;
dim D = 16;
dim r = 1000;
dyn N;

module LoRA<I, O, r = 8, alpha: float = 16.0, s: float = alpha / r>(x: f32[N, I]) -> f32[N, O] {
  param A: f32[I, r] = normal(0.0, 0.02);
  param B: f32[r, O] = zeros;
  return (x @ A) @ B * s;
}
module Scale<k: float, n>(x: f32[N, D]) -> f32[N, D] {
  return x * k * n;
}
module Unused<Q>(x: f32[N, Q]) -> f32[N, Q] { return x @ x; }

a: LoRA<D, D>;
b: LoRA<D, D, 4, 2.0>;
c: LoRA<D, 2 * D, D / 4>;
same_as_a: LoRA<D, D, 8>;
half: Scale<0.5, 2>;
int_for_float: Scale<3, 1>;

entry forward(x: f32[N, D]) -> f32[N, D] {
  let wide = reshape(c(x), [N, 2, D]);
  return a(x) + b(x) + same_as_a(x) + half(x) + int_for_float(x) + sum(wide, 1);
}
// CHECK:      a.A f32[16,8]
// CHECK-NEXT: a.B f32[8,16]
// CHECK-NEXT: b.A f32[16,4]
// CHECK-NEXT: b.B f32[4,16]
// CHECK-NEXT: c.A f32[16,4]
// CHECK-NEXT: c.B f32[4,32]
// CHECK-NEXT: same_as_a.A f32[16,8]
