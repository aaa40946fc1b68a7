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

// A weight's layout copies (a transpose, a bf16 -> f32 widening) are never
// a part's result: each part reading them recomputes them from the weight,
// and the caller's copy moves down to its reader, so that the GEMM and the
// copies it folds (mod-matmul-to-runtime) stay in one function.
// RUN: mod-opt %s --mod-split-large-functions=ops-per-function=4 | FileCheck %s --check-prefix=COPY
// COPY-LABEL: func.func private @__modc_part_g_0(
// COPY-SAME:      %{{.*}}: tensor<4x4xbf16>
// COPY-SAME:      -> tensor<?x4xf32>
// COPY:         linalg.transpose
// COPY:         arith.extf
// COPY:         linalg.matmul
// COPY-LABEL: func.func @g(
// COPY:         call @__modc_part_g_0(
// COPY-NOT:     call
// COPY:         linalg.transpose
// COPY-NEXT:    linalg.generic
// COPY:         linalg.matmul
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @g(%x: tensor<?x4xf32>, %w: tensor<4x4xbf16>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x4xf32>
  %et = tensor.empty() : tensor<4x4xbf16>
  %t = linalg.transpose ins(%w : tensor<4x4xbf16>) outs(%et : tensor<4x4xbf16>) permutation = [1, 0]
  %ew = tensor.empty() : tensor<4x4xf32>
  %wf = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%t : tensor<4x4xbf16>) outs(%ew : tensor<4x4xf32>) {
  ^bb0(%in: bf16, %out: f32):
    %v = arith.extf %in : bf16 to f32
    linalg.yield %v : f32
  } -> tensor<4x4xf32>
  %e = tensor.empty(%n) : tensor<?x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x4xf32>) -> tensor<?x4xf32>
  %a = linalg.matmul ins(%x, %wf : tensor<?x4xf32>, tensor<4x4xf32>) outs(%z : tensor<?x4xf32>) -> tensor<?x4xf32>
  %b = linalg.matmul ins(%a, %wf : tensor<?x4xf32>, tensor<4x4xf32>) outs(%z : tensor<?x4xf32>) -> tensor<?x4xf32>
  %c = linalg.matmul ins(%b, %wf : tensor<?x4xf32>, tensor<4x4xf32>) outs(%z : tensor<?x4xf32>) -> tensor<?x4xf32>
  %d = linalg.matmul ins(%c, %wf : tensor<?x4xf32>, tensor<4x4xf32>) outs(%z : tensor<?x4xf32>) -> tensor<?x4xf32>
  return %d : tensor<?x4xf32>
}
