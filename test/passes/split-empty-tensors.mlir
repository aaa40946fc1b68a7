// A tensor.empty shared by independent computations gets one copy per use,
// so that empty-tensor elimination cannot make them share a buffer.
// RUN: mod-opt %s --mod-split-empty-tensors | FileCheck %s

// CHECK-LABEL: func.func @shared
// CHECK:         %[[E0:.*]] = tensor.empty(%{{.*}}) : tensor<?x4xf32>
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%[[E0]] : tensor<?x4xf32>)
// CHECK:         %[[E1:.*]] = tensor.empty(%{{.*}}) : tensor<?x4xf32>
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%[[E1]] : tensor<?x4xf32>)
func.func @shared(%n: index) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f32
  %e = tensor.empty(%n) : tensor<?x4xf32>
  %a = linalg.fill ins(%one : f32) outs(%e : tensor<?x4xf32>) -> tensor<?x4xf32>
  %b = linalg.fill ins(%two : f32) outs(%e : tensor<?x4xf32>) -> tensor<?x4xf32>
  return %a, %b : tensor<?x4xf32>, tensor<?x4xf32>
}

// CHECK-LABEL: func.func @single
// CHECK-COUNT-1: tensor.empty
// CHECK-NOT:     tensor.empty
func.func @single(%n: index) -> tensor<?x4xf32> {
  %one = arith.constant 1.0 : f32
  %e = tensor.empty(%n) : tensor<?x4xf32>
  %a = linalg.fill ins(%one : f32) outs(%e : tensor<?x4xf32>) -> tensor<?x4xf32>
  return %a : tensor<?x4xf32>
}
