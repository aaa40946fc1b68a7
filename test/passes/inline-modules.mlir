// mod-inline-modules replaces each application by the module body with the
// instance's parameters substituted, nested ones included, and drops the
// module functions.
// RUN: mod-opt %s --mod-inline-modules | FileCheck %s

mod.param @"outer.inner.w" : tensor<4xf32> init ones
mod.param @"outer.v" : tensor<4xf32> init ones

func.func private @Inner(%w: tensor<4xf32> {mod.param = "w"}, %x: tensor<4xf32>) -> tensor<4xf32>
    attributes {mod.module = "Inner"} {
  %0 = arith.mulf %w, %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

func.func private @Outer(%iw: tensor<4xf32> {mod.param = "inner.w"}, %v: tensor<4xf32> {mod.param = "v"},
                         %x: tensor<4xf32>) -> tensor<4xf32> attributes {mod.module = "Outer"} {
  %0 = mod.apply @Inner(%iw, %x) {instance = "inner", num_params = 1 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = arith.addf %0, %v : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// CHECK-NOT: func.func private
// CHECK-LABEL: func.func @forward(%arg0: tensor<4xf32>)
// CHECK-DAG:     %[[IW:.*]] = mod.param_ref @outer.inner.w
// CHECK-DAG:     %[[V:.*]] = mod.param_ref @outer.v
// CHECK:         %[[M:.*]] = arith.mulf %[[IW]], %arg0
// CHECK:         %[[A:.*]] = arith.addf %[[M]], %[[V]]
// CHECK:         return %[[A]]
// CHECK-NOT:     mod.apply
func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> attributes {mod.signature = #mod.signature<dyns = [],
    inputs = [#mod.tensor<"x" : f32, affine_map<() -> (4)>>],
    outputs = [#mod.tensor<"y" : f32, affine_map<() -> (4)>>]>} {
  %iw = mod.param_ref @"outer.inner.w" : tensor<4xf32>
  %v = mod.param_ref @"outer.v" : tensor<4xf32>
  %0 = mod.apply @Outer(%iw, %v, %x) {instance = "outer", num_params = 2 : i64} : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
