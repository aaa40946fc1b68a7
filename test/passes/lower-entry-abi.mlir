// mod-lower-entry-abi: parameters (in order of first use), inputs, then one
// output buffer per result; parameter reads become the parameter buffers.
// RUN: mod-opt %s --mod-lower-entry-abi | FileCheck %s

mod.param @b : tensor<4xf32> init zeros
mod.param @a : tensor<4xf32> init ones

// The declarations stay for mod-lower-library-interface.
// CHECK: mod.param @b
// CHECK: mod.param @a
// CHECK-LABEL: func.func @both(
// CHECK-SAME:    %[[A:.*]]: memref<4xf32>, %[[B:.*]]: memref<4xf32>, %[[X:.*]]: memref<4xf32>, %[[Y0:.*]]: memref<4xf32>, %[[Y1:.*]]: memref<4xf32>)
// CHECK-SAME:    mod.abi_params = ["a", "b"]
// CHECK-SAME:    mod.signature
// CHECK-DAG:   %[[TA:.*]] = bufferization.to_tensor %[[A]] restrict
// CHECK-DAG:   %[[TB:.*]] = bufferization.to_tensor %[[B]] restrict
// CHECK-DAG:   %[[TX:.*]] = bufferization.to_tensor %[[X]] restrict
// CHECK:       %[[S:.*]] = arith.addf %[[TA]], %[[TX]]
// CHECK:       %[[P:.*]] = arith.mulf %[[S]], %[[TB]]
// CHECK:       bufferization.materialize_in_destination %[[S]] in restrict writable %[[Y0]]
// CHECK:       bufferization.materialize_in_destination %[[P]] in restrict writable %[[Y1]]
// CHECK:       return{{$}}
func.func @both(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) attributes {mod.signature = #mod.signature<dyns = [],
    inputs = [#mod.tensor<"x" : f32, affine_map<() -> (4)>>],
    outputs = [#mod.tensor<"y0" : f32, affine_map<() -> (4)>>, #mod.tensor<"y1" : f32, affine_map<() -> (4)>>]>} {
  %a = mod.param_ref @a : tensor<4xf32>
  %0 = arith.addf %a, %x : tensor<4xf32>
  %b = mod.param_ref @b : tensor<4xf32>
  %1 = arith.mulf %0, %b : tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}
