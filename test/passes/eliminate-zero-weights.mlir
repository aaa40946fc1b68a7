// A weights router over compile-time weights (the same for every row):
// targets with weight 0 are unreachable. One left: an application, scaled
// for weighted_sum; none left: zeros; weights read at run time: unchanged.
// RUN: mod-opt %s --mod-eliminate-inactive-modules | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

func.func private @A(%w: tensor<4x4xf32> {mod.param = "w"}, %x: tensor<?x4xf32>) -> tensor<?x4xf32>
    attributes {mod.module = "A<4>"}

// onehot(splat 1, 3) * 0.5: only target 1, weight 0.5.
// CHECK-LABEL: func.func @one_target
// CHECK-NOT:     mod.dispatch
// CHECK:         %[[Y:.*]] = mod.apply @A(%arg2, %arg0) {instance = "e.1", num_params = 1 : i64}
// CHECK:         linalg.generic
// CHECK:           arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK:         return
func.func @one_target(%x: tensor<?x4xf32>, %a: tensor<4x4xf32>, %b: tensor<4x4xf32>, %c: tensor<4x4xf32>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x4xf32>
  %one = arith.constant 1 : i32
  %ids = tensor.splat %one[%n] : tensor<?xi32>
  %e = tensor.empty(%n) : tensor<?x3xf32>
  %w = linalg.generic {indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]} ins(%ids : tensor<?xi32>) outs(%e : tensor<?x3xf32>) {
  ^bb0(%in: i32, %out: f32):
    %id = arith.extsi %in : i32 to i64
    %j = linalg.index 1 : index
    %pos = arith.index_cast %j : index to i64
    %eq = arith.cmpi eq, %id, %pos : i64
    %hi = arith.constant 0.5 : f32
    %lo = arith.constant 0.0 : f32
    %v = arith.select %eq, %hi, %lo : f32
    linalg.yield %v : f32
  } -> tensor<?x3xf32>
  %i, %g = mod.weights %w {num_targets = 3 : i64} : tensor<?x3xf32> -> tensor<?x3xi64>, tensor<?x3xf32>
  %y = mod.dispatch %x, %i, %g params(%a, %b, %c) {targets = [@A, @A, @A], instances = ["e.0", "e.1", "e.2"],
       param_segments = array<i64: 1, 1, 1>, aggregation = #mod<aggregation weighted_sum>, level = 1 : i64}
       : (tensor<?x4xf32>, tensor<?x3xi64>, tensor<?x3xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// All-zero weights: no target, zeros.
// CHECK-LABEL: func.func @no_target
// CHECK-NOT:     mod.dispatch
// CHECK-NOT:     mod.apply
// CHECK:         %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x4xf32>)
// CHECK:         return %[[Z]]
func.func @no_target(%x: tensor<?x4xf32>, %a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x2xf32>
  %w = linalg.fill ins(%zero : f32) outs(%e : tensor<?x2xf32>) -> tensor<?x2xf32>
  %i, %g = mod.weights %w {num_targets = 2 : i64} : tensor<?x2xf32> -> tensor<?x2xi64>, tensor<?x2xf32>
  %y = mod.dispatch %x, %i, %g params(%a, %b) {targets = [@A, @A], instances = ["e.0", "e.1"],
       param_segments = array<i64: 1, 1>, aggregation = #mod<aggregation sum>, level = 1 : i64}
       : (tensor<?x4xf32>, tensor<?x2xi64>, tensor<?x2xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// Weights known only at run time: the route stays.
// CHECK-LABEL: func.func @run_time
// CHECK:         mod.dispatch
func.func @run_time(%x: tensor<?x4xf32>, %w: tensor<?x2xf32>, %a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> tensor<?x4xf32> {
  %i, %g = mod.weights %w {num_targets = 2 : i64} : tensor<?x2xf32> -> tensor<?x2xi64>, tensor<?x2xf32>
  %y = mod.dispatch %x, %i, %g params(%a, %b) {targets = [@A, @A], instances = ["e.0", "e.1"],
       param_segments = array<i64: 1, 1>, aggregation = #mod<aggregation weighted_sum>, level = 1 : i64}
       : (tensor<?x4xf32>, tensor<?x2xi64>, tensor<?x2xf32>, tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
