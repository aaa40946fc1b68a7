// Parse, print and parse again: every op of the mod dialect round-trips.
// RUN: mod-opt %s | mod-opt | FileCheck %s

// CHECK: mod.dim "D" = 4
mod.dim "D" = 4
// CHECK: mod.dyn "N"
mod.dyn "N"
// CHECK: mod.param @layer.w : tensor<4x8xf32> init xavier frozen
mod.param @"layer.w" : tensor<4x8xf32> init xavier frozen
// CHECK: mod.param @layer.b : tensor<8xf32> init const [5.000000e-01]
mod.param @"layer.b" : tensor<8xf32> init const [0.5]
// CHECK: mod.param @scale : tensor<f32> init normal [0.000000e+00, 2.000000e-02]{{$}}
mod.param @scale : tensor<f32> init normal [0.0, 0.02]
// CHECK: mod.param @a : tensor<4x2xf32> init zeros
mod.param @a : tensor<4x2xf32> init zeros
// CHECK: mod.param @b : tensor<2x8xf32> init zeros
mod.param @b : tensor<2x8xf32> init zeros
// CHECK: mod.derived @folded : tensor<4x8xf32> = [#mod.term<1.000000e+00 : f64, @layer.w>, #mod.term<5.000000e-01 : f64, @a, @b>]
mod.derived @folded : tensor<4x8xf32> = [#mod.term<1.0, @"layer.w">, #mod.term<0.5, @a, @b>]

func.func private @Affine_4_8(%w: tensor<4x8xf32> {mod.param = "w"},
                              %b: tensor<8xf32> {mod.param = "b"},
                              %x: tensor<?x4xf32>) -> tensor<?x8xf32>
    attributes {mod.module = "Affine<4, 8>"} {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x4xf32>
  %0 = tensor.empty(%n) : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @forward
// CHECK-SAME: mod.signature = #mod.signature<dyns = ["N"], inputs = [#mod.tensor<"x" : f32, #{{.*}}>], outputs = [#mod.tensor<"y" : f32, #{{.*}}>]>
func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x8xf32> attributes {mod.signature = #mod.signature<
    dyns = ["N"], inputs = [#mod.tensor<"x" : f32, affine_map<()[s0] -> (s0, 4)>>],
    outputs = [#mod.tensor<"y" : f32, affine_map<()[s0] -> (s0, 8)>>]>} {
  // CHECK: %[[W:.*]] = mod.param_ref @layer.w : tensor<4x8xf32>
  %w = mod.param_ref @"layer.w" : tensor<4x8xf32>
  %b = mod.param_ref @"layer.b" : tensor<8xf32>
  // CHECK: mod.apply @Affine_4_8(%[[W]], %{{.*}}, %{{.*}}) {instance = "layer", num_params = 2 : i64} : (tensor<4x8xf32>, tensor<8xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
  %y = mod.apply @Affine_4_8(%w, %b, %x) {instance = "layer", num_params = 2 : i64}
      : (tensor<4x8xf32>, tensor<8xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// CHECK: mod.instance @layer of @Affine_4_8 frozen
mod.instance @layer of @Affine_4_8 frozen
// CHECK: mod.instance @layers of @Affine_4_8 count 3
mod.instance @layers of @Affine_4_8 count 3
