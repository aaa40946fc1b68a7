// Tensor-level routing ops: each parses, verifies and prints back, on
// tensors and on buffers.
// RUN: mod-opt %s | mod-opt | FileCheck %s

// CHECK-LABEL: func.func @decide_plan_scatter
func.func @decide_plan_scatter(%logits: tensor<?x4xf32>, %ye: tensor<?x8xf32>, %n: index, %rk: index) -> tensor<?x8xf32> {
  %i0 = tensor.empty(%n) : tensor<?x2xi64>
  %w0 = tensor.empty(%n) : tensor<?x2xf32>
  // CHECK: mod.route.decide topk %{{.*}} into %{{.*}}, %{{.*}} {capacity = 0.000000e+00 : f64, k = 2 : i64, normalize, num_targets = 4 : i64}
  %i, %w = mod.route.decide topk %logits into %i0, %w0 {num_targets = 4 : i64, k = 2 : i64, capacity = 0.0 : f64, normalize} : (tensor<?x4xf32>, tensor<?x2xi64>, tensor<?x2xf32>) -> (tensor<?x2xi64>, tensor<?x2xf32>)
  %c0 = tensor.empty() : tensor<4xi64>
  %r0 = tensor.empty(%rk) : tensor<?xi64>
  %s0 = tensor.empty(%rk) : tensor<?xi64>
  // CHECK: mod.route.plan
  %c, %r, %s = mod.route.plan %i into %c0, %r0, %s0 : (tensor<?x2xi64>, tensor<4xi64>, tensor<?xi64>, tensor<?xi64>) -> (tensor<4xi64>, tensor<?xi64>, tensor<?xi64>)
  // CHECK: mod.route.group_ids
  %g = mod.route.group_ids %c into %r0 : (tensor<4xi64>, tensor<?xi64>) -> tensor<?xi64>
  %y0 = tensor.empty(%n) : tensor<?x8xf32>
  %begin = arith.constant 0 : index
  // CHECK: mod.route.scatter weighted
  %y1 = mod.route.scatter weighted %ye, %r, %s, %w, %begin into %y0 : (tensor<?x8xf32>, tensor<?xi64>, tensor<?xi64>, tensor<?x2xf32>, index, tensor<?x8xf32>) -> tensor<?x8xf32>
  // CHECK: mod.route.finish max
  %y2 = mod.route.finish max %i into %y1 : (tensor<?x2xi64>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y2 : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @task_dense_distinct
func.func @task_dense_distinct(%ids: tensor<?xi32>, %n: index, %n1: index) -> tensor<1xi64> {
  %i0 = tensor.empty(%n) : tensor<?x1xi64>
  %w0 = tensor.empty(%n) : tensor<?x1xf32>
  // CHECK: mod.route.decide task {{.*}}message = "f: argument 'task'"
  %i, %w = mod.route.decide task %ids into %i0, %w0 {num_targets = 3 : i64, message = "f: argument 'task'"} : (tensor<?xi32>, tensor<?x1xi64>, tensor<?x1xf32>) -> (tensor<?x1xi64>, tensor<?x1xf32>)
  %d0 = tensor.empty(%n) : tensor<?x4xf32>
  // CHECK: mod.route.dense
  %d = mod.route.dense %i, %w into %d0 : (tensor<?x1xi64>, tensor<?x1xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %o0 = tensor.empty(%n) : tensor<?xi64>
  %f0 = tensor.empty(%n1) : tensor<?xi64>
  %u0 = tensor.empty() : tensor<1xi64>
  // CHECK: mod.route.distinct
  %o, %f, %u = mod.route.distinct %d into %o0, %f0, %u0 : (tensor<?x4xf32>, tensor<?xi64>, tensor<?xi64>, tensor<1xi64>) -> (tensor<?xi64>, tensor<?xi64>, tensor<1xi64>)
  return %u : tensor<1xi64>
}

// CHECK-LABEL: func.func @grouped
func.func @grouped(%x: tensor<?x8xf32>, %rows: tensor<?xi64>, %slots: tensor<?xi64>, %c: tensor<2xi64>, %rw: tensor<?x2xf32>, %w0: tensor<8x16xf32>, %w1: tensor<8x16xf32>, %d0: tensor<16x8xf32>, %d1: tensor<16x8xf32>, %m: index, %n: index) -> tensor<?x8xf32> {
  %h0 = tensor.empty(%m) : tensor<?x16xf32>
  // CHECK: mod.grouped_matmul %{{.*}} gather %{{.*}} counts %{{.*}} weights(%{{.*}}, %{{.*}}) into
  %h = mod.grouped_matmul %x gather %rows counts %c weights(%w0, %w1) into %h0 : (tensor<?x8xf32>, tensor<?xi64>, tensor<2xi64>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  // CHECK: mod.grouped_matmul %{{.*}} counts
  %h2 = mod.grouped_matmul %x counts %c weights(%w0, %w1) into %h0 : (tensor<?x8xf32>, tensor<2xi64>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %y0 = tensor.empty(%n) : tensor<?x8xf32>
  // CHECK: mod.grouped_matmul_scatter sum
  %y = mod.grouped_matmul_scatter sum %h, %rows, %slots, %c, %rw weights(%d0, %d1) into %y0 : (tensor<?x16xf32>, tensor<?xi64>, tensor<?xi64>, tensor<2xi64>, tensor<?x2xf32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// The buffer form: no results.
// CHECK-LABEL: func.func @buffers
// CHECK: mod.route.plan %{{.*}} into %{{.*}}, %{{.*}}, %{{.*}} : (memref<?x2xi64>, memref<4xi64>, memref<?xi64>, memref<?xi64>) -> ()
func.func @buffers(%i: memref<?x2xi64>, %c: memref<4xi64>, %r: memref<?xi64>, %s: memref<?xi64>) {
  mod.route.plan %i into %c, %r, %s : (memref<?x2xi64>, memref<4xi64>, memref<?xi64>, memref<?xi64>) -> ()
  return
}

// The backward products of a grouped matmul: dX with the weights
// transposed, dW per group stacked.
// CHECK-LABEL: func.func @grouped_backward
// CHECK: mod.grouped_matmul %{{.*}} counts %{{.*}} weights(%{{.*}}, %{{.*}}) into %{{.*}} {transpose_weights}
// CHECK: mod.grouped_weight_grad %{{.*}} counts %{{.*}} grad %{{.*}} into %{{.*}} : (tensor<?x8xf32>, tensor<2xi64>, tensor<?x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
func.func @grouped_backward(%x: tensor<?x8xf32>, %dy: tensor<?x16xf32>, %c: tensor<2xi64>, %w0: tensor<8x16xf32>, %w1: tensor<8x16xf32>, %dx0: tensor<?x8xf32>, %dw0: tensor<2x8x16xf32>) -> (tensor<?x8xf32>, tensor<2x8x16xf32>) {
  %dx = mod.grouped_matmul %dy counts %c weights(%w0, %w1) into %dx0 {transpose_weights} : (tensor<?x16xf32>, tensor<2xi64>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %dw = mod.grouped_weight_grad %x counts %c grad %dy into %dw0 : (tensor<?x8xf32>, tensor<2xi64>, tensor<?x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %dx, %dw : tensor<?x8xf32>, tensor<2x8x16xf32>
}
