// Routing canonicalisation: topk of all targets is softmax routing, a route
// with one certain target is a call, and CSE computes a router once.
// RUN: mod-opt %s --canonicalize --cse | FileCheck %s

func.func private @A(%w: tensor<4x4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x4xf32>
    attributes {mod.module = "A<4>"}

// CHECK-LABEL: func.func @topk_all
// CHECK:         mod.softmax_gate %arg0 {num_targets = 3 : i64}
// CHECK-NOT:     mod.topk
func.func @topk_all(%l: tensor<?x3xf32>) -> (tensor<?x3xi64>, tensor<?x3xf32>) {
  %i, %w = mod.topk %l {num_targets = 3 : i64, k = 3 : i64, normalize = false, capacity = 0.0 : f64}
      : tensor<?x3xf32> -> tensor<?x3xi64>, tensor<?x3xf32>
  return %i, %w : tensor<?x3xi64>, tensor<?x3xf32>
}

// With a capacity, topk of all may still drop rows: kept.
// CHECK-LABEL: func.func @topk_all_capacity
// CHECK:         mod.topk
func.func @topk_all_capacity(%l: tensor<?x3xf32>) -> (tensor<?x3xi64>, tensor<?x3xf32>) {
  %i, %w = mod.topk %l {num_targets = 3 : i64, k = 3 : i64, normalize = true, capacity = 0.5 : f64}
      : tensor<?x3xf32> -> tensor<?x3xi64>, tensor<?x3xf32>
  return %i, %w : tensor<?x3xi64>, tensor<?x3xf32>
}

// One target that every row reaches: with an aggregation that ignores the
// weights (sum, mean, max) the route is a call.
// CHECK-LABEL: func.func @one_target
// CHECK-NOT:     mod.dispatch
// CHECK:         %[[Y:.*]] = mod.apply @A(%arg2, %arg0) {instance = "only", num_params = 1 : i64}
// CHECK:         return %[[Y]]
func.func @one_target(%x: tensor<?x4xf32>, %l: tensor<?x1xf32>, %a: tensor<4x4xf32>) -> tensor<?x4xf32> {
  %i, %w = mod.topk %l {num_targets = 1 : i64, k = 1 : i64, normalize = true, capacity = 0.0 : f64}
      : tensor<?x1xf32> -> tensor<?x1xi64>, tensor<?x1xf32>
  %y = mod.dispatch %x, %i, %w params(%a) {targets = [@A], instances = ["only"], param_segments = array<i64: 1>,
       aggregation = #mod<aggregation sum>, level = 1 : i64}
       : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// Weighted, the weight is softmax of one logit: 1, but NaN for a NaN or
// infinite logit, which the output must carry: kept.
// CHECK-LABEL: func.func @one_target_weighted
// CHECK:         mod.dispatch
func.func @one_target_weighted(%x: tensor<?x4xf32>, %l: tensor<?x1xf32>, %a: tensor<4x4xf32>) -> tensor<?x4xf32> {
  %i, %w = mod.softmax_gate %l {num_targets = 1 : i64}
      : tensor<?x1xf32> -> tensor<?x1xi64>, tensor<?x1xf32>
  %y = mod.dispatch %x, %i, %w params(%a) {targets = [@A], instances = ["only"], param_segments = array<i64: 1>,
       aggregation = #mod<aggregation weighted_sum>, level = 1 : i64}
       : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// A task route with one target still checks its ids at run time: kept.
// CHECK-LABEL: func.func @one_task_target
// CHECK:         mod.dispatch
func.func @one_task_target(%x: tensor<?x4xf32>, %ids: tensor<?xi32>, %a: tensor<4x4xf32>) -> tensor<?x4xf32> {
  %i, %w = mod.task %ids {num_targets = 1 : i64, entry = "f", arg = "t"} : tensor<?xi32> -> tensor<?x1xi64>, tensor<?x1xf32>
  %y = mod.dispatch %x, %i, %w params(%a) {targets = [@A], instances = ["only"], param_segments = array<i64: 1>,
       aggregation = #mod<aggregation weighted_sum>, level = 1 : i64}
       : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// The same router twice is computed once.
// CHECK-LABEL: func.func @same_router
// CHECK-COUNT-1: mod.topk
// CHECK-NOT:     mod.topk
func.func @same_router(%l: tensor<?x3xf32>) -> (tensor<?x1xi64>, tensor<?x1xi64>) {
  %i0, %w0 = mod.topk %l {num_targets = 3 : i64, k = 1 : i64, normalize = true, capacity = 0.0 : f64}
      : tensor<?x3xf32> -> tensor<?x1xi64>, tensor<?x1xf32>
  %i1, %w1 = mod.topk %l {num_targets = 3 : i64, k = 1 : i64, normalize = true, capacity = 0.0 : f64}
      : tensor<?x3xf32> -> tensor<?x1xi64>, tensor<?x1xf32>
  return %i0, %i1 : tensor<?x1xi64>, tensor<?x1xi64>
}
