// Parse, print and parse again: routing decisions, dispatch, aggregation and
// checks.
// RUN: mod-opt %s | mod-opt | FileCheck %s

func.func private @FFN(%w: tensor<4x4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x4xf32>
    attributes {mod.module = "FFN<4>"}

// CHECK-LABEL: func.func @decisions
func.func @decisions(%logits: tensor<?x3xf32>, %ids32: tensor<?xi32>, %ids64: tensor<?xi64>) {
  // CHECK: mod.topk %{{.*}} {capacity = 5.000000e-01 : f64, k = 2 : i64, normalize = false, num_targets = 3 : i64} : tensor<?x3xf32> -> tensor<?x2xi64>, tensor<?x2xf32>
  %i0, %w0 = mod.topk %logits {num_targets = 3 : i64, k = 2 : i64, normalize = false, capacity = 0.5 : f64, tie = "lower_index"}
      : tensor<?x3xf32> -> tensor<?x2xi64>, tensor<?x2xf32>
  // CHECK: mod.softmax_gate %{{.*}} {num_targets = 3 : i64} : tensor<?x3xf32> -> tensor<?x3xi64>, tensor<?x3xf32>
  %i1, %w1 = mod.softmax_gate %logits {num_targets = 3 : i64} : tensor<?x3xf32> -> tensor<?x3xi64>, tensor<?x3xf32>
  // CHECK: mod.expert_choice %{{.*}} {capacity = 1.000000e+00 : f64, num_targets = 3 : i64}
  %i2, %w2 = mod.expert_choice %logits {num_targets = 3 : i64, capacity = 1.0 : f64} : tensor<?x3xf32> -> tensor<?x3xi64>, tensor<?x3xf32>
  // CHECK: mod.task %{{.*}} {arg = "task_id", entry = "forward", num_targets = 3 : i64} : tensor<?xi32> -> tensor<?x1xi64>, tensor<?x1xf32>
  %i3, %w3 = mod.task %ids32 {num_targets = 3 : i64, entry = "forward", arg = "task_id"} : tensor<?xi32> -> tensor<?x1xi64>, tensor<?x1xf32>
  // CHECK: mod.hash %{{.*}} {num_targets = 3 : i64} : tensor<?xi64> -> tensor<?x1xi64>, tensor<?x1xf32>
  %i4, %w4 = mod.hash %ids64 {num_targets = 3 : i64} : tensor<?xi64> -> tensor<?x1xi64>, tensor<?x1xf32>
  // CHECK: mod.weights %{{.*}} {num_targets = 3 : i64} : tensor<?x3xf32> -> tensor<?x3xi64>, tensor<?x3xf32>
  %i5, %w5 = mod.weights %logits {num_targets = 3 : i64} : tensor<?x3xf32> -> tensor<?x3xi64>, tensor<?x3xf32>
  return
}

// CHECK-LABEL: func.func @dispatch
func.func @dispatch(%x: tensor<?x4xf32>, %idx: tensor<?x1xi64>, %w: tensor<?x1xf32>,
                    %a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> tensor<?x4xf32> {
  // CHECK: mod.dispatch %{{.*}}, %{{.*}}, %{{.*}} params(%{{.*}}, %{{.*}}) {aggregation = #mod<aggregation weighted_sum>, instances = ["e.0", "e.1"], level = 1 : i64, param_segments = array<i64: 1, 1>, targets = [@FFN, @FFN]}
  %y = mod.dispatch %x, %idx, %w params(%a, %b)
      {targets = [@FFN, @FFN], instances = ["e.0", "e.1"], param_segments = array<i64: 1, 1>,
       aggregation = #mod<aggregation weighted_sum>, level = 1 : i64}
      : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// CHECK-LABEL: func.func @aggregate
func.func @aggregate(%a: tensor<?x4xf32>, %b: tensor<?x4xf32>) {
  // CHECK: mod.aggregate sum %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %0 = mod.aggregate sum %a, %b : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK: mod.aggregate mean
  %1 = mod.aggregate mean %a, %b : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK: mod.aggregate max
  %2 = mod.aggregate max %a, %b : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK: mod.aggregate concat {{.*}} -> tensor<?x8xf32>
  %3 = mod.aggregate concat %a, %b : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x8xf32>
  // CHECK: mod.aggregate stack {{.*}} -> tensor<?x2x4xf32>
  %4 = mod.aggregate stack %a, %b : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x2x4xf32>
  return
}

// CHECK-LABEL: func.func @checks
func.func @checks(%ids: tensor<?xi64>, %a: index, %b: index) {
  // CHECK: mod.check_index %{{.*}}, %{{.*}} : tensor<?xi64> "forward: embedding id"
  mod.check_index %ids, %a : tensor<?xi64> "forward: embedding id"
  // CHECK: mod.check_le %{{.*}}, %{{.*}} "forward: causal"
  mod.check_le %a, %b "forward: causal"
  return
}
