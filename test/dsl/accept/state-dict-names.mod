// Parameters are named by their instance path, PyTorch state_dict style
// (LANGUAGE.md §5): arrays number their elements, nested instances join with
// dots, model-level params keep their own name, and `frozen` on an instance
// freezes every parameter below it. Comments may precede `model`.
// RUN: modc %s --print-params | FileCheck %s
model names;
dim D = 2;
dyn N;

module Lin(x: f32[N, D]) -> f32[N, D] {
  param A: f32[D, D];
  frozen param b: f32[D];
  return x @ A + b;
}
module Layer(x: f32[N, D]) -> f32[N, D] {
  experts: Lin[4];
  norm: Lin;
  return norm(x |> experts);
}

param scale: f32[D] = ones;
layer0: Layer;
frozen layer1: Layer;
// CHECK:      scale f32[2] trainable 2
// CHECK-NEXT: layer0.experts.0.A f32[2,2] trainable 4
// CHECK-NEXT: layer0.experts.0.b f32[2] frozen 2
// CHECK:      layer0.experts.3.A f32[2,2] trainable 4
// CHECK-NEXT: layer0.experts.3.b f32[2] frozen 2
// CHECK-NEXT: layer0.norm.A f32[2,2] trainable 4
// CHECK-NEXT: layer0.norm.b f32[2] frozen 2
// CHECK-NEXT: layer1.experts.0.A f32[2,2] frozen 4
// CHECK:      layer1.norm.b f32[2] frozen 2
// CHECK-NEXT: total parameters: 62
// CHECK-NEXT: trainable parameters: 22
