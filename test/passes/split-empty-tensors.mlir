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

// A zero fill CSE shares between two matmuls: each computes into a fill of
// its own (over an empty of its own), so bufferization copies nothing; a
// read of the fill keeps the original (and then no matmul computes into it).
// CHECK-LABEL: func.func @shared_fill
// CHECK:         %[[E0:.*]] = tensor.empty
// CHECK:         %[[F0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E0]] :
// CHECK:         %[[F1:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} :
// CHECK:         linalg.matmul {{.*}} outs(%[[F1]] :
// CHECK:         %[[F2:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} :
// CHECK:         linalg.matmul {{.*}} outs(%[[F2]] :
// CHECK:         linalg.add ins(%{{.*}}, %[[F0]] :
func.func @shared_fill(%x: tensor<?x4xf32>, %w: tensor<4x4xf32>, %v: tensor<4x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x4xf32>
  %e = tensor.empty(%n) : tensor<?x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x4xf32>) -> tensor<?x4xf32>
  %a = linalg.matmul ins(%x, %w : tensor<?x4xf32>, tensor<4x4xf32>) outs(%z : tensor<?x4xf32>) -> tensor<?x4xf32>
  %b = linalg.matmul ins(%x, %v : tensor<?x4xf32>, tensor<4x4xf32>) outs(%z : tensor<?x4xf32>) -> tensor<?x4xf32>
  %e2 = tensor.empty(%n) : tensor<?x4xf32>
  %s = linalg.add ins(%b, %z : tensor<?x4xf32>, tensor<?x4xf32>) outs(%e2 : tensor<?x4xf32>) -> tensor<?x4xf32>
  return %a, %s : tensor<?x4xf32>, tensor<?x4xf32>
}

// A matmul into a zero fill is marked: it computes A @ B wherever its
// destination buffer later comes from (mod-matmul-to-runtime reads the mark
// after bufferization and function splitting). One into other data is not.
// CHECK-LABEL: func.func @zero_init
// CHECK:         linalg.matmul {mod.zero_init} ins
// CHECK:         linalg.matmul ins
// CHECK-NOT:     mod.zero_init
func.func @zero_init(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>, %c: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  %p = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x4xf32>) outs(%z : tensor<4x4xf32>) -> tensor<4x4xf32>
  %q = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x4xf32>) outs(%c : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %p, %q : tensor<4x4xf32>, tensor<4x4xf32>
}

// A fill that is also read as a value (returned: a zero gradient) gives every
// op computing into it a fill of its own: empty-tensor elimination could
// otherwise place it in that op's output argument, overwritten before the
// reads.
// CHECK-LABEL: func.func @fill_also_read
// CHECK:         %[[Z:.*]] = linalg.fill
// CHECK:         %[[Z2:.*]] = linalg.fill
// CHECK:         linalg.matmul {{.*}} outs(%[[Z2]]
// CHECK:         return %{{.*}}, %[[Z]]
func.func @fill_also_read(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  %p = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x4xf32>) outs(%z : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %p, %z : tensor<4x4xf32>, tensor<4x4xf32>
}
