// A function of more than twice ops-per-function ops is cut into parts
// called in its place; the last run stays. Cheap ops (constants, empty
// tensors, fills) stay in the caller and are cloned into each part that
// reads them: the zero fill shared by every matmul is not a part's result,
// so no part computes into a buffer another one returned.
// RUN: mod-opt %s --mod-split-large-functions=ops-per-function=4 | FileCheck %s

// CHECK-LABEL: func.func private @__modc_part_f_0(
// CHECK-SAME:      -> tensor<?x4xf32>
// CHECK:         %[[Z:.*]] = linalg.fill
// CHECK:         linalg.matmul {{.*}} outs(%[[Z]] :
// CHECK:         return %{{.*}} : tensor<?x4xf32>
// CHECK-LABEL: func.func @f(
// CHECK:         %[[FILL:.*]] = linalg.fill
// CHECK:         %[[P:.*]] = call @__modc_part_f_0(
// CHECK-NOT:     call
// CHECK:         linalg.matmul ins(%[[P]], %{{.*}} : {{.*}}) outs(%[[FILL]] :
func.func @f(%x: tensor<?x4xf32>, %w: tensor<4x4xf32>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x4xf32>
  %e = tensor.empty(%n) : tensor<?x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x4xf32>) -> tensor<?x4xf32>
  %a = linalg.matmul ins(%x, %w : tensor<?x4xf32>, tensor<4x4xf32>) outs(%z : tensor<?x4xf32>) -> tensor<?x4xf32>
  %b = linalg.matmul ins(%a, %w : tensor<?x4xf32>, tensor<4x4xf32>) outs(%z : tensor<?x4xf32>) -> tensor<?x4xf32>
  %c = linalg.matmul ins(%b, %w : tensor<?x4xf32>, tensor<4x4xf32>) outs(%z : tensor<?x4xf32>) -> tensor<?x4xf32>
  %d = linalg.matmul ins(%c, %w : tensor<?x4xf32>, tensor<4x4xf32>) outs(%z : tensor<?x4xf32>) -> tensor<?x4xf32>
  return %d : tensor<?x4xf32>
}
