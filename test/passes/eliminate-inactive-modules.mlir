// Task and hash routes over compile-time ids reach one target: the dispatch
// becomes an application of that target alone.
// RUN: mod-opt %s --mod-eliminate-inactive-modules | FileCheck %s

func.func private @A(%w: tensor<4x4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x4xf32>
    attributes {mod.module = "A<4>"}

// CHECK-LABEL: func.func @task_constant
// CHECK-NOT:     mod.dispatch
// CHECK:         %[[Y:.*]] = mod.apply @A(%arg3, %arg0) {instance = "e.2", num_params = 1 : i64}
// CHECK:         return %[[Y]]
func.func @task_constant(%x: tensor<?x4xf32>, %a: tensor<4x4xf32>, %b: tensor<4x4xf32>, %c: tensor<4x4xf32>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x4xf32>
  %two = arith.constant 2 : i32
  %ids = tensor.splat %two[%n] : tensor<?xi32>
  %i, %w = mod.task %ids {num_targets = 3 : i64, entry = "f", arg = "t"} : tensor<?xi32> -> tensor<?x1xi64>, tensor<?x1xf32>
  %y = mod.dispatch %x, %i, %w params(%a, %b, %c) {targets = [@A, @A, @A], instances = ["e.0", "e.1", "e.2"],
       param_segments = array<i64: 1, 1, 1>, aggregation = #mod<aggregation weighted_sum>, level = 1 : i64}
       : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// An id out of range stays a run-time error.
// CHECK-LABEL: func.func @task_out_of_range
// CHECK:         mod.dispatch
func.func @task_out_of_range(%x: tensor<?x4xf32>, %a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x4xf32>
  %five = arith.constant 5 : i32
  %ids = tensor.splat %five[%n] : tensor<?xi32>
  %i, %w = mod.task %ids {num_targets = 2 : i64, entry = "f", arg = "t"} : tensor<?xi32> -> tensor<?x1xi64>, tensor<?x1xf32>
  %y = mod.dispatch %x, %i, %w params(%a, %b) {targets = [@A, @A], instances = ["e.0", "e.1"],
       param_segments = array<i64: 1, 1>, aggregation = #mod<aggregation weighted_sum>, level = 1 : i64}
       : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// hash of the id 1 is fmix32(1) % 3 = 0x514e28b7 % 3 = 1.
// CHECK-LABEL: func.func @hash_constant
// CHECK-NOT:     mod.dispatch
// CHECK:         mod.apply @A(%arg2, %arg0) {instance = "e.1", num_params = 1 : i64}
func.func @hash_constant(%x: tensor<?x4xf32>, %a: tensor<4x4xf32>, %b: tensor<4x4xf32>, %c: tensor<4x4xf32>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x4xf32>
  %one = arith.constant 1 : i64
  %ids = tensor.splat %one[%n] : tensor<?xi64>
  %i, %w = mod.hash %ids {num_targets = 3 : i64} : tensor<?xi64> -> tensor<?x1xi64>, tensor<?x1xf32>
  %y = mod.dispatch %x, %i, %w params(%a, %b, %c) {targets = [@A, @A, @A], instances = ["e.0", "e.1", "e.2"],
       param_segments = array<i64: 1, 1, 1>, aggregation = #mod<aggregation sum>, level = 1 : i64}
       : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// Ids known only at run time: nothing to eliminate.
// CHECK-LABEL: func.func @task_dynamic
// CHECK:         mod.dispatch
func.func @task_dynamic(%x: tensor<?x4xf32>, %ids: tensor<?xi32>, %a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> tensor<?x4xf32> {
  %i, %w = mod.task %ids {num_targets = 2 : i64, entry = "f", arg = "t"} : tensor<?xi32> -> tensor<?x1xi64>, tensor<?x1xf32>
  %y = mod.dispatch %x, %i, %w params(%a, %b) {targets = [@A, @A], instances = ["e.0", "e.1"],
       param_segments = array<i64: 1, 1>, aggregation = #mod<aggregation weighted_sum>, level = 1 : i64}
       : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x1xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
